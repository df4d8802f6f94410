package smtpd

import (
	"context"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// sieveMX is a port-25 server whose queue runs the users' Sieve scripts.
type sieveMX struct {
	st         *store.Store
	addr       string
	alice, bob *store.User
}

func newSieveMX(t *testing.T) *sieveMX {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	must(t, st.AddDomain(ctx, "example.test"))
	m := &sieveMX{st: st}
	if m.alice, err = st.AddUser(ctx, "alice@example.test", alicePass); err != nil {
		t.Fatal(err)
	}
	if m.bob, err = st.AddUser(ctx, "bob@example.test", bobPass); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(newTestWriter(t), &slog.HandlerOptions{Level: slog.LevelInfo}))
	q := queue.New(st, queue.Options{Hostname: "mx.example.test", Logger: logger, Sieve: queue.SieveOptions{Store: st}})
	srv, err := NewServer(Options{Mode: ModeMX, Hostname: "mx.example.test", Store: st, Queue: q, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	acceptInto(t, ln, srv, false)
	return m
}

func (m *sieveMX) activate(t *testing.T, u *store.User, script string) {
	t.Helper()
	ctx := context.Background()
	must(t, m.st.PutSieveScript(ctx, u.ID, "rules", []byte(script)))
	must(t, m.st.SetActiveSieveScript(ctx, u.ID, "rules"))
}

func (m *sieveMX) inbox(t *testing.T, u *store.User) int {
	t.Helper()
	mb, err := m.st.MailboxByName(context.Background(), u.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return int(mb.Messages)
}

// smtplibSend sends one message with Python's smtplib (a client nobody
// here wrote) and prints "OK" or the refusal's code and text.
const smtplibSend = `
import smtplib, sys
host, port = sys.argv[1].rsplit(":", 1)
rcpts = sys.argv[2].split(",")
msg = "From: dave@remote.test\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <x1@remote.test>\r\n\r\nhello\r\n" % (rcpts[0], sys.argv[3])
s = smtplib.SMTP(host, int(port))
s.ehlo("client.remote.test")
try:
    refused = s.sendmail("dave@remote.test", rcpts, msg)
    print("OK", refused)
except smtplib.SMTPDataError as e:
    print("DATA", e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPRecipientsRefused as e:
    print("RCPT", e.recipients)
s.quit()
`

func smtplibRun(t *testing.T, addr, rcpts, subject string) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", smtplibSend, addr, rcpts, subject).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 smtplib (Debian package python3): %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestSieveRejectAtData: a Sieve reject of the only recipient is a 550
// 5.7.1 with the script's reason at DATA, nothing stored; with a second
// recipient the message is accepted, delivered to the other, and the
// sender gets a DSN (RFC 5429 §2.1). Discard is accepted with 250.
func TestSieveRejectAtData(t *testing.T) {
	m := newSieveMX(t)
	m.activate(t, m.alice, `require ["reject"];
if header :contains "subject" "offer" { reject "No offers, thanks."; }
elsif header :contains "subject" "junk" { discard; }`)
	if got := smtplibRun(t, m.addr, "alice@example.test", "special offer"); got != "DATA 550 5.7.1 No offers, thanks." {
		t.Fatalf("smtplib: %s", got)
	}
	if n := m.inbox(t, m.alice); n != 0 {
		t.Fatalf("alice's INBOX has %d messages after a reject", n)
	}
	if l, _ := m.st.QueueList(context.Background()); len(l) != 0 {
		t.Fatalf("%d queued after a reject at DATA", len(l))
	}

	if got := smtplibRun(t, m.addr, "alice@example.test,bob@example.test", "another offer"); got != "OK {}" {
		t.Fatalf("smtplib with two recipients: %s", got)
	}
	if m.inbox(t, m.alice) != 0 || m.inbox(t, m.bob) != 1 {
		t.Fatalf("INBOX counts alice %d, bob %d; want 0, 1", m.inbox(t, m.alice), m.inbox(t, m.bob))
	}
	l, err := m.st.QueueList(context.Background())
	if err != nil || len(l) != 1 {
		t.Fatalf("queue: %v, %v; want the DSN", l, err)
	}
	if l[0].Sender != "" || len(l[0].Recipients) != 1 || l[0].Recipients[0].Address != "dave@remote.test" {
		t.Fatalf("DSN entry %+v", l[0])
	}
	dsn, err := m.st.ReadBodyBytes(l[0].BodyID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Final-Recipient: rfc822; alice@example.test", "Status: 5.7.1", "No offers, thanks."} {
		if !strings.Contains(string(dsn), want) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn)
		}
	}

	if got := smtplibRun(t, m.addr, "alice@example.test", "junk mail"); got != "OK {}" {
		t.Fatalf("smtplib, discarded: %s", got)
	}
	if n := m.inbox(t, m.alice); n != 0 {
		t.Fatalf("a discarded message was stored")
	}
}
