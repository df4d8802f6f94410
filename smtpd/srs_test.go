package smtpd

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue"
)

// srsRemote is the remote SMTP server an alias forwards to (and the
// original sender's server the bounce goes back to): it records each
// transaction's envelope.
type srsRemote struct {
	txns chan srsTxn
}

type srsTxn struct {
	from  string
	rcpts []string
	data  string
}

func (r *srsRemote) NewSession(*smtp.Conn) (smtp.Session, error) { return &srsRemoteSession{r: r}, nil }

type srsRemoteSession struct {
	r   *srsRemote
	cur srsTxn
}

func (s *srsRemoteSession) Reset()        { s.cur = srsTxn{} }
func (s *srsRemoteSession) Logout() error { return nil }
func (s *srsRemoteSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur = srsTxn{from: from}
	return nil
}
func (s *srsRemoteSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == "gone@remote.test" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.cur.rcpts = append(s.cur.rcpts, to)
	return nil
}
func (s *srsRemoteSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.r.txns <- s.cur
	return nil
}

// srsEnv is testEnv plus a running queue that relays all remote mail to
// a recording server, and a port-25 listener that submits to it.
type srsEnv struct {
	*testEnv
	mxRun string // MX listener whose queue delivers
	txns  chan srsTxn
}

func newSRSEnv(t *testing.T) *srsEnv {
	t.Helper()
	e := newTestEnv(t, nil)
	must(t, e.st.AddAlias(context.Background(), "fwd@example.test", []string{"carol@remote.test"}))
	must(t, e.st.AddAlias(context.Background(), "old@example.test", []string{"gone@remote.test"}))
	rem := &srsRemote{txns: make(chan srsTxn, 8)}
	rs := smtp.NewServer(rem)
	rs.Domain = "remote.test"
	rln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go rs.Serve(rln)
	t.Cleanup(func() { rs.Close() })

	logger := slog.New(slog.NewTextHandler(newTestWriter(t), &slog.HandlerOptions{Level: slog.LevelWarn}))
	q := queue.New(e.st, queue.Options{Hostname: "mx.example.test", Logger: logger,
		Relay: &queue.Relay{Host: rln.Addr().String()}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	srv, err := NewServer(Options{Mode: ModeMX, Hostname: "mx.example.test", Store: e.st, Queue: q, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acceptInto(t, ln, srv, false)
	t.Cleanup(func() { srv.Close() })
	return &srsEnv{testEnv: e, mxRun: ln.Addr().String(), txns: rem.txns}
}

// next waits for the remote's next transaction.
func (e *srsEnv) next(t *testing.T) srsTxn {
	t.Helper()
	select {
	case tx := <-e.txns:
		return tx
	case <-time.After(20 * time.Second):
		t.Fatal("the remote server got no message")
		return srsTxn{}
	}
}

// TestSRSForwardAndBounceRoundTrip: a message from an internet sender to
// an alias forwarding to a remote address (sent with Python's smtplib)
// reaches the remote with an SRS0 sender of the alias's domain, which
// passes SPF (blitiri spf, fake DNS publishing only our address for
// example.test) where the original sender would fail; the remote's
// bounce to that address, sent to our port 25 by a client with no relay
// right, is accepted and relayed to the original sender with the null
// sender, while a plain remote recipient in the same session is refused.
func TestSRSForwardAndBounceRoundTrip(t *testing.T) {
	e := newSRSEnv(t)
	script := `
import smtplib, sys
h, p = sys.argv[1].rsplit(":", 1)
with smtplib.SMTP(h, int(p), local_hostname="mail.sender.test") as s:
    s.sendmail("dave@sender.test", ["fwd@example.test"], b"From: dave@sender.test\r\nTo: fwd@example.test\r\nSubject: forwarded\r\n\r\nhello\r\n")
`
	if out, err := exec.Command("python3", "-c", script, e.mxRun).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	fw := e.next(t)
	if len(fw.rcpts) != 1 || fw.rcpts[0] != "carol@remote.test" || !strings.Contains(fw.data, "Subject: forwarded") {
		t.Fatalf("forward: %+v", fw)
	}
	if !strings.HasPrefix(fw.from, "SRS0=") || !strings.HasSuffix(fw.from, "=sender.test=dave@example.test") {
		t.Fatalf("forward MAIL FROM %q, want SRS0=HHHH=TT=sender.test=dave@example.test", fw.from)
	}

	dns := newFakeDNS(t)
	dns.addTXT("example.test", "v=spf1 ip4:127.0.0.1 -all")
	dns.addTXT("sender.test", "v=spf1 ip4:192.0.2.1 -all")
	ip := net.ParseIP("127.0.0.1")
	check := func(from string) spf.Result {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, _ := spf.CheckHostWithSender(ip, "mx.example.test", from, spf.WithResolver(dns.resolver()), spf.WithContext(ctx))
		return r
	}
	if r := check(fw.from); r != spf.Pass {
		t.Errorf("SPF for the SRS sender %s: %s, want pass", fw.from, r)
	}
	if r := check("dave@sender.test"); r != spf.Fail {
		t.Errorf("SPF for the original sender: %s, want fail (why SRS is needed)", r)
	}

	// The remote bounces: null sender, to the SRS address, on port 25.
	c, err := smtp.Dial(e.mxRun)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	must(t, c.Hello("remote.test"))
	must(t, c.Mail("", nil))
	var se *smtp.SMTPError
	if err := c.Rcpt("someone@elsewhere.test", nil); !errors.As(err, &se) || se.Code/100 != 5 {
		t.Fatalf("RCPT to a remote address without relay right: %v, want 5xx", err)
	}
	must(t, c.Rcpt(fw.from, nil))
	w, err := c.Data()
	must(t, err)
	_, err = io.WriteString(w, "From: MAILER-DAEMON@remote.test\r\nTo: "+fw.from+"\r\nSubject: Undelivered Mail\r\n\r\ncarol is gone\r\n")
	must(t, err)
	must(t, w.Close())
	must(t, c.Quit())

	bounce := e.next(t)
	if bounce.from != "" || len(bounce.rcpts) != 1 || bounce.rcpts[0] != "dave@sender.test" || !strings.Contains(bounce.data, "carol is gone") {
		t.Fatalf("bounce reached the remote as %+v, want <> to dave@sender.test", bounce)
	}
}

// TestSRSQueueBounceOfFailedForward: when the remote refuses the
// forwarded copy, the queue's own DSN, addressed to the SRS sender, is
// decoded and relayed to the original sender with the null sender.
func TestSRSQueueBounceOfFailedForward(t *testing.T) {
	e := newSRSEnv(t)
	c, err := smtp.Dial(e.mxRun)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	must(t, c.SendMail("dave@sender.test", []string{"old@example.test"},
		strings.NewReader("From: dave@sender.test\r\nSubject: to an old address\r\n\r\nhi\r\n")))
	dsn := e.next(t)
	if dsn.from != "" || len(dsn.rcpts) != 1 || dsn.rcpts[0] != "dave@sender.test" ||
		!strings.Contains(dsn.data, "multipart/report") || !strings.Contains(dsn.data, "gone@remote.test") {
		t.Fatalf("DSN reached the remote as from %q to %v:\n%s", dsn.from, dsn.rcpts, dsn.data)
	}
}

// TestSRSForgedOrExpiredRefusedAtRcpt: on port 25, a valid SRS address
// of a local domain is accepted at RCPT; the same with one hash character
// changed, with the local part changed, or minted 22 days ago (beyond
// srs.MaxAge), is refused with 550 5.1.1, so SRS addresses open no relay.
func TestSRSForgedOrExpiredRefusedAtRcpt(t *testing.T) {
	e := newTestEnv(t, nil)
	now := time.Now()
	valid, err := e.st.SRSForward("dave@sender.test", "example.test", now)
	must(t, err)
	old, err := e.st.SRSForward("dave@sender.test", "example.test", now.Add(-22*24*time.Hour))
	must(t, err)
	h := []byte(valid)
	if h[5] == 'A' || h[5] == 'a' {
		h[5] = 'B'
	} else {
		h[5] = 'A'
	}
	tampered := string(h)
	otherUser := strings.Replace(valid, "=dave@", "=mallory@", 1)
	// As in libsrs2 the hash does not cover the forwarder's domain, so
	// the address is valid at any local domain (it still only reaches
	// dave); a forged one is refused there too, before the catch-all.
	foreign := strings.Replace(valid, "@example.test", "@catchall.test", 1)
	forgedCatchall := strings.Replace(tampered, "@example.test", "@catchall.test", 1)

	c := e.dialMX()
	must(t, c.Mail("", nil))
	must(t, c.Rcpt(valid, nil))
	must(t, c.Rcpt(foreign, nil))
	for _, a := range []string{tampered, otherUser, old, forgedCatchall, "SRS0=xxxx=ZZ=sender.test=dave@example.test", "SRS1=abcd=hop.test@example.test"} {
		var se *smtp.SMTPError
		if err := c.Rcpt(a, nil); !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
			t.Errorf("RCPT TO:<%s>: %v, want 550 5.1.1", a, err)
		}
	}
}
