package imapd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// cmdLiteral sends a command whose last argument is a synchronizing
// literal (for names no quoted string can carry, such as NUL).
func (rc *rawConn) cmdLiteral(prefix string, lit []byte, suffix string) string {
	rc.t.Helper()
	rc.tag++
	tag := fmt.Sprintf("L%d", rc.tag)
	fmt.Fprintf(rc.c, "%s %s{%d}\r\n", tag, prefix, len(lit))
	line := rc.readLine()
	if !strings.HasPrefix(line, "+") {
		return strings.TrimPrefix(line, tag+" ")
	}
	rc.c.Write(append(lit, []byte(suffix+"\r\n")...))
	for {
		rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := rc.r.ReadString('\n')
		if err != nil {
			return "closed: " + err.Error() // go-imap ends the connection on some malformed names
		}
		l = strings.TrimSuffix(l, "\r\n")
		if strings.HasPrefix(l, tag+" ") {
			return strings.TrimPrefix(l, tag+" ")
		}
	}
}

func TestIsolation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	if _, err := e.st.CreateMailbox(ctx, e.bob.ID, "Secret", ""); err != nil {
		t.Fatal(err)
	}
	e.deliver(e.bob, testMessage(1))
	e.deliver(e.alice, testMessage(2))
	a := e.rawLogin("alice@example.test")
	a.ok("SELECT INBOX")

	names := []string{
		"Secret", "../Secret", "../bob@example.test/INBOX", "bob@example.test/INBOX", "bob@example.test",
		"~bob/INBOX", "~bob@example.test/Secret", "#shared/Secret", "#user/bob/INBOX", "#mh/Secret",
		"/Secret", "./Secret", "%", "*", "Sec*", "Sec%", "INBOX/../../bob/Secret", `..\Secret`,
	}
	for _, name := range names {
		q := `"` + name + `"`
		for _, cmd := range []string{"STATUS " + q + " (MESSAGES)", "EXAMINE " + q, "APPEND " + q + ` {3+}` + "\r\nx\r\n", "COPY 1 " + q, "MOVE 1 " + q} {
			if cmd[:6] == "APPEND" {
				// LITERAL+ is not offered: send a synchronizing literal.
				got := a.cmdLiteral("APPEND "+q+" ", []byte("x\r\n"), "")
				if strings.HasPrefix(got, "OK") {
					t.Errorf("APPEND %s: %s", q, got)
				}
				continue
			}
			u, tagged := a.cmd(cmd)
			if strings.HasPrefix(tagged, "OK") {
				t.Errorf("%s: %s %q", cmd, tagged, u)
			}
			if cmd[:7] == "EXAMINE" {
				a.ok("SELECT INBOX") // a failed EXAMINE leaves nothing selected
			}
		}
		u := a.ok(`LIST "" ` + q)
		for _, l := range u {
			if strings.Contains(l, "Secret") || strings.Contains(l, "bob") {
				t.Errorf("LIST %s shows %q", q, l)
			}
		}
	}
	for _, lit := range [][]byte{[]byte("INBOX\x00bob"), []byte("Secret\x00"), []byte("\x00")} {
		if got := e.rawLogin("alice@example.test").cmdLiteral("STATUS ", lit, " (MESSAGES)"); strings.HasPrefix(got, "OK") {
			t.Errorf("STATUS %q: %s", lit, got)
		}
	}
	u := a.ok(`LIST "" "*"`)
	for _, l := range u {
		if strings.Contains(l, "Secret") {
			t.Errorf("alice's LIST * shows %q", l)
		}
	}
	// Bob's mail is untouched; nothing of alice's went anywhere.
	if mb, _ := e.st.MailboxByName(ctx, e.bob.ID, "INBOX"); mb.Messages != 1 {
		t.Errorf("bob's INBOX has %d messages", mb.Messages)
	}
	if mb, _ := e.st.MailboxByName(ctx, e.bob.ID, "Secret"); mb.Messages != 0 {
		t.Errorf("bob's Secret has %d messages", mb.Messages)
	}
	if mb, _ := e.st.MailboxByName(ctx, e.alice.ID, "INBOX"); mb.Messages != 1 {
		t.Errorf("alice's INBOX has %d messages", mb.Messages)
	}
}
