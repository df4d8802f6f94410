package sievetest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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

func TestPigeonholeMissing(t *testing.T) {
	_, err := run(t.Context(), "/nonexistent/sieve-test", []byte("keep;"), []byte("\r\n"), "a@b.c", "d@e.f")
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "dovecot-sieve") {
		t.Fatalf("error %v, want ErrMissing naming dovecot-sieve", err)
	}
}

// TestPigeonholeTimeout runs a stand-in for sieve-test that never finishes:
// the context's deadline ends it and Pigeonhole says so.
func TestPigeonholeTimeout(t *testing.T) {
	// The stand-in runs as nobody under root, so it must be reachable.
	dir, err := os.MkdirTemp(tempBase(os.Geteuid() == 0), "sievetest-fake-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "sieve-test")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err = run(ctx, fake, []byte("keep;"), []byte("\r\n"), "a@b.c", "d@e.f")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's deadline", err)
	}
}

// TestPigeonholeEnvelope checks that from and to reach sieve-test (-f, -a/-r)
// and that an empty to falls back to the message's To header.
func TestPigeonholeEnvelope(t *testing.T) {
	msg := []byte("From: x@example.net\r\nTo: hdr@example.com\r\nSubject: s\r\n\r\nbody\r\n")
	script := []byte("require [\"envelope\", \"fileinto\", \"variables\"];\n" +
		"if envelope :matches \"from\" \"*\" { fileinto \"f-${1}\"; }\n" +
		"if envelope :matches \"to\" \"*\" { fileinto \"t-${1}\"; }\n")
	got, err := Pigeonhole(t.Context(), script, msg, "bounce@example.org", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"store f-bounce@example.org", "store t-hdr@example.com", "implicit none"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
