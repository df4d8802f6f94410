package dnscache

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

// TestBoundedEntries: the cache holds at most MaxEntries answers and
// drops the least recently used one.
func TestBoundedEntries(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{MaxEntries: 3})
	for i := range 5 {
		s.set(t, fmt.Sprintf(`n%d.test. 3600 IN TXT "%d"`, i, i))
	}
	lookupTXT(t, r, "n0.test")
	lookupTXT(t, r, "n1.test")
	lookupTXT(t, r, "n2.test")
	lookupTXT(t, r, "n0.test") // n0 is now the most recently used: n1 goes first
	lookupTXT(t, r, "n3.test")
	lookupTXT(t, r, "n4.test")
	st := r.Stats()
	if st.Entries != 3 || st.Evictions != 2 {
		t.Fatalf("stats %+v, want 3 entries after 2 evictions", st)
	}
	// In this order: the hits first, then the evicted name.
	for _, c := range []struct {
		name string
		want int
	}{{"n0.test", 1}, {"n4.test", 1}, {"n1.test", 2}} {
		lookupTXT(t, r, c.name)
		if n := s.count(c.name, dns.TypeTXT); n != c.want {
			t.Errorf("%s asked %d times, want %d", c.name, n, c.want)
		}
	}
}

// TestBoundedBytes: MaxBytes bounds the records kept, whatever their
// number.
func TestBoundedBytes(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{MaxBytes: 4096})
	long := fmt.Sprintf("%0255d", 0)
	for i := range 20 {
		s.set(t, fmt.Sprintf(`b%d.test. 3600 IN TXT "%s" "%s"`, i, long, long))
		lookupTXT(t, r, fmt.Sprintf("b%d.test", i))
		if st := r.Stats(); st.Bytes > 4096 {
			t.Fatalf("cache holds %d bytes, bound 4096", st.Bytes)
		}
	}
	if st := r.Stats(); st.Entries == 0 || st.Entries >= 20 || st.Evictions == 0 {
		t.Fatalf("stats %+v: want some, not all, entries kept", st)
	}
}
