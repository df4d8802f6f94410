package dnscache

import (
	"fmt"
	"strings"
	"testing"
)

// TestTruncatedRetriedOverTCP: a UDP reply with TC set is asked again
// over TCP (RFC 7766 §5) and the full answer is used.
func TestTruncatedRetriedOverTCP(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{})
	var recs []string
	for i := range 40 {
		recs = append(recs, fmt.Sprintf(`big.test. 60 IN TXT "record %02d %s"`, i, strings.Repeat("x", 100)))
	}
	s.set(t, recs...)
	s.setFlag(s.truncate, "big.test", true)
	txt := lookupTXT(t, r, "big.test")
	if len(txt) != 40 {
		t.Fatalf("got %d TXT records, want 40", len(txt))
	}
	if n := s.tcpCount(); n != 1 {
		t.Fatalf("%d queries over TCP, want 1", n)
	}
	if st := r.Stats(); st.TCPRetries != 1 || st.Upstream != 2 {
		t.Fatalf("stats %+v, want one UDP and one TCP query", st)
	}
}
