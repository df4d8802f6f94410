package imapd

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// TestKeywordsAnnouncedImaplib: SELECT's FLAGS and PERMANENTFLAGS list the
// mailbox's keywords (PERMANENTFLAGS with \*), and an untagged FLAGS tells
// every session when a STORE or an APPEND adds one (RFC 9051 §7.3.5,
// §7.1), checked with Python's imaplib (testdata/keywords.py).
func TestKeywordsAnnouncedImaplib(t *testing.T) {
	e := newTestEnv(t)
	inbox := mailboxID(t, e, "INBOX")
	uid := e.deliver(e.alice, testMessage(1))
	if _, err := e.st.StoreFlags(context.Background(), e.alice.ID, inbox, []uint32{uid}, store.FlagsAdd, []string{"$Label1"}, store.StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(e.addr)
	out, err := exec.Command("python3", "testdata/keywords.py", host, port, "alice@example.test", testPass).CombinedOutput()
	t.Logf("imaplib:\n%s", out)
	if err != nil || !strings.Contains(string(out), "\ndone") {
		t.Fatalf("imaplib: %v", err)
	}
}

// TestKeywordsAnnouncedRaw: the exact lines, and a delivery (no session's
// doing) with a keyword reaches a session in IDLE as FLAGS before EXISTS.
func TestKeywordsAnnouncedRaw(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, testMessage(1))
	a := e.rawLogin("alice@example.test")
	u := a.ok("SELECT INBOX")
	if got := grep(u, "* FLAGS "); len(got) != 1 || got[0] != `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)` {
		t.Errorf("SELECT FLAGS: %q", got)
	}
	if got := grep(u, "PERMANENTFLAGS"); len(got) != 1 || !strings.Contains(got[0], `\Draft \*)`) {
		t.Errorf("SELECT PERMANENTFLAGS: %q", got)
	}
	u = a.ok(`STORE 1 +FLAGS ($Label1)`)
	if strings.Join(u, "|") != `* 1 FETCH (FLAGS ($Label1 \Recent))|* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label1)` {
		t.Errorf("STORE of a new keyword: %q", u)
	}
	u = a.ok(`STORE 1 +FLAGS ($label1 \Seen)`)
	if len(grep(u, "* FLAGS")) != 0 {
		t.Errorf("STORE of a known keyword announced it again: %q", u)
	}
	// A delivery with a keyword (as a filter would file it) while idling.
	a.send("I1 IDLE\r\n")
	a.expect("+")
	body := fmt.Sprintf("Subject: x\r\n\r\n%d\r\n", 2)
	res, err := e.st.Submit(context.Background(), &store.Submission{Body: store.NewBody([]byte(body)),
		Local: []store.LocalDelivery{{UserID: e.alice.ID, Flags: []string{"Junk"}}}})
	if err != nil || res.Local[0].Err != nil {
		t.Fatal(err, res.Local[0].Err)
	}
	if l := a.readLine(); l != `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label1 Junk)` {
		t.Errorf("IDLE: %q, want FLAGS first", l)
	}
	if l := a.readLine(); l != "* 2 EXISTS" {
		t.Errorf("IDLE: %q, want EXISTS", l)
	}
	if l := a.readLine(); l != "* 2 RECENT" {
		t.Errorf("IDLE: %q, want RECENT", l)
	}
	a.send("DONE\r\n")
	a.expect("I1 OK")
	u = a.ok("EXAMINE INBOX")
	if got := grep(u, "* FLAGS "); len(got) != 1 || got[0] != `* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Label1 Junk)` {
		t.Errorf("EXAMINE FLAGS: %q", got)
	}
}
