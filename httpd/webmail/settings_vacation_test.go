package webmail

import (
	"context"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/queue/sieve"
)

// FuzzVacationScript: whatever the form holds, a setting that passes
// check makes a script that sieve.Parse accepts, whose vacation action
// carries the subject and text as typed, and whose settings read back.
func FuzzVacationScript(f *testing.F) {
	f.Add("Away", "I am away.\nBack on Monday.", 7, "", "")
	f.Add(`quote " and \ backslash`, "text: with\r\n.\r\nand \"quotes\" \\", 1, "2026-12-01", "2026-12-31")
	f.Add("${var} ✈", "#comment\n/* not a comment */", 365, "2026-01-01", "")
	f.Fuzz(func(t *testing.T, subject, text string, days int, start, end string) {
		v := vacationSettings{Enabled: true, Subject: subject, Text: text, Days: days, Start: start, End: end}
		if v.check() != nil {
			return
		}
		src, err := vacationScript(&v, []string{"sales@example.test", `odd"quote@example.test`})
		if err != nil {
			t.Fatalf("script for %+v: %v", v, err)
		}
		back, ok := parseVacationMeta(src)
		if !ok || back.Subject != v.Subject || back.Text != v.Text || back.Days != v.Days {
			t.Fatalf("settings read back as %+v, want %+v", back, v)
		}
		if start != "" || end != "" {
			return // the dates decide whether it runs; TestSettingsVacationDates checks them
		}
		sc, err := sieve.Parse(src, sieve.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := sc.Run(context.Background(), &sieve.Input{EnvelopeFrom: "a@remote.test", EnvelopeTo: "alice@example.test",
			Message: []byte("From: a@remote.test\r\nTo: alice@example.test\r\n\r\nx\r\n")})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range res.Actions {
			if va, ok := a.(sieve.Vacation); ok {
				if va.Subject != v.Subject || strings.ReplaceAll(va.Reason, "\r\n", "\n") != strings.TrimRight(v.Text, "\n")+"\n" {
					t.Fatalf("vacation %+v from %+v", va, v)
				}
				return
			}
		}
		t.Fatalf("no vacation action in %v", res.Lines())
	})
}
