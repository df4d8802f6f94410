package sievetest

import (
	"context"
	"slices"
	"testing"
)

// TestPigeonholeLive runs the real sieve-test once per output form.
func TestPigeonholeLive(t *testing.T) {
	msg := []byte("From: alice@example.net\r\nTo: me@example.com\r\nSubject: hi\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <a@b>\r\n\r\nhello\r\n")
	cases := []struct {
		name, script string
		want         []string
	}{
		{"keep", `keep;`, []string{"store INBOX", "implicit none"}},
		{"nothing", ``, []string{"implicit keep"}},
		{"fileinto flags", "require [\"fileinto\",\"imap4flags\"];\nfileinto :flags \"\\\\Seen Foo foo\" \"Lists\";",
			[]string{"store Lists flags=\\seen foo", "implicit none"}},
		{"redirect copy", "require \"copy\";\nredirect :copy \"bob@example.org\";",
			[]string{"redirect bob@example.org", "implicit keep"}},
		{"implicit flags", "require \"imap4flags\";\naddflag \"\\\\Flagged\";",
			[]string{"implicit keep flags=\\flagged"}},
		{"discard", `discard;`, []string{"discard", "implicit none"}},
		{"reject", "require \"reject\";\nreject text:\nno\nthanks\n.\n;", []string{"reject no\\nthanks\\n", "implicit none"}},
		{"ereject", "require \"ereject\";\nereject \"no\";", []string{"reject no", "implicit none"}},
		{"vacation", "require [\"vacation\",\"vacation-seconds\"];\nvacation :seconds 60 :subject \"away\" \"I am away\";",
			[]string{"vacation to=alice@example.net seconds=60 subject=away handle=I am awayaway<default-from><NO-MIME> mime=no from=-", "implicit keep"}},
		{"vacation handle mime", "require \"vacation\";\nvacation :days 2 :handle \"h\" :from \"me@example.com\" :mime text:\nContent-Type: text/plain\n\nbye\n.\n;",
			[]string{"vacation to=alice@example.net seconds=172800 subject= handle=h mime=yes from=me@example.com", "implicit keep"}},
		{"runtime error", "require \"reject\";\nreject \"a\"; reject \"b\";", []string{"error", "implicit keep"}},
		{"invalid", `frobnicate;`, []string{"invalid"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Pigeonhole(context.Background(), []byte(c.script), msg, "alice@example.net", "me@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
