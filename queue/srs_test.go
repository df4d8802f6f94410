package queue

import (
	"context"
	"strings"
	"testing"
)

// TestSRSSenderOfForwards: the outbound entry of a message that reaches
// an alias forwarding to a remote address gets an SRS0 sender of the
// alias's domain, once, with the original sender kept for the logs; a
// local sender, the null sender and a message with no forward (a direct
// remote recipient only) keep theirs.
func TestSRSSenderOfForwards(t *testing.T) {
	ctx := context.Background()
	q, st := newTestQueue(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.AddDomain(ctx, "example.test"))
	must(st.AddDomain(ctx, "other.test"))
	_, err := st.AddUser(ctx, "alice@example.test", "pw")
	must(err)
	must(st.AddAlias(ctx, "fwd@other.test", []string{"carol@remote.test", "dan@remote.test"}))
	cases := []struct {
		from, rcpt string
		srs        bool
	}{
		{"dave@sender.test", "fwd@other.test", true},
		{"SRS0=abcd=AB=orig.test=joe@hop.test", "fwd@other.test", true}, // becomes SRS1
		{"alice@example.test", "fwd@other.test", false},                 // local sender
		{"", "fwd@other.test", false},                                   // null sender
		{"dave@sender.test", "erin@remote.test", false},                 // no forward
		// SRS0=HHHH=TT= and the domain make the local part over 64 octets.
		{"dave@" + strings.Repeat("long", 13) + ".test", "fwd@other.test", false},
	}
	for _, c := range cases {
		res := submit(t, q, c.from, "Subject: x\r\n\r\nhi\r\n", c.rcpt)
		m, err := st.QueueGet(ctx, res.QueueID)
		must(err)
		switch {
		case !c.srs && m.Sender != c.from:
			t.Errorf("from %q to %s: sender %q, want it kept", c.from, c.rcpt, m.Sender)
		case c.srs && strings.HasPrefix(c.from, "SRS0="):
			if want := "=hop.test==abcd=AB=orig.test=joe@other.test"; !strings.HasPrefix(m.Sender, "SRS1=") || !strings.HasSuffix(m.Sender, want) {
				t.Errorf("from %q: sender %q, want SRS1=HHHH%s", c.from, m.Sender, want)
			}
		case c.srs:
			if !strings.HasPrefix(m.Sender, "SRS0=") || !strings.HasSuffix(m.Sender, "=sender.test=dave@other.test") {
				t.Errorf("from %q: sender %q, want SRS0=HHHH=TT=sender.test=dave@other.test", c.from, m.Sender)
			}
			if m.Meta["srs-from"] != c.from {
				t.Errorf("srs-from = %q", m.Meta["srs-from"])
			}
			if len(m.Recipients) != 2 {
				t.Errorf("recipients %v, want both targets in one entry", m.Recipients)
			}
		}
	}
}
