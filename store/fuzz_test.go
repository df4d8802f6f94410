package store

import (
	"bytes"
	"runtime"
	"strings"
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

// bytesPerRun is like testing.AllocsPerRun for the bytes allocated: the
// average over runs of what f allocates, read from the runtime's counters
// (deterministic for code that allocates the same way every time).
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// FuzzAddress: the store's address parsing (CanonicalAddress, alias keys,
// subaddresses) accepts only what it can give back canonically, agrees
// with itself, and costs a bounded amount per input: a constant number of
// allocations and of bytes allocated, whatever the input's length (no
// parser here may be made to do more by crafted input: issue 10 item 4).
func FuzzAddress(f *testing.F) {
	for _, s := range []string{
		"alice@example.test", "Alice+Tag@Example.TEST.", "@example.test", "a@b@c.test",
		`"quoted"@example.test`, "a..b@example.test", "a%b@example.test", "user@[127.0.0.1]",
		"ünï@bücher.example", "x@-bad-.test", "x@" + strings.Repeat("a.", 200) + "test",
		strings.Repeat("a", 65) + "@example.test", strings.Repeat("@", 3000), "postmaster", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		local, domain, err := CanonicalAddress(in)
		if err == nil {
			if !validLocalPart(local) || !validDomain(domain) || len(local)+len(domain)+1 > len(in) {
				t.Fatalf("accepted %q as %q @ %q", in, local, domain)
			}
			if l2, d2, err := CanonicalAddress(local + "@" + domain); err != nil || l2 != local || d2 != domain {
				t.Fatalf("not idempotent: %q -> %q@%q -> %q@%q (%v)", in, local, domain, l2, d2, err)
			}
			if base, tagged := stripSubaddress(local); tagged && (base == "" || len(base) >= len(local) || !strings.HasPrefix(local, base+"+")) {
				t.Fatalf("subaddress of %q: %q", local, base)
			}
		}
		if key, d, err := canonicalAliasKey(in); err == nil && !strings.HasSuffix(key, "@"+d) {
			t.Fatalf("alias key %q for domain %q", key, d)
		}
		run := func() {
			CanonicalAddress(in)
			canonicalAliasKey(in)
		}
		if n := testing.AllocsPerRun(5, run); n > 16 {
			t.Fatalf("%v allocations for %d bytes of input", n, len(in))
		}
		// Input past RFC 5321's lengths is refused before it is copied,
		// and errors quote at most 100 bytes: a bound independent of it.
		if b := bytesPerRun(5, run); b > 4096 {
			t.Fatalf("%d bytes allocated for %d bytes of input", b, len(in))
		}
	})
}
