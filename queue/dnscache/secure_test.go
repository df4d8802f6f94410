package dnscache

import (
	"testing"

	"github.com/miekg/dns"
)

// TestLookupSecureReportsAD: LookupSecure says whether the validating
// server set AD (RFC 4035 §3.2.3), which the query asks for (RFC 6840
// §5.7); a CNAME chain is authenticated only if every reply was, and a
// cached answer keeps what its reply said.
func TestLookupSecureReportsAD(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{})
	s.set(t, `_25._tcp.mx.signed.test. 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef`)
	s.set(t, `_25._tcp.mx.plain.test. 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef`)
	s.set(t, `_25._tcp.mx.alias.test. 300 IN CNAME _25._tcp.mx.signed.test.`)
	s.setFlag(s.secure, "_25._tcp.mx.signed.test", true)
	for range 2 { // the second time from the cache
		for name, want := range map[string]bool{
			"_25._tcp.mx.signed.test": true, "_25._tcp.mx.plain.test": false, "_25._tcp.mx.alias.test": false,
		} {
			rrs, ad, err := r.LookupSecure(t.Context(), name, dns.TypeTLSA)
			if err != nil || len(rrs) != 1 || ad != want {
				t.Fatalf("LookupSecure(%s) = %v, %v, %v; want one TLSA, authenticated %v", name, rrs, ad, err, want)
			}
			if _, ok := rrs[0].(*dns.TLSA); !ok {
				t.Fatalf("LookupSecure(%s) = %v, want TLSA", name, rrs)
			}
		}
	}
	if st := r.Stats(); st.Hits == 0 {
		t.Fatalf("stats %+v: the second round should be hits", st)
	}
}
