package imapd

import (
	"net"
	"os/exec"
	"strings"
	"testing"
)

// TestThunderbirdSequenceImaplib walks Thunderbird's usual sequence with
// Python's imaplib, a client nobody here wrote (testdata/thunderbird.py).
func TestThunderbirdSequenceImaplib(t *testing.T) {
	e := newTestEnv(t)
	for i := 1; i <= 3; i++ {
		e.deliver(e.alice, testMessage(i))
	}
	host, port, _ := net.SplitHostPort(e.addr)
	out, err := exec.Command("python3", "testdata/thunderbird.py", host, port, "alice@example.test", testPass).CombinedOutput()
	t.Logf("imaplib:\n%s", out)
	if err != nil {
		t.Fatalf("imaplib: %v", err)
	}
	if !strings.Contains(string(out), "\ndone") {
		t.Fatal("imaplib did not finish")
	}
	if mb, _ := e.st.MailboxByName(t.Context(), e.alice.ID, "INBOX"); mb.Messages != 1 {
		t.Errorf("INBOX has %d messages, want 1", mb.Messages)
	}
}
