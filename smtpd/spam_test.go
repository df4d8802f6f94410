package smtpd

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/smtpd/rspamd"
	"github.com/mailserver/mailserver/smtpd/rspamd/rspamdtest"
)

// One real rspamd (and its redis) for the package's tests, started by the
// first test that needs it and stopped by TestMain.
var (
	rspamdOnce sync.Once
	rspamdInst *rspamdtest.Instance
	rspamdErr  error
)

func sharedRspamd(t testing.TB) *rspamdtest.Instance {
	t.Helper()
	rspamdOnce.Do(func() { rspamdInst, rspamdErr = rspamdtest.Start(rspamdtest.Options{}) })
	if rspamdErr != nil {
		t.Fatal(rspamdErr)
	}
	return rspamdInst
}

func stopRspamd() {
	if rspamdInst != nil {
		rspamdInst.Stop()
	}
}

const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

func spamMessage(subject, extra, text string) string {
	return "From: Carol <carol@client.test>\r\nTo: <bob@example.test>\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@client.test>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
		extra + "\r\n" + text + "\r\n"
}

// sendMX sends one message on port 25 and returns DATA's error.
func sendMX(t *testing.T, e *testEnv, rcpt, msg string) error {
	t.Helper()
	c := e.dialMX()
	if err := c.Mail("carol@client.test", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	return w.Close()
}

func spamReply(err error) (int, smtp.EnhancedCode) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code, se.EnhancedCode
	}
	return 0, smtp.EnhancedCode{}
}

func field(msg, name string) (string, bool) {
	h := readHeaderBlock(strings.NewReader(msg))
	for _, f := range h.fields {
		if strings.EqualFold(f.name, name) {
			return strings.TrimSpace(h.value(f)), true
		}
	}
	return "", false
}

func TestSpamActionsWithRspamd(t *testing.T) {
	inst := sharedRspamd(t)
	scanner := &rspamd.Client{ScanURL: inst.ScanURL, Timeout: 20 * time.Second}
	e := newTestEnv(t, func(o *Options) { o.Spam = &SpamOptions{Scanner: scanner} })

	// Clean: INBOX, with the score but no spam flag; the sender's own
	// X-Spam fields are gone.
	if err := sendMX(t, e, "bob@example.test", spamMessage("clean", "X-Spam-Score: -100\r\nX-Spam: No\r\n", "Shall we meet at noon? The usual place.")); err != nil {
		t.Fatalf("clean message: %v", err)
	}
	msg, where := e.find("clean")
	if where != "INBOX" {
		t.Fatalf("clean message in %q", where)
	}
	if v, _ := field(msg, "X-Spam-Score"); v == "" || v == "-100" {
		t.Fatalf("X-Spam-Score %q in\n%s", v, msg)
	}
	if _, ok := field(msg, "X-Spam"); ok {
		t.Fatalf("X-Spam on a clean message:\n%s", msg)
	}
	if v, _ := field(msg, "X-Spamd-Result"); !strings.HasPrefix(v, "default: False [") {
		t.Fatalf("X-Spamd-Result %q", v)
	}

	// Between add header and reject: Junk, marked.
	if err := sendMX(t, e, "bob@example.test", spamMessage("junky", "X-Test-Spam: yes\r\n", "Shall we meet at noon?")); err != nil {
		t.Fatalf("junk message: %v", err)
	}
	msg, where = e.find("junky")
	if where != "Junk" {
		t.Fatalf("add-header message in %q", where)
	}
	if v, _ := field(msg, "X-Spam"); v != "Yes" {
		t.Fatalf("X-Spam %q:\n%s", v, msg)
	}
	if v, _ := field(msg, "X-Spamd-Result"); !strings.HasPrefix(v, "default: True [") || !strings.Contains(v, "TEST_SPAM_HEADER(8.00)") {
		t.Fatalf("X-Spamd-Result %q", v)
	}

	// Rewrite subject: Junk, with rspamd's subject instead of the sender's.
	if err := sendMX(t, e, "bob@example.test", spamMessage("tagme", "X-Test-Rewrite: yes\r\n", "Shall we meet at noon?")); err != nil {
		t.Fatalf("rewrite-subject message: %v", err)
	}
	msg, where = e.find("[SPAM] tagme")
	if where != "Junk" || strings.Contains(msg, "\r\nSubject: tagme\r\n") || !strings.Contains(msg, "\r\nX-Spam: Yes\r\n") {
		t.Fatalf("rewrite-subject message in %q:\n%s", where, msg)
	}

	// A user who wants spam in INBOX gets it there, marked.
	must(t, e.st.SetSpamToInbox(context.Background(), "bob@example.test", true))
	if err := sendMX(t, e, "bob@example.test", spamMessage("junky2", "X-Test-Spam: yes\r\n", "Shall we meet at noon?")); err != nil {
		t.Fatalf("junk message: %v", err)
	}
	if msg, where = e.find("junky2"); where != "INBOX" || !strings.Contains(msg, "\r\nX-Spam: Yes\r\n") {
		t.Fatalf("spam for an INBOX user in %q:\n%s", where, msg)
	}
	must(t, e.st.SetSpamToInbox(context.Background(), "bob@example.test", false))

	// GTUBE: 550 5.7.1 with rspamd's text; nothing stored.
	err := sendMX(t, e, "bob@example.test", spamMessage("gtube", "", gtube))
	if code, ec := spamReply(err); code != 550 || ec != (smtp.EnhancedCode{5, 7, 1}) || !strings.Contains(err.Error(), "Gtube") {
		t.Fatalf("GTUBE: %v", err)
	}
	if _, where := e.find("gtube"); where != "" {
		t.Fatalf("GTUBE stored in %s", where)
	}

	// Soft reject: 451 4.7.1; nothing stored.
	err = sendMX(t, e, "bob@example.test", spamMessage("soft", "X-Test-Soft: yes\r\n", "Shall we meet at noon?"))
	if code, ec := spamReply(err); code != 451 || ec != (smtp.EnhancedCode{4, 7, 1}) {
		t.Fatalf("soft reject: %v", err)
	}
	if _, where := e.find("soft"); where != "" {
		t.Fatalf("soft-rejected message stored in %s", where)
	}

	// Submission is not scanned by default: GTUBE from alice goes out.
	c := e.dialSubmission("alice@example.test", alicePass)
	if err := c.SendMail("alice@example.test", []string{"bob@example.test"},
		strings.NewReader("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: subgtube\r\n\r\n"+gtube+"\r\n")); err != nil {
		t.Fatalf("submission: %v", err)
	}
}

