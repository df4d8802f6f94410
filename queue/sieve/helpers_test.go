package sieve

import (
	"context"
	"strings"
	"testing"
	"time"
)

const testMsg = "From: Alice Example <alice+lists@example.org>\r\n" +
	"To: bob@example.com, \"Carol\" <carol@Example.NET>\r\n" +
	"Cc: undisclosed-recipients:;\r\n" +
	"Subject: [acme-users] [fwd] version 1.0 is out\r\n" +
	"Date: Tue, 01 Dec 2026 10:20:30 +0100\r\n" +
	"X-Spam-Score: 7\r\n" +
	"List-Id: Acme users <acme-users.lists.example.org>\r\n" +
	"\r\n" +
	"Hello world,\r\nthis is the body.\r\n"

var testNow = time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC)

// linesOf parses and runs script on msg and returns the S2 lines, "invalid"
// for a parse error.
func linesOf(t *testing.T, script, msg string) []string {
	t.Helper()
	s, err := Parse([]byte(script), Limits{})
	if err != nil {
		return []string{"invalid"}
	}
	res, err := s.Run(context.Background(), &Input{EnvelopeFrom: "sender@example.org",
		EnvelopeTo: "bob+box@example.com", Message: []byte(msg), Now: testNow})
	if err != nil && res == nil {
		t.Fatalf("Run: %v", err)
	}
	return res.Lines()
}

type lineCase struct {
	name   string
	script string
	want   string // lines joined by "|"
}

func runCases(t *testing.T, cases []lineCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(linesOf(t, c.script, testMsg), "|")
			if got != c.want {
				t.Errorf("script:\n%s\ngot  %q\nwant %q", c.script, got, c.want)
			}
		})
	}
}
