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