// hangingServer accepts connections and never answers.
func hangingServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestSpamFilterDown(t *testing.T) {
	for _, c := range []struct {
		name    string
		url     func(*testing.T) string
		onError SpamOnError
	}{
		{"stopped accept", closedPort, SpamAccept},
		{"stopped tempfail", closedPort, SpamTempFail},
		{"hanging accept", hangingServer, SpamAccept},
		{"hanging tempfail", hangingServer, SpamTempFail},
	} {
		t.Run(c.name, func(t *testing.T) {
			scanner := &rspamd.Client{ScanURL: c.url(t), Timeout: 300 * time.Millisecond}
			e := newTestEnv(t, func(o *Options) { o.Spam = &SpamOptions{Scanner: scanner, OnError: c.onError} })
			err := sendMX(t, e, "bob@example.test", spamMessage("down", "X-Spam-Status: No\r\n", "Shall we meet at noon?"))
			msg, where := e.find("down")
			if c.onError == SpamAccept {
				if err != nil || where != "INBOX" {
					t.Fatalf("DATA: %v; message in %q", err, where)
				}
				if v, _ := field(msg, "X-Spam-Status"); !strings.HasPrefix(v, "Unscanned") {
					t.Fatalf("X-Spam-Status %q:\n%s", v, msg)
				}
				return
			}
			if code, ec := spamReply(err); code != 451 || ec != (smtp.EnhancedCode{4, 7, 1}) {
				t.Fatalf("DATA: %v, want 451 4.7.1", err)
			}
			if where != "" {
				t.Fatalf("message stored in %s", where)
			}
		})
	}
}

// TestSpamBDAT: a message sent in BDAT chunks is scanned as a whole:
// GTUBE split over two chunks is refused, a clean one arrives scored.
func TestSpamBDAT(t *testing.T) {
	inst := sharedRspamd(t)
	scanner := &rspamd.Client{ScanURL: inst.ScanURL, Timeout: 20 * time.Second}
	e := newTestEnv(t, func(o *Options) { o.Spam = &SpamOptions{Scanner: scanner} })
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	send := func(msg string, want int) string {
		rc.cmd("MAIL FROM:<carol@client.test>", 250)
		rc.cmd("RCPT TO:<bob@example.test>", 250)
		half := len(msg) / 2
		rc.write("BDAT " + itoa(half) + "\r\n" + msg[:half])
		rc.expect(250)
		rc.write("BDAT " + itoa(len(msg)-half) + " LAST\r\n" + msg[half:])
		return rc.expect(want)
	}
	if text := send(spamMessage("bdatgtube", "", gtube), 550); !strings.HasPrefix(text, "5.7.1") {
		t.Fatalf("GTUBE over BDAT: %s", text)
	}
	send(spamMessage("bdatclean", "", "Shall we meet at noon? The usual place."), 250)
	rc.cmd("QUIT", 221)
	if msg, where := e.find("bdatclean"); where != "INBOX" || !strings.Contains(msg, "\r\nX-Spam-Score: ") {
		t.Fatalf("clean BDAT message in %q:\n%s", where, msg)
	}
	if _, where := e.find("bdatgtube"); where != "" {
		t.Fatalf("GTUBE stored in %s", where)
	}
}

// TestSpamScanSubmission: with Submission on, an authenticated user's
// GTUBE is refused too (a stolen password sending spam).
func TestSpamScanSubmission(t *testing.T) {
	inst := sharedRspamd(t)
	scanner := &rspamd.Client{ScanURL: inst.ScanURL, Timeout: 20 * time.Second}
	e := newTestEnv(t, func(o *Options) { o.Spam = &SpamOptions{Scanner: scanner, Submission: true} })
	c := e.dialSubmission("alice@example.test", alicePass)
	err := c.SendMail("alice@example.test", []string{"bob@example.test"},
		strings.NewReader("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: subgtube\r\n\r\n"+gtube+"\r\n"))
	if code, ec := spamReply(err); code != 550 || ec != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("GTUBE on submission: %v", err)
	}
	if _, where := e.find("subgtube"); where != "" {
		t.Fatalf("stored in %s", where)
	}
}
