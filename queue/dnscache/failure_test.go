package dnscache

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// temporary asserts err is net.Resolver's temporary failure.
func temporary(t testing.TB, err error) *net.DNSError {
	t.Helper()
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsTemporary || de.IsNotFound {
		t.Fatalf("error %#v, want a *net.DNSError with IsTemporary", err)
	}
	return de
}

// TestServerFailureCachedBriefly: SERVFAIL is a temporary error, kept
// only FailureTTL (RFC 2308 §7.1), then asked again.
func TestServerFailureCachedBriefly(t *testing.T) {
	s := newTestServer(t)
	c := newFakeClock()
	r := newTestResolver(s, c, Options{Attempts: 1})
	s.set(t, `broken.test. 3600 IN TXT "ok"`)
	s.setFlag(s.servfail, "broken.test", true)
	_, err := r.LookupTXT(t.Context(), "broken.test")
	if de := temporary(t, err); de.Server != s.addr || de.Err != "server misbehaving" {
		t.Fatalf("error %#v: want net's text and the configured server", de)
	}
	_, err = r.LookupTXT(t.Context(), "broken.test")
	temporary(t, err)
	if n := s.count("broken.test", dns.TypeTXT); n != 1 {
		t.Fatalf("asked %d times within FailureTTL, want 1", n)
	}
	s.setFlag(s.servfail, "broken.test", false)
	c.advance(DefaultFailureTTL)
	if got := lookupTXT(t, r, "broken.test"); len(got) != 1 {
		t.Fatalf("after FailureTTL: %q", got)
	}
}

// TestTimeoutNotCached: a server that does not answer gives a timeout
// (IsTimeout, IsTemporary); the next lookup asks again.
func TestTimeoutNotCached(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{Attempts: 1, Timeout: 50 * time.Millisecond})
	s.set(t, `quiet.test. 3600 IN TXT "ok"`)
	s.setFlag(s.silent, "quiet.test", true)
	_, err := r.LookupTXT(t.Context(), "quiet.test")
	if de := temporary(t, err); !de.IsTimeout {
		t.Fatalf("error %#v, want IsTimeout", de)
	}
	s.setFlag(s.silent, "quiet.test", false)
	if got := lookupTXT(t, r, "quiet.test"); len(got) != 1 {
		t.Fatalf("after the timeout: %q", got)
	}
}
