package sieve

import (
	"context"
	"strings"
	"testing"
)

// TestLinearInputs feeds inputs that make naive scanners quadratic (a
// "${" or "=?" that never closes, long flag lists, deep comment nesting).
// Quadratic code would take hours at these sizes; linear code takes
// milliseconds. Nothing is timed: the test finishing is the check, and
// the results are checked for being right.
func TestLinearInputs(t *testing.T) {
	big := strings.Repeat("${", 400000) + "}"
	if got, err := parseVariableRefs(big); err != nil || got.lit != big {
		t.Errorf("unclosed references: %v", err)
	}
	if got, err := decodeEncodedCharacters(big); err != nil || got != big {
		t.Errorf("unclosed encodings: %v", err)
	}
	hdr := strings.Repeat("=?", 400000) + "?="
	if got := decodeHeader(hdr); got != hdr {
		t.Errorf("unclosed encoded words changed")
	}
	var flags strings.Builder
	for i := 0; i < 100000; i++ {
		flags.WriteString("f")
		flags.WriteString(itoa(i))
		flags.WriteByte(' ')
	}
	fl := addFlags(nil, []string{flags.String(), flags.String()})
	if len(fl) != 100000 {
		t.Errorf("%d flags", len(fl))
	}
	if rest := removeFlags(fl, []string{flags.String()}); len(rest) != 0 {
		t.Errorf("%d flags left", len(rest))
	}
	comment := "(" + strings.Repeat("(", 200000) + strings.Repeat(")", 200000) + ")"
	if got := parseAddressList(comment + " a@b.c"); len(got) != 1 || got[0].all != "a@b.c" {
		t.Errorf("address after a deep comment: %v", got)
	}
	src := "keep;" + strings.Repeat("/* "+strings.Repeat("x", 100)+" */\n", 5000)
	if _, err := Parse([]byte(src), Limits{}); err != nil {
		t.Error(err)
	}
	// :matches on a long value with many stars, :contains on a long body
	s, err := Parse([]byte(`require "body"; if allof(header :matches "subject" "`+strings.Repeat("*a", 300)+`*b", body :contains "needle") { discard; }`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	msg := "Subject: " + strings.Repeat("a", 100000) + "\r\n\r\n" + strings.Repeat("hay ", 250000)
	res, err := s.Run(context.Background(), &Input{Message: []byte(msg)})
	if err != nil || !res.ImplicitKeep {
		t.Errorf("run: %v %v", res, err)
	}
}
