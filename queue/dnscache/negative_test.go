package dnscache

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestNegativeNXDOMAIN: RFC 2308 §5: NXDOMAIN is cached for
// min(SOA TTL, SOA MINIMUM); a name added meanwhile is seen after that.
func TestNegativeNXDOMAIN(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{})
	s.setSOA(t, "new.test.", 300, 120)
	_, err := r.LookupTXT(t.Context(), "new.test")
	notFound(t, err)
	s.set(t, `new.test. 60 IN TXT "here"`)
	c.advance(119 * time.Second)
	_, err = r.LookupTXT(t.Context(), "new.test")
	notFound(t, err)
	if n := s.count("new.test", dns.TypeTXT); n != 1 {
		t.Fatalf("asked %d times within the negative TTL, want 1", n)
	}
	c.advance(time.Second)
	if got := lookupTXT(t, r, "new.test"); len(got) != 1 || got[0] != "here" {
		t.Fatalf("after the negative TTL: %q", got)
	}
}

// TestNegativeNODATA: RFC 2308 §2.2: a name with records of another type
// only; cached like NXDOMAIN, and reported as not found like net.Resolver.
func TestNegativeNODATA(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{})
	s.set(t, `nodata.test. 60 IN A 192.0.2.1`)
	s.setSOA(t, "nodata.test.", 60, 600) // the SOA's own TTL is the smaller
	_, err := r.LookupMX(t.Context(), "nodata.test")
	notFound(t, err)
	s.set(t, `nodata.test. 60 IN MX 10 mx.nodata.test.`)
	c.advance(59 * time.Second)
	_, err = r.LookupMX(t.Context(), "nodata.test")
	notFound(t, err)
	c.advance(time.Second)
	mxs, err := r.LookupMX(t.Context(), "nodata.test")
	if err != nil || len(mxs) != 1 || mxs[0].Host != "mx.nodata.test." {
		t.Fatalf("after the negative TTL: %v, %v", mxs, err)
	}
	if n := s.count("nodata.test", dns.TypeMX); n != 2 {
		t.Fatalf("asked %d times, want 2", n)
	}
}

// TestNegativeBounded: a huge SOA MINIMUM is cut to NegativeMaxTTL, and a
// negative answer without SOA is not cached (RFC 2308 §5).
func TestNegativeBounded(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{NegativeMaxTTL: 10 * time.Minute})
	s.setSOA(t, "gone.test.", 86400, 86400)
	_, err := r.LookupTXT(t.Context(), "gone.test")
	notFound(t, err)
	c.advance(10 * time.Minute)
	_, err = r.LookupTXT(t.Context(), "gone.test")
	notFound(t, err)
	if n := s.count("gone.test", dns.TypeTXT); n != 2 {
		t.Fatalf("asked %d times, want 2 (negative TTL bounded to 10m)", n)
	}

	_, err = r.LookupTXT(t.Context(), "nosoa.test")
	notFound(t, err)
	_, err = r.LookupTXT(t.Context(), "nosoa.test")
	notFound(t, err)
	if n := s.count("nosoa.test", dns.TypeTXT); n != 2 {
		t.Fatalf("negative answer without SOA asked %d times, want 2 (not cached)", n)
	}
}
