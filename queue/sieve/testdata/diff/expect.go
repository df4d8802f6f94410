//go:build ignore

// Command expect writes NNN.expected, Pigeonhole's answer for each pair of
// the corpus, by running sieve-test through queue/sieve/sievetest. Run it
// from this directory after gen.py: go run expect.go [NNN ...]
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"slices"

	"github.com/mailserver/mailserver/queue/sieve/sievetest"
)

func main() {
	pairs, err := sievetest.LoadCorpus(".")
	if err != nil {
		log.Fatal(err)
	}
	only := os.Args[1:]
	for _, p := range pairs {
		if len(only) > 0 && !slices.Contains(only, p.Name) {
			continue
		}
		lines, err := sievetest.Pigeonhole(context.Background(), p.Script, p.Message, p.From, p.To)
		if err != nil {
			log.Fatalf("pair %s: %v", p.Name, err)
		}
		if err := os.WriteFile(p.Name+".expected", sievetest.FormatExpected(lines), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %q\n", p.Name, lines)
	}
}
