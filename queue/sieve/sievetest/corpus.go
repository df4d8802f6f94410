package sievetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The envelope of a corpus pair without an NNN.env file.
const (
	DefaultFrom = "alice@example.net"
	DefaultTo   = "me@example.com"
)

// Pair is one script × message case of the differential corpus
// (queue/sieve/testdata/diff, contract S3).
type Pair struct {
	Name     string   // "001"
	Script   []byte   // NNN.sieve
	Message  []byte   // NNN.eml
	From, To string   // NNN.env lines "from ADDR" / "to ADDR" ("from <>": null sender), or the defaults
	Expected []string // NNN.expected, Pigeonhole's committed answer; nil when absent
}

// LoadCorpus reads every NNN.sieve of dir with its NNN.eml, NNN.env and
// NNN.expected, ordered by name.
func LoadCorpus(dir string) ([]Pair, error) {
	scripts, err := filepath.Glob(filepath.Join(dir, "[0-9][0-9][0-9].sieve"))
	if err != nil {
		return nil, err
	}
	slices.Sort(scripts)
	var pairs []Pair
	for _, sp := range scripts {
		name := strings.TrimSuffix(filepath.Base(sp), ".sieve")
		p, err := loadPair(dir, name)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

func loadPair(dir, name string) (Pair, error) {
	p := Pair{Name: name, From: DefaultFrom, To: DefaultTo}
	base := filepath.Join(dir, name)
	var err error
	if p.Script, err = os.ReadFile(base + ".sieve"); err != nil {
		return p, err
	}
	if p.Message, err = os.ReadFile(base + ".eml"); err != nil {
		return p, fmt.Errorf("pair %s: %w", name, err)
	}
	env, err := os.ReadFile(base + ".env")
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return p, err
	default:
		sc := bufio.NewScanner(bytes.NewReader(env))
		for sc.Scan() {
			key, val, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
			val = strings.TrimSpace(val)
			if val == "<>" {
				val = ""
			}
			switch key {
			case "from":
				p.From = val
			case "to":
				p.To = val
			case "":
			default:
				return p, fmt.Errorf("%s.env: unknown line %q", name, sc.Text())
			}
		}
	}
	exp, err := os.ReadFile(base + ".expected")
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return p, err
	default:
		p.Expected = strings.Split(strings.TrimSuffix(string(exp), "\n"), "\n")
	}
	return p, nil
}

// FormatExpected renders lines as an NNN.expected file.
func FormatExpected(lines []string) []byte {
	return []byte(strings.Join(lines, "\n") + "\n")
}
