package sieve

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// parseBound is a guard against super-linear parsing, not a benchmark: an
// input of at most a few KiB that takes a second is a bug.
const parseBound = time.Second

// FuzzParse parses arbitrary scripts: Parse must not panic, must return
// either a script or an *Error with a position inside the input, must
// finish well within parseBound, and a parsed script must run on a message.
func FuzzParse(f *testing.F) {
	seeds := []string{
		``, `keep;`, `require "fileinto"; if header :contains "subject" "x" { fileinto "A"; } else { discard; }`,
		"require [\"reject\"]; reject text:\r\nline\r\n..dot\r\n.\r\n;",
		`require ["variables","encoded-character"]; set :upper "a" "${hex:41}${unicode:263A}"; if string :matches "${a}" "*" { keep; }`,
		`require ["regex","variables"]; if header :regex "subject" "^(a+)+$" { set "x" "${1}"; }`,
		`require ["vacation","vacation-seconds"]; vacation :seconds 60 :subject "s" :from "a@b.c" :addresses ["x@y.z"] :mime :handle "h" "r";`,
		`require ["imap4flags","fileinto","copy","mailbox"]; addflag "\\Seen"; fileinto :copy :create :flags "a b" "X";`,
		`require ["body","relational","comparator-i;ascii-numeric","date"]; if allof(body :content "text" :contains "x", header :count "gt" :comparator "i;ascii-numeric" "received" "3", currentdate :zone "+0100" :value "ge" "year" "2020") { stop; }`,
		`require ["envelope","subaddress"]; if envelope :detail :is "to" "tag" { redirect "a@b.c"; }`,
		`if not anyof(exists "x", size :over 1M, address :domain "from" "d", true, false) { keep; } elsif true { discard; }`,
		`/* comment */ # hash` + "\n" + `keep ;`, `if`, `"unterminated`, `/* unterminated`, `text:`, `{`, `]`,
		`if true { if true { if true { keep; } } }`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// the differential corpus scripts are seeds too
	if files, err := filepath.Glob("testdata/diff/*.sieve"); err == nil {
		for i, p := range files {
			if i%4 != 0 {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	msg := []byte(testMsg)
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 64<<10 {
			return
		}
		start := time.Now()
		s, err := Parse(src, Limits{})
		if d := time.Since(start); d > parseBound {
			t.Fatalf("parsing %d bytes took %v", len(src), d)
		}
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *Error", err)
			}
			if se.Line < 1 || se.Column < 1 {
				t.Fatalf("error position %d:%d", se.Line, se.Column)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, _ := s.Run(ctx, &Input{EnvelopeFrom: "a@b.c", EnvelopeTo: "d+e@f.g", Message: msg, Now: testNow})
		if res == nil {
			t.Fatal("Run returned no result")
		}
		if l := res.Lines(); len(l) == 0 {
			t.Fatal("no lines")
		}
	})
}

// fuzzScript touches every message parser: header fields and RFC 2047,
// address lists, dates, MIME parts and their encodings.
const fuzzScript = `require ["body","date","relational","variables","envelope","subaddress","regex","fileinto","imap4flags"];
if address :all :matches ["from","to","cc"] "*@*" { set "d" "${2}"; }
if header :regex "subject" "([a-z]+)" { set "s" "${1}"; }
if date :originalzone :matches "date" "iso8601" "*" { set "t" "${0}"; }
if body :content "" :contains "x" { addflag "b"; }
if body :raw :contains "y" { addflag "r"; }
if body :text :matches "*z*" { addflag "t"; }
if address :detail :count "ge" "to" "1" { addflag "c"; }
fileinto "${d}/${s}/${t}";`

// FuzzMessage runs a script using every message parser on arbitrary
// messages: no panic, bounded time, a result.
func FuzzMessage(f *testing.F) {
	f.Add([]byte(testMsg))
	f.Add([]byte("From: =?utf-8?b?QQ==?= <a@b>, g: c@d;\r\nSubject: =?x?q?a?= =?utf-8?q?b?=\r\nDate: 1 Jan 2000 00:00 EST\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nz\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\neHl6\r\n--b--\r\n"))
	if files, err := filepath.Glob("testdata/diff/*.eml"); err == nil {
		for i, p := range files {
			if i%8 != 0 {
				continue
			}
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	s, err := Parse([]byte(fuzzScript), Limits{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > 256<<10 {
			return
		}
		start := time.Now()
		res, err := s.Run(context.Background(), &Input{EnvelopeFrom: "a@b.c", EnvelopeTo: "d+e@f.g", Message: msg, Now: testNow})
		if d := time.Since(start); d > parseBound {
			t.Fatalf("running on %d bytes took %v", len(msg), d)
		}
		// a runtime error is a possible outcome (e.g. a mailbox name made of
		// header bytes that are not UTF-8), but only as a *RuntimeError
		var rt *RuntimeError
		if (err != nil && !errors.As(err, &rt)) || res == nil || len(res.Lines()) == 0 {
			t.Fatalf("run: %v %v", res, err)
		}
	})
}
