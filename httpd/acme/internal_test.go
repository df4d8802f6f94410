package acme

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"
)

// TestBackoff: 1 min doubling to the cap, never beyond it.
func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute}
	for i, w := range want {
		if got := backoff(i+1, time.Minute, 24*time.Hour); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	for _, n := range []int{12, 13, 40, 1000} {
		if got := backoff(n, time.Minute, 24*time.Hour); got != 24*time.Hour {
			t.Errorf("backoff(%d) = %v, want the 24h cap", n, got)
		}
	}
}

// TestRenewalWindow: due once a third of the lifetime is left (day 60 of
// a 90-day certificate), not before.
func TestRenewalWindow(t *testing.T) {
	nb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	leaf := &x509.Certificate{NotBefore: nb, NotAfter: nb.Add(90 * 24 * time.Hour)}
	for _, tc := range []struct {
		day  time.Duration
		want bool
	}{{0, false}, {59, false}, {60, true}, {89, true}, {91, true}} {
		if got := inRenewalWindow(leaf, nb.Add(tc.day*24*time.Hour)); got != tc.want {
			t.Errorf("day %d: due = %v, want %v", tc.day, got, tc.want)
		}
	}
}

// TestNames: hostname first, then each subdomain of each domain, lower
// case, without duplicates or names a CA cannot certify.
func TestNames(t *testing.T) {
	got := Names("Mail.Example.COM.", []string{"example.com", "other.org"}, []string{"autoconfig", "mta-sts"})
	want := []string{"mail.example.com", "autoconfig.example.com", "mta-sts.example.com", "autoconfig.other.org", "mta-sts.other.org"}
	if !slices.Equal(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	if got := Names("localhost", nil, nil); len(got) != 0 {
		t.Fatalf("Names(localhost) = %v", got)
	}
	if got := Names("192.0.2.1", []string{"example.com"}, []string{"autoconfig", "autoconfig"}); !slices.Equal(got, []string{"autoconfig.example.com"}) {
		t.Fatalf("Names(ip) = %v", got)
	}
	for _, n := range []string{"host", "::1", "10.0.0.1", "x.localhost"} {
		if Qualifies(n) {
			t.Errorf("Qualifies(%q) = true", n)
		}
	}
}
