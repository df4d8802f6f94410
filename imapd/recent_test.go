package imapd

import (
	"net"
	"os/exec"
	"strings"
	"testing"
)

// TestRecent: \Recent in IMAP4rev1 sessions (RFC 3501 §2.3.2): a message
// is recent in exactly one session, the first told of it, whether at
// SELECT or as a new arrival; EXAMINE sees it without claiming it (RFC
// 3501 §6.3.2); STATUS counts the unclaimed; SEARCH RECENT, NEW and OLD
// match it; a session that has enabled IMAP4rev2 neither sees nor claims
// it.
func TestRecent(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, testMessage(1))
	e.deliver(e.alice, testMessage(2))
	status := e.rawLogin("alice@example.test")
	recentOf := func(want string) {
		t.Helper()
		if u := status.ok("STATUS INBOX (MESSAGES RECENT)"); len(u) != 1 || !strings.Contains(u[0], want) {
			t.Errorf("STATUS: %q, want %s", u, want)
		}
	}
	recentOf("RECENT 2")

	a := e.rawLogin("alice@example.test")
	if u := a.ok("SELECT INBOX"); len(grep(u, "* 2 RECENT")) != 1 {
		t.Errorf("first SELECT: %q, want 2 RECENT", u)
	}
	if u := a.ok("FETCH 1:* FLAGS"); strings.Join(u, "|") != `* 1 FETCH (FLAGS (\Recent))|* 2 FETCH (FLAGS (\Recent))` {
		t.Errorf("FETCH FLAGS: %q", u)
	}
	a.ok(`STORE 2 +FLAGS (\Seen)`)
	for cmd, want := range map[string]string{"SEARCH RECENT": "* SEARCH 1 2", "SEARCH NEW": "* SEARCH 1", "SEARCH OLD": "* SEARCH", "SEARCH NOT RECENT": "* SEARCH"} {
		if u := a.ok(cmd); len(u) != 1 || u[0] != want {
			t.Errorf("%s: %q, want %q", cmd, u, want)
		}
	}
	recentOf("RECENT 0")

	// Claimed by a: a later SELECT or EXAMINE does not see them.
	b := e.rawLogin("alice@example.test")
	if u := b.ok("EXAMINE INBOX"); len(grep(u, "* 0 RECENT")) != 1 {
		t.Errorf("EXAMINE after a's SELECT: %q, want 0 RECENT", u)
	}
	// A new arrival: EXAMINE (b) sees it recent without claiming, the
	// read-write session a claims it when it is told.
	e.deliver(e.alice, testMessage(3))
	recentOf("RECENT 1")
	if u := b.ok("NOOP"); strings.Join(u, "|") != "* 3 EXISTS|* 1 RECENT" {
		t.Errorf("EXAMINE session told of a new message: %q", u)
	}
	recentOf("RECENT 1")
	if u := a.ok("NOOP"); strings.Join(u, "|") != "* 3 EXISTS|* 3 RECENT" {
		t.Errorf("SELECT session told of a new message: %q", u)
	}
	recentOf("RECENT 0")
	if u := a.ok("FETCH 3 FLAGS"); len(u) != 1 || u[0] != `* 3 FETCH (FLAGS (\Recent))` {
		t.Errorf("FETCH of the new message: %q", u)
	}

	// IMAP4rev2: no RECENT, no \Recent, no claim.
	c := e.rawLogin("alice@example.test")
	c.ok("ENABLE IMAP4rev2")
	e.deliver(e.alice, testMessage(4))
	if u := c.ok("SELECT INBOX"); len(grep(u, "RECENT")) != 0 {
		t.Errorf("IMAP4rev2 SELECT: %q", u)
	}
	if u := c.ok("FETCH 4 FLAGS"); len(u) != 1 || u[0] != `* 4 FETCH (FLAGS ())` {
		t.Errorf("IMAP4rev2 FETCH: %q", u)
	}
	recentOf("RECENT 1")
	// The first IMAP4rev1 session told of it claims it; a's flag
	// updates carry \Recent for the messages recent in a.
	b.ok("NOOP")
	c.ok(`STORE 1 +FLAGS (\Flagged)`)
	if u := a.ok("NOOP"); strings.Join(u, "|") != `* 4 EXISTS|* 1 FETCH (UID 1 FLAGS (\Flagged \Recent))|* 4 RECENT` {
		t.Errorf("a told of message 4 and a flag change: %q", u)
	}
	recentOf("RECENT 0")
	d := e.rawLogin("alice@example.test")
	if u := d.ok("SELECT INBOX"); len(grep(u, "* 0 RECENT")) != 1 {
		t.Errorf("SELECT after every message was claimed: %q", u)
	}
	if u := d.ok("SEARCH OLD"); len(u) != 1 || u[0] != "* SEARCH 1 2 3 4" {
		t.Errorf("SEARCH OLD: %q", u)
	}

	// IDLE: EXISTS, then RECENT.
	d.send("I1 IDLE\r\n")
	d.expect("+")
	e.deliver(e.alice, testMessage(5))
	if l := d.readLine(); l != "* 5 EXISTS" {
		t.Errorf("IDLE: %q", l)
	}
	if l := d.readLine(); l != "* 1 RECENT" {
		t.Errorf("IDLE: %q", l)
	}
	d.send("DONE\r\n")
	d.expect("I1 OK")
	// Expunged recent messages leave the count.
	d.ok(`STORE 5 +FLAGS.SILENT (\Deleted)`)
	d.ok("EXPUNGE")
	d.ok("UNSELECT")
	e.deliver(e.alice, testMessage(6))
	recentOf("RECENT 1")
	if u := d.ok("SELECT INBOX"); len(grep(u, "* 1 RECENT")) != 1 {
		t.Errorf("SELECT: %q", u)
	}
}

// TestRecentImaplib: the same rules seen by Python's imaplib, a client
// nobody here wrote (testdata/recent.py).
func TestRecentImaplib(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, testMessage(1))
	e.deliver(e.alice, testMessage(2))
	host, port, _ := net.SplitHostPort(e.addr)
	out, err := exec.Command("python3", "testdata/recent.py", host, port, "alice@example.test", testPass).CombinedOutput()
	t.Logf("imaplib:\n%s", out)
	if err != nil || !strings.Contains(string(out), "\ndone") {
		t.Fatalf("imaplib: %v", err)
	}
}

// TestRecentOwnAppend: a message APPENDed into the mailbox the session has
// selected is recent there (claimed in the APPEND's transaction), and not
// in a session selecting later; one that follows a delivery nobody was
// told of yet is claimed when announced, with the delivery.
func TestRecentOwnAppend(t *testing.T) {
	e := newTestEnv(t)
	a := e.rawLogin("alice@example.test")
	a.ok("SELECT INBOX")
	msg := []byte(testMessage(1))
	if tagged := a.cmdLiteral("APPEND INBOX ", msg, ""); !strings.HasPrefix(tagged, "OK") {
		t.Fatal(tagged)
	}
	e.deliver(e.alice, testMessage(2))
	if tagged := a.cmdLiteral("APPEND INBOX ", msg, ""); !strings.HasPrefix(tagged, "OK") {
		t.Fatal(tagged)
	}
	if u := a.ok("SEARCH RECENT"); len(u) != 1 || u[0] != "* SEARCH 1 2 3" {
		t.Errorf("SEARCH RECENT: %q", u)
	}
	b := e.rawLogin("alice@example.test")
	if u := b.ok("SELECT INBOX"); len(grep(u, "* 0 RECENT")) != 1 {
		t.Errorf("later SELECT: %q", u)
	}
}
