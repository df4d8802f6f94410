package main

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeListener returns the errors in errs, one per Accept, then conn,
// then net.ErrClosed.
type fakeListener struct {
	mu   sync.Mutex
	errs []error
	conn net.Conn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	if l.conn != nil {
		c := l.conn
		l.conn = nil
		return c, nil
	}
	return nil, net.ErrClosed
}
func (l *fakeListener) Close() error   { return nil }
func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

type recordingServer struct {
	conns    []net.Conn
	implicit []bool
}

func (s *recordingServer) ServeConn(c net.Conn, implicitTLS bool) {
	s.conns = append(s.conns, c)
	s.implicit = append(s.implicit, implicitTLS)
}

// TestAcceptLoopBacksOff: on EMFILE (and the other temporary errors) the
// loop sleeps 5 ms, doubling up to 1 s, as net/http does, never returns,
// hands the next connection to the server with its TLS mode, and ends
// quietly when the listener is closed.
func TestAcceptLoopBacksOff(t *testing.T) {
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	var errs []error
	for range 12 {
		errs = append(errs, emfile)
	}
	errs = append(errs, &net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ENFILE)},
		&net.OpError{Op: "accept", Err: os.NewSyscallError("accept4", syscall.ECONNABORTED)})
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	ln := &fakeListener{errs: errs, conn: c1}
	srv := &recordingServer{}
	var slept []time.Duration
	loop := &acceptLoop{
		ln: ln, srv: srv, implicitTLS: true, log: slog.New(slog.DiscardHandler),
		stop:  make(chan struct{}),
		sleep: func(d time.Duration, _ <-chan struct{}) { slept = append(slept, d) },
	}
	if err := loop.run(); err != nil {
		t.Fatalf("run: %v, want nil after the listener closed", err)
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 1000, 1000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(slept, want) {
		t.Errorf("back-off %v, want %v", slept, want)
	}
	if len(srv.conns) != 1 || srv.conns[0] != c1 || !srv.implicit[0] {
		t.Errorf("served %v (implicit %v), want the one connection with implicit TLS", srv.conns, srv.implicit)
	}
}

// TestAcceptLoopResetsBackOff: a successful accept starts the next run of
// failures at 5 ms again; an error that is not temporary ends the loop
// with that error.
func TestAcceptLoopResetsBackOff(t *testing.T) {
	emfile := os.NewSyscallError("accept4", syscall.EMFILE)
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	fatal := errors.New("listener broken")
	ln := &seqListener{steps: []any{emfile, emfile, c1, emfile, fatal}}
	var slept []time.Duration
	loop := &acceptLoop{
		ln: ln, srv: &recordingServer{}, log: slog.New(slog.DiscardHandler), stop: make(chan struct{}),
		sleep: func(d time.Duration, _ <-chan struct{}) { slept = append(slept, d) },
	}
	if err := loop.run(); !errors.Is(err, fatal) {
		t.Fatalf("run: %v, want %v", err, fatal)
	}
	if want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 5 * time.Millisecond}; !slices.Equal(slept, want) {
		t.Errorf("back-off %v, want %v", slept, want)
	}
}

// seqListener returns its steps in order: an error or a connection.
type seqListener struct {
	fakeListener
	steps []any
}

func (l *seqListener) Accept() (net.Conn, error) {
	if len(l.steps) == 0 {
		return nil, net.ErrClosed
	}
	s := l.steps[0]
	l.steps = l.steps[1:]
	if c, ok := s.(net.Conn); ok {
		return c, nil
	}
	return nil, s.(error)
}

