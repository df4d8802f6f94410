package sieve_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/queue/sieve"
	"github.com/mailserver/mailserver/queue/sieve/sievetest"
)

// diffNow is the fixed time of every differential run. Corpus pairs use
// currentdate only in ways that hold for any day after 2024 (Pigeonhole
// runs with the real clock); its zone is UTC, as sieve-test's TZ.
var diffNow = time.Date(2026, time.June, 15, 12, 0, 0, 0, time.UTC)

const (
	diffDir         = "testdata/diff"
	differencesFile = "testdata/diff/DIFFERENCES.md"
	minPairs        = 200 // contract S3
)

// TestDifferential compares queue/sieve with Dovecot Pigeonhole's
// sieve-test on every pair of testdata/diff (contract S3): for each pair,
// Pigeonhole's live answer must equal the committed NNN.expected, and ours
// (Parse, Run, Lines) must equal Pigeonhole's, except for the pairs listed
// in DIFFERENCES.md, which must really differ. sieve-test comes from the
// Debian package dovecot-sieve; without it every subtest fails saying so.
func TestDifferential(t *testing.T) {
	if err := sievetest.Available(); err != nil {
		t.Fatal(err)
	}
	pairs, err := sievetest.LoadCorpus(diffDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) < minPairs {
		t.Fatalf("%d corpus pairs, want at least %d", len(pairs), minPairs)
	}
	listed, err := loadDifferences(differencesFile)
	if err != nil {
		t.Fatal(err)
	}
	names := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		names[p.Name] = true
	}
	for name := range listed {
		if !names[name] {
			t.Errorf("DIFFERENCES.md lists %s, which is not a corpus pair", name)
		}
	}

	var mu sync.Mutex
	agree, differ := 0, 0
	t.Cleanup(func() {
		t.Logf("%d pairs: %d agree with Pigeonhole, %d listed differences", len(pairs), agree, differ)
	})
	for _, p := range pairs {
		t.Run(p.Name, func(t *testing.T) {
			t.Parallel()
			ph, err := sievetest.Pigeonhole(t.Context(), p.Script, p.Message, p.From, p.To)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case p.Expected == nil:
				t.Errorf("%s.expected is missing; Pigeonhole answers %q (write it with go run expect.go in %s)", p.Name, ph, diffDir)
			case !slices.Equal(ph, p.Expected):
				t.Errorf("Pigeonhole's answer is no longer the committed one:\n committed %q\n live      %q", p.Expected, ph)
			}
			ours := runOurs(t, p)
			_, isListed := listed[p.Name]
			same := slices.Equal(ours, ph)
			switch {
			case isListed && same:
				t.Errorf("listed in DIFFERENCES.md but agrees with Pigeonhole: %q", ours)
			case !isListed && !same:
				t.Errorf("differs from Pigeonhole\n ours       %q\n pigeonhole %q\nscript:\n%s\nenvelope from %q to %q",
					ours, ph, p.Script, p.From, p.To)
			}
			mu.Lock()
			if same {
				agree++
			} else if isListed {
				differ++
			}
			mu.Unlock()
		})
	}
}

// runOurs returns queue/sieve's S2 lines for a pair.
func runOurs(t *testing.T, p sievetest.Pair) []string {
	s, err := sieve.Parse(p.Script, sieve.Limits{})
	if err != nil {
		var se *sieve.Error
		if !errors.As(err, &se) {
			t.Errorf("Parse error %v is not a *sieve.Error", err)
		}
		return []string{"invalid"}
	}
	res, err := s.Run(t.Context(), &sieve.Input{
		EnvelopeFrom: p.From,
		EnvelopeTo:   p.To,
		Message:      p.Message,
		Now:          diffNow,
	})
	if err != nil {
		// S2: a runtime error is "error", and the caller keeps the message.
		return []string{"error", "implicit keep"}
	}
	return res.Lines()
}

var differenceHeading = regexp.MustCompile(`^## ([0-9]{3})\s*$`)

// loadDifferences reads DIFFERENCES.md: one "## NNN" heading per pair,
// followed by the RFC section and the reason. It returns name → reason.
func loadDifferences(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res := map[string]string{}
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := differenceHeading.FindStringSubmatch(line); m != nil {
			if _, dup := res[m[1]]; dup {
				return nil, fmt.Errorf("%s: %s listed twice", path, m[1])
			}
			cur = m[1]
			res[cur] = ""
			continue
		}
		if strings.HasPrefix(line, "## ") {
			return nil, fmt.Errorf("%s: heading %q is not \"## NNN\"", path, line)
		}
		if cur != "" {
			res[cur] += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for name, reason := range res {
		if !strings.Contains(reason, "RFC") {
			return nil, fmt.Errorf("%s: %s gives no RFC section", path, name)
		}
	}
	return res, nil
}
