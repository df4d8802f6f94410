package imapd

import (
	"strings"
	"testing"
)

// lastFlags is the FLAGS of the last untagged FETCH for seq in lines.
func lastFlags(lines []string, seq string) (string, int) {
	last, n := "", 0
	for _, l := range lines {
		if strings.HasPrefix(l, "* "+seq+" FETCH ") && strings.Contains(l, "FLAGS (") {
			i := strings.Index(l, "FLAGS (") + len("FLAGS (")
			last = l[i : i+strings.IndexByte(l[i:], ')')]
			n++
		}
	}
	return last, n
}

// After session B changes a message's flags, session A's own STORE on it
// must leave A with the latest flags: B's older snapshot, still pending
// for A, must not arrive after A's STORE answer (issue 11 item 1).
func TestNoStaleFlagsAfterOwnStore(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, testMessage(1))
	a := e.rawLogin("alice@example.test")
	b := e.rawLogin("alice@example.test")
	a.ok("SELECT INBOX")
	b.ok("SELECT INBOX")

	b.ok(`STORE 1 +FLAGS (\Seen)`)
	u := a.ok(`STORE 1 +FLAGS (\Flagged)`)
	flags, _ := lastFlags(u, "1")
	if !strings.Contains(flags, `\Seen`) || !strings.Contains(flags, `\Flagged`) {
		t.Errorf("A's last FLAGS after its STORE: %q (responses %q)", flags, u)
	}
	if u := a.ok("NOOP"); len(u) != 0 {
		t.Errorf("after NOOP: %q", u)
	}

	// .SILENT: A hears of B's change once, with the latest flags.
	b.ok(`STORE 1 +FLAGS (\Draft)`)
	u = a.ok(`STORE 1 +FLAGS.SILENT (\Answered)`)
	flags, n := lastFlags(u, "1")
	if n != 1 || !strings.Contains(flags, `\Draft`) || !strings.Contains(flags, `\Answered`) || !strings.Contains(flags, `\Seen`) {
		t.Errorf("A after its silent STORE: %d FETCH, last %q (responses %q)", n, flags, u)
	}
	// Silent with nothing from others: nothing.
	if u := a.ok(`STORE 1 -FLAGS.SILENT (\Answered)`); len(u) != 0 {
		t.Errorf("silent STORE: %q", u)
	}
	// B's change after A's STORE still reaches A.
	b.ok(`STORE 1 -FLAGS (\Draft)`)
	u = a.ok("NOOP")
	if flags, _ := lastFlags(u, "1"); strings.Contains(flags, `\Draft`) || !strings.Contains(flags, `\Flagged`) {
		t.Errorf("A after B's later STORE: %q", u)
	}
}

// The same with an expunge pending for A between B's change and A's own
// STORE (found by TestConsistencyRandom): STORE may not send the expunge
// (RFC 9051 §7.5.1), and B's older snapshot, before it, must not be the
// last state A hears of message 1 (silent STORE or not).
func TestNoStaleFlagsBehindExpunge(t *testing.T) {
	e := newTestEnv(t)
	for i := 1; i <= 3; i++ {
		e.deliver(e.alice, testMessage(i))
	}
	a := e.rawLogin("alice@example.test")
	b := e.rawLogin("alice@example.test")
	c := e.rawLogin("alice@example.test")
	for _, rc := range []*rawConn{a, b, c} {
		rc.ok("SELECT INBOX")
	}
	for i, silent := range []string{"", ".SILENT"} {
		gone := []string{"3", "4"}[i] // 4 is delivered at the end of the first round
		b.ok(`STORE 1 +FLAGS (\Answered)`)
		c.ok(`UID STORE ` + gone + ` +FLAGS (\Deleted)`)
		c.ok(`UID EXPUNGE ` + gone)
		u := a.ok(`STORE 1 +FLAGS` + silent + ` (\Flagged)`)
		flags, _ := lastFlags(u, "1")
		if !strings.Contains(flags, `\Answered`) || !strings.Contains(flags, `\Flagged`) {
			t.Errorf("STORE%s: A's last flags of 1: %q (responses %q)", silent, flags, u)
		}
		u = a.ok("NOOP")
		if flags, n := lastFlags(u, "1"); n > 0 && (!strings.Contains(flags, `\Answered`) || !strings.Contains(flags, `\Flagged`)) {
			t.Errorf("STORE%s then NOOP: %q", silent, u)
		}
		if len(grep(u, "EXPUNGE")) != 1 {
			t.Errorf("STORE%s then NOOP: %q, want the expunge", silent, u)
		}
		b.ok(`STORE 1 -FLAGS (\Answered \Flagged)`)
		c.ok("NOOP")
		a.ok("NOOP")
		e.deliver(e.alice, testMessage(4))
		for _, rc := range []*rawConn{a, b, c} {
			rc.ok("NOOP")
		}
	}
}
