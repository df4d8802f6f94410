package dnscache

import (
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestTTLHonoured: a record changed on the server is seen only once the
// cached copy's TTL has run out (RFC 1035 §3.2.1), and the server is not
// asked meanwhile.
func TestTTLHonoured(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{})
	s.set(t, `ttl.test. 60 IN TXT "v1"`)
	if got := lookupTXT(t, r, "ttl.test"); !slices.Equal(got, []string{"v1"}) {
		t.Fatalf("first lookup %q", got)
	}
	s.set(t, `ttl.test. 60 IN TXT "v2"`)
	c.advance(59 * time.Second)
	if got := lookupTXT(t, r, "ttl.test"); !slices.Equal(got, []string{"v1"}) {
		t.Fatalf("within the TTL: %q, want the cached v1", got)
	}
	if n := s.count("ttl.test", dns.TypeTXT); n != 1 {
		t.Fatalf("server asked %d times within the TTL, want 1", n)
	}
	c.advance(time.Second)
	if got := lookupTXT(t, r, "ttl.test"); !slices.Equal(got, []string{"v2"}) {
		t.Fatalf("after the TTL: %q, want v2", got)
	}
	if st := r.Stats(); st.Hits != 1 || st.Misses != 2 {
		t.Fatalf("stats %+v, want 1 hit and 2 misses", st)
	}
}

// TestTTLOfCNAMEChain: an answer reached through a CNAME lives no longer
// than the CNAME record: a changed alias is seen after the CNAME's TTL.
func TestTTLOfCNAMEChain(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{})
	s.set(t, `alias.test. 30 IN CNAME real.test.`)
	s.set(t, `real.test. 300 IN A 192.0.2.1`)
	// The test server does not put the target's records into the reply:
	// the resolver follows the CNAME itself.
	host, err := r.LookupHost(t.Context(), "alias.test")
	if err != nil || !slices.Equal(host, []string{"192.0.2.1"}) {
		t.Fatalf("LookupHost(alias.test) = %v, %v", host, err)
	}
	s.set(t, `alias.test. 30 IN CNAME other.test.`)
	s.set(t, `other.test. 300 IN A 192.0.2.2`)
	c.advance(31 * time.Second)
	host, err = r.LookupHost(t.Context(), "alias.test")
	if err != nil || !slices.Equal(host, []string{"192.0.2.2"}) {
		t.Fatalf("after the CNAME's TTL: %v, %v; want the new target's 192.0.2.2", host, err)
	}

	// The whole chain in one reply: the smallest TTL of the records used.
	s.setAnswer(t, "chain.test.", dns.TypeTXT, `chain.test. 30 IN CNAME t.chain.test.`, `t.chain.test. 300 IN TXT "a"`)
	lookupTXT(t, r, "chain.test")
	c.advance(29 * time.Second)
	lookupTXT(t, r, "chain.test")
	c.advance(time.Second)
	lookupTXT(t, r, "chain.test")
	if n := s.count("chain.test", dns.TypeTXT); n != 2 {
		t.Fatalf("chain.test asked %d times, want 2 (kept for the CNAME's 30s)", n)
	}
}

// TestTTLBounds: MaxTTL shortens a long TTL, MinTTL lengthens a short one.
func TestTTLBounds(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{MinTTL: 30 * time.Second, MaxTTL: 10 * time.Minute})
	s.set(t, `long.test. 86400 IN TXT "a"`)
	s.set(t, `short.test. 1 IN TXT "a"`)
	s.set(t, `zero.test. 0 IN TXT "a"`)
	for _, n := range []string{"long.test", "short.test", "zero.test"} {
		lookupTXT(t, r, n)
	}
	c.advance(29 * time.Second)
	for _, n := range []string{"long.test", "short.test", "zero.test"} {
		lookupTXT(t, r, n)
		if got := s.count(n, dns.TypeTXT); got != 1 {
			t.Fatalf("%s asked %d times within MinTTL, want 1", n, got)
		}
	}
	c.advance(10*time.Minute - 29*time.Second)
	lookupTXT(t, r, "long.test")
	if got := s.count("long.test", dns.TypeTXT); got != 2 {
		t.Fatalf("long.test asked %d times after MaxTTL, want 2", got)
	}
}

// TestZeroTTLNotCached: RFC 1035 §3.2.1: a TTL of zero is for the
// transaction in progress only.
func TestZeroTTLNotCached(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{})
	s.set(t, `zero.test. 0 IN TXT "a"`)
	lookupTXT(t, r, "zero.test")
	lookupTXT(t, r, "zero.test")
	if got := s.count("zero.test", dns.TypeTXT); got != 2 {
		t.Fatalf("asked %d times, want 2 (TTL 0 is not cached)", got)
	}
}
