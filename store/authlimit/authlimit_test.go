package authlimit

import (
	"net/netip"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time             { return c.t }
func (c *clock) add(d time.Duration)        { c.t = c.t.Add(d) }
func newTest(c *clock, cfg Config) *Limiter { cfg.Now = c.now; return New(cfg) }

// TestPenaltyGrowsAndClears: each distinct failure raises the delay
// (Dovecot's 0, 2, 4, 8, 15 s, capped), measured from the last failure;
// the same user and password count once; a success clears it.
func TestPenaltyGrowsAndClears(t *testing.T) {
	c := &clock{time.Unix(1_000_000, 0)}
	l := newTest(c, Config{})
	a := netip.MustParseAddr("198.51.100.7")
	want := func(d time.Duration) {
		t.Helper()
		got := l.Check(a)
		if got.Refused || got.Delay != d {
			t.Fatalf("Check = %+v, want delay %v", got, d)
		}
	}
	want(0)
	for i, d := range []time.Duration{2, 4, 8, 15, 15, 15} {
		l.Failed(a, l.Key("alice@example.test", string(rune('a'+i))))
		want(d * time.Second)
	}
	// The same pair again (a second mechanism, a reconnect): no change.
	l.Failed(a, l.Key("alice@example.test", "a"))
	want(15 * time.Second)
	c.add(10 * time.Second) // the delay counts from the last failure
	want(5 * time.Second)
	c.add(time.Minute)
	want(0)
	// Other networks are not affected; IPv6 counts per /64, mapped IPv4 as IPv4.
	if d := l.Check(netip.MustParseAddr("198.51.100.8")); d.Delay != 0 || d.Refused {
		t.Fatalf("other address: %+v", d)
	}
	l.Failed(netip.MustParseAddr("::ffff:198.51.100.7"), l.Key("x", "y"))
	want(15 * time.Second)
	six := netip.MustParseAddr("2001:db8:1:2::5")
	l.Failed(six, l.Key("x", "y"))
	if d := l.Check(netip.MustParseAddr("2001:db8:1:2:ffff::1")); d.Delay != 2*time.Second {
		t.Fatalf("same /64: %+v", d)
	}
	l.Succeeded(a)
	want(0)
	if d := l.Check(netip.Addr{}); d != (Decision{}) {
		t.Fatalf("no address: %+v", d)
	}
	l.Failed(netip.Addr{}, 1)
	if l.Networks() != 2 {
		t.Fatalf("%d networks remembered", l.Networks())
	}
}

// TestGuessingRun: GuessLimit distinct failures within GuessWindow refuse
// the network; the score drains at the limit's rate; a success does not
// drain it; the penalty times out.
func TestGuessingRun(t *testing.T) {
	c := &clock{time.Unix(1_000_000, 0)}
	l := newTest(c, Config{GuessLimit: 10, GuessWindow: 10 * time.Minute, PenaltyTimeout: 30 * time.Minute})
	a := netip.MustParseAddr("203.0.113.5")
	for i := range 9 {
		l.Failed(a, Key(i))
		l.Failed(a, Key(i)) // repeats never count
	}
	if l.Check(a).Refused {
		t.Fatal("refused after 9 distinct failures")
	}
	l.Succeeded(a) // a success clears the delay, not the score
	l.Failed(a, Key(100))
	if !l.Check(a).Refused {
		t.Fatal("not refused after 10 distinct failures")
	}
	c.add(time.Minute) // drains one: 10 per 10 minutes
	if d := l.Check(a); d.Refused {
		t.Fatalf("still refused after draining: %+v", d)
	}
	l.Failed(a, Key(101))
	if !l.Check(a).Refused {
		t.Fatal("one more guess is refused again")
	}
	c.add(31 * time.Minute)
	if d := l.Check(a); d != (Decision{}) {
		t.Fatalf("after the timeout and draining: %+v", d)
	}
	l.Failed(netip.MustParseAddr("203.0.113.6"), 1) // sweeps the table
	if l.Networks() != 1 {
		t.Fatalf("%d networks remembered, want 1", l.Networks())
	}
}

// TestMaxNetworks: the table never grows past MaxNetworks.
func TestMaxNetworks(t *testing.T) {
	c := &clock{time.Unix(1_000_000, 0)}
	l := newTest(c, Config{MaxNetworks: 50})
	for i := range 500 {
		l.Failed(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1)
		if n := l.Networks(); n > 50 {
			t.Fatalf("%d networks", n)
		}
	}
}
