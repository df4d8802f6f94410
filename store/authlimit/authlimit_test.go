package authlimit

import (
	"net/netip"
	"testing"
	"time"
)

func TestWindowSlides(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := New(2, time.Minute)
	l.now = func() time.Time { return now }
	a := netip.MustParseAddr("198.51.100.7")
	other := netip.MustParseAddr("198.51.100.8")
	l.Failed(a)
	now = now.Add(30 * time.Second)
	l.Failed(a)
	if l.Allowed(a) {
		t.Fatal("allowed after 2 failures in the window")
	}
	if !l.Allowed(other) {
		t.Fatal("another IPv4 address is throttled")
	}
	now = now.Add(31 * time.Second) // the first failure leaves the window
	if !l.Allowed(a) {
		t.Fatal("still refused after the window slid")
	}
	if !l.Allowed(netip.Addr{}) {
		t.Fatal("callers without an address are never throttled")
	}
	// IPv4-mapped IPv6 counts as the IPv4 address.
	l.Failed(netip.MustParseAddr("::ffff:198.51.100.7"))
	if l.Allowed(a) {
		t.Fatal("mapped address not counted against the IPv4 one")
	}
}