// TestDescriptorLimitDoesNotStopServer runs serve with 60 descriptors
// (ulimit -n, soft and hard) and opens 80 IMAP connections, so accepting
// hits EMFILE. The server must stay up (it used to stop: imapd's accept
// loop returned and serve treated that as fatal, taking SMTP down with
// it), log the open file limit, and once the connections close, answer
// on SMTP and IMAP again.
func TestDescriptorLimitDoesNotStopServer(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "imap": "127.0.0.1:0"}, "")
	e.wrap = []string{"bash", "-c", `ulimit -n 60 && exec "$@"`, "bash"}
	s := e.start(t)
	if !strings.Contains(s.log.String(), "nofile=60") {
		t.Errorf("the open file limit is not logged as 60:\n%s", s.log)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 80 {
		c, err := net.DialTimeout("tcp", s.addrs["imap"], 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitLog(t, s, "accept failed; retrying")
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	select {
	case <-s.done:
		t.Fatalf("serve exited after EMFILE:\n%s", s.log)
	default:
	}
	expectGreeting(t, s.addrs["smtp"], "220 ")
	expectGreeting(t, s.addrs["imap"], "* OK")
	s.stop(t)
}

// TestSMTPPerIPDefault: with the default config, 50 SMTP connections from
// one address are served (Postfix's default destination concurrency of
// 20 fits), the 51st gets 421 4.7.0.
func TestSMTPPerIPDefault(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"}, "")
	s := e.start(t)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 51 {
		c, err := net.DialTimeout("tcp", s.addrs["smtp"], 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		want := "220 "
		if i == 50 {
			want = "421 4.7.0"
		}
		if !strings.HasPrefix(line, want) {
			t.Fatalf("connection %d: %q, %v; want %q", i+1, line, err, want)
		}
	}
	s.stop(t)
}

// TestListeningLogSaysImplicitTLS: the start-up line of each listener
// says implicit_tls=true exactly for 465, 995 and 993.
func TestListeningLogSaysImplicitTLS(t *testing.T) {
	keys := []string{"smtp", "submission", "submissions", "pop3", "pop3s", "imap", "imaps"}
	listen := map[string]string{}
	for _, k := range keys {
		listen[k] = "127.0.0.1:0"
	}
	e := newTestEnv(t, listen, "")
	s := e.start(t)
	s.stop(t)
	for _, k := range keys {
		want := fmt.Sprintf("implicit_tls=%v", strings.HasSuffix(k, "s"))
		found := false
		for _, line := range strings.Split(s.log.String(), "\n") {
			if strings.Contains(line, "msg=listening") && logField(line, "key") == k {
				found = true
				if !strings.Contains(line, want) {
					t.Errorf("[listen] %s: %s, want %s", k, line, want)
				}
			}
		}
		if !found {
			t.Errorf("no listening line for %s", k)
		}
	}
}

// waitLog waits until the server has logged substr.
func waitLog(t *testing.T, s *server, substr string) {
	t.Helper()
	deadline := time.Now().Add(startupLimit)
	for !strings.Contains(s.log.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", substr, s.log)
		}
		select {
		case <-s.done:
			t.Fatalf("serve exited before logging %q:\n%s", substr, s.log)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// expectGreeting connects to addr and reads a greeting starting with
// prefix (the accept loop may still be backing off: up to 1 s).
func expectGreeting(t *testing.T, addr, prefix string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("%s: greeting %q, %v; want %q", addr, line, err, prefix)
	}
}

// implicitTLSClients logs in over 993, 995 and 465 with Python's imaplib,
// poplib and smtplib (clients nobody here wrote), reads a message over
// IMAP and POP3, and prints what it saw.
const implicitTLSClients = `
import imaplib, poplib, smtplib, ssl, sys
imaps, pop3s, subs, user, pw = sys.argv[1:6]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def hp(a):
    h, p = a.rsplit(":", 1); return h, int(p)
s = smtplib.SMTP_SSL(*hp(subs), context=ctx)
s.login(user, pw)
s.sendmail(user, [user], "From: " + user + "\r\nTo: " + user + "\r\nSubject: over 465\r\n\r\nhello\r\n")
s.quit()
i = imaplib.IMAP4_SSL(*hp(imaps), ssl_context=ctx)
caps = i.capabilities
print("imap caps", "STARTTLS" in caps, "LOGINDISABLED" in caps)
i.login(user, pw)
i.select("INBOX")
typ, d = i.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
print("imap", d[0][1].decode().strip())
i.logout()
p = poplib.POP3_SSL(*hp(pop3s), context=ctx)
p.user(user); p.pass_(pw)
print("pop3", [l.decode() for l in p.retr(1)[1] if l.startswith(b"Subject:")][0])
p.quit()
`

// TestImplicitTLSWithPythonClients: submissions (465), imaps (993) and
// pop3s (995) all serve TLS from the first byte through the same path:
// Python's clients send a message on 465 and read it on 993 and 995;
// 993 offers neither STARTTLS nor LOGINDISABLED.
func TestImplicitTLSWithPythonClients(t *testing.T) {
	e := newTestEnv(t, map[string]string{"submissions": "127.0.0.1:0", "imaps": "127.0.0.1:0", "pop3s": "127.0.0.1:0"},
		`domains = ["example.test"]`)
	s := e.start(t)
	e.mustRun(t, "alice-secret\n", "user", "add", "alice@example.test", "--password-stdin")
	out, err := exec.Command("python3", "-c", implicitTLSClients, s.addrs["imaps"], s.addrs["pop3s"], s.addrs["submissions"],
		"alice@example.test", "alice-secret").CombinedOutput()
	if err != nil {
		t.Fatalf("python3 (Debian package python3): %v\n%s\nserver log:\n%s", err, out, s.log)
	}
	want := "imap caps False False\nimap Subject: over 465\npop3 Subject: over 465\n"
	if string(out) != want {
		t.Errorf("python said %q, want %q", out, want)
	}
	s.stop(t)
}
