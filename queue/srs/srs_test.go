package srs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The references were produced by Debian's postsrsd 1.10 (libsrs2's
// algorithm) with the secret "tops3cr3t" and -d example.org, through its
// TCP lookup tables ("get ADDR" on the forward and reverse ports), on
// 2026-12-01 (day 20788, 308 mod 1024, "JU").
var refNow = time.Unix(1796164086, 0)

var forwardRefs = []struct{ in, out string }{
	{"alice@example.com", "SRS0=mWRv=JU=example.com=alice@example.org"},
	{"Bob.Smith@Example.NET", "SRS0=ANRa=JU=Example.NET=Bob.Smith@example.org"},
	{"user+tag@sub.example.co.uk", "SRS0=HW/S=JU=sub.example.co.uk=user+tag@example.org"},
	{"SRS0=abcd=AB=example.com=joe@forwarder.test", "SRS1=5uCD=forwarder.test==abcd=AB=example.com=joe@example.org"},
	{"SRS1=XXXX=orig.test==HHHH=TT=d.test=l@mid.test", "SRS1=cZdH=orig.test==HHHH=TT=d.test=l@example.org"},
}

// reverseRefs: postsrsd's reverse table answers for the forward results.
var reverseRefs = []struct{ in, out string }{
	{"SRS0=mWRv=JU=example.com=alice", "alice@example.com"},
	{"SRS0=ANRa=JU=Example.NET=Bob.Smith", "Bob.Smith@Example.NET"},
	{"SRS0=HW/S=JU=sub.example.co.uk=user+tag", "user+tag@sub.example.co.uk"},
	{"SRS1=5uCD=forwarder.test==abcd=AB=example.com=joe", "SRS0=abcd=AB=example.com=joe@forwarder.test"},
	{"SRS1=cZdH=orig.test==HHHH=TT=d.test=l", "SRS0=HHHH=TT=d.test=l@orig.test"},
	// postsrsd accepts a lower- or upper-cased address (case-insensitive hash).
	{"SRS0=MWRV=JU=EXAMPLE.COM=ALICE", "ALICE@EXAMPLE.COM"},
	{"srs0=mwrv=ju=example.com=alice", "alice@example.com"},
}

func testRewriter(t *testing.T) *Rewriter {
	t.Helper()
	r, err := New([]byte("tops3cr3t"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestForwardMatchesPostsrsd(t *testing.T) {
	r := testRewriter(t)
	for _, c := range forwardRefs {
		got, err := r.Forward(c.in, "example.org", refNow)
		if err != nil || got != c.out {
			t.Errorf("Forward(%q) = %q, %v; postsrsd says %q", c.in, got, err, c.out)
		}
	}
}

func TestReverseMatchesPostsrsd(t *testing.T) {
	r := testRewriter(t)
	for _, c := range reverseRefs {
		got, err := r.Reverse(c.in, refNow)
		if err != nil || got != c.out {
			t.Errorf("Reverse(%q) = %q, %v; postsrsd says %q", c.in, got, err, c.out)
		}
	}
}

func TestReverseRefuses(t *testing.T) {
	r := testRewriter(t)
	cases := []struct {
		local string
		want  error
	}{
		{"SRS0=mWRw=JU=example.com=alice", ErrBadHash}, // tampered hash
		{"SRS0=mWRv=JU=example.com=alicf", ErrBadHash}, // tampered local part
		{"SRS0=mWRv=JU=example.net=alice", ErrBadHash}, // tampered domain
		{"SRS0=mWRv=JV=example.com=alice", ErrBadHash}, // tampered time
		{"SRS1=5uCE=forwarder.test==abcd=AB=example.com=joe", ErrBadHash},
		{"SRS0=mWRv=JU=example.com", ErrMalformed},
		{"SRS0=mWR=JU=example.com=alice", ErrMalformed},
		{"SRS0=mWRv=J=example.com=alice", ErrMalformed},
		{"SRS1=5uCD=forwarder.test", ErrMalformed},
		{"alice", ErrNotSRS},
		{"SRS0", ErrNotSRS},
		{"srs0x=a", ErrNotSRS},
	}
	for _, c := range cases {
		if _, err := r.Reverse(c.local, refNow); !errors.Is(err, c.want) {
			t.Errorf("Reverse(%q) = %v, want %v", c.local, err, c.want)
		}
	}
}

func TestExpiry(t *testing.T) {
	r := testRewriter(t)
	addr, err := r.Forward("alice@example.com", "example.org", refNow)
	if err != nil {
		t.Fatal(err)
	}
	local := addr[:strings.LastIndexByte(addr, '@')]
	for days, ok := range map[int]bool{0: true, 1: true, 21: true, 22: false, 500: false, 1023: false} {
		_, err := r.Reverse(local, refNow.Add(time.Duration(days)*day))
		if ok != (err == nil) || (!ok && !errors.Is(err, ErrExpired)) {
			t.Errorf("%d days later: %v, want ok=%v", days, err, ok)
		}
	}
	// A timestamp from the future (beyond the period's wrap) is refused.
	if _, err := r.Reverse(local, refNow.Add(-2*day)); !errors.Is(err, ErrExpired) {
		t.Errorf("2 days earlier: %v, want ErrExpired", err)
	}
}

func TestRoundTripOtherSecret(t *testing.T) {
	r := testRewriter(t)
	other, _ := New([]byte("another"))
	addr, _ := r.Forward("alice@example.com", "example.org", refNow)
	local := addr[:strings.LastIndexByte(addr, '@')]
	if _, err := other.Reverse(local, refNow); !errors.Is(err, ErrBadHash) {
		t.Fatalf("other secret: %v, want ErrBadHash", err)
	}
}

func FuzzReverse(f *testing.F) {
	for _, c := range reverseRefs {
		f.Add(c.in)
	}
	f.Add("SRS1==a==")
	f.Add("SRS0====")
	r, _ := New([]byte("k"))
	f.Fuzz(func(t *testing.T, local string) {
		out, err := r.Reverse(local, refNow)
		if err == nil && !strings.Contains(out, "@") {
			t.Fatalf("Reverse(%q) = %q without a domain", local, out)
		}
	})
}
