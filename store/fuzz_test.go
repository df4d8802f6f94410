package store

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzReadBody: the stored form has only CRLF line ends, loses no other
// byte, and ReadBody agrees with itself whatever the read sizes.
func FuzzReadBody(f *testing.F) {
	for _, s := range []string{"", "a\n", "a\r\n", "\r", "\n\n", "x\r\r\n.\n", "long" + string(bytes.Repeat([]byte("y"), 70000)) + "\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := ReadBody(bytes.NewReader(in), 0)
		if err != nil {
			t.Fatal(err)
		}
		out := b.Bytes()
		if int64(len(out)) != b.Size() {
			t.Fatalf("size %d, bytes %d", b.Size(), len(out))
		}
		for i, c := range out {
			if c == '\n' && (i == 0 || out[i-1] != '\r') {
				t.Fatalf("bare LF at %d", i)
			}
		}
		// Removing the inserted CRs gives the input back.
		want := bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
		if got := bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")); !bytes.Equal(got, want) {
			t.Fatalf("content changed: %q -> %q", in, out)
		}
	})
}

// FuzzMailboxName: an accepted name is valid UTF-8 without control
// characters or empty levels, and canonicalising is idempotent.
func FuzzMailboxName(f *testing.F) {
	for _, s := range []string{"INBOX", "inbox/a", "a//b", "../x", "~x", "a\x00", "Ärger/Büro"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := CanonicalMailboxName(name)
		if err != nil {
			return
		}
		if !utf8.ValidString(c) || bytes.ContainsAny([]byte(c), "\x00\r\n*%") || bytes.Contains([]byte(c), []byte("//")) {
			t.Fatalf("accepted %q", c)
		}
		if c2, err := CanonicalMailboxName(c); err != nil || c2 != c {
			t.Fatalf("not idempotent: %q -> %q (%v)", c, c2, err)
		}
	})
}
