package dnscache

import (
	"fmt"
	"testing"
)

// BenchmarkLookupHit: a TXT lookup answered from the cache.
func BenchmarkLookupHit(b *testing.B) {
	s := newTestServer(b)
	r := newTestResolver(s, newFakeClock(), Options{})
	s.set(b, `hit.test. 3600 IN TXT "v=spf1 mx -all"`)
	lookupTXT(b, r, "hit.test")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.LookupTXT(b.Context(), "hit.test"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupMiss: a TXT lookup that goes to the (loopback) server:
// every iteration asks a new name.
func BenchmarkLookupMiss(b *testing.B) {
	s := newTestServer(b)
	r := newTestResolver(s, newFakeClock(), Options{})
	s.setSOA(b, "miss.test.", 3600, 3600)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_, err := r.LookupTXT(b.Context(), fmt.Sprintf("n%d.miss.test", i))
		if err == nil {
			b.Fatal("want NXDOMAIN")
		}
	}
}
