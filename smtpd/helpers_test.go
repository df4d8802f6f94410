package smtpd

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// Test fixtures: one local domain with users, an alias and a subaddress
// target, and a second local domain with a catch-all.
const (
	alicePass = "alice secret"
	bobPass   = "bob secret"
)

// testEnv is a store, a queue and the three SMTP servers on loopback.
type testEnv struct {
	t          testing.TB
	st         *store.Store
	q          *queue.Queue
	tlsServer  *tls.Config
	tlsClient  *tls.Config
	mx, sub    string // addresses of the smtp and submission listeners
	subs       string // submissions (implicit TLS)
	servers    []*Server
	accepting  []*testAccept
	alice, bob *store.User
}

// newTestEnv starts everything; tweak adjusts the options of all three
// servers before they start.
func newTestEnv(t testing.TB, tweak func(*Options)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	// Login delays of milliseconds and a short guessing run, so that
	// throttling tests do not wait for the defaults (seconds, 100 guesses).
	st, err := store.Open(filepath.Join(dir, "mail.db"), &store.Options{
		AuthDelays: []time.Duration{0, time.Millisecond}, AuthGuessLimit: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &testEnv{t: t, st: st}
	ctx := context.Background()
	for _, d := range []string{"example.test", "catchall.test"} {
		if err := st.AddDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if e.alice, err = st.AddUser(ctx, "alice@example.test", alicePass); err != nil {
		t.Fatal(err)
	}
	if e.bob, err = st.AddUser(ctx, "bob@example.test", bobPass); err != nil {
		t.Fatal(err)
	}
	must(t, st.AddAlias(ctx, "postmaster@example.test", []string{"alice@example.test"}))
	must(t, st.AddAlias(ctx, "team@example.test", []string{"alice@example.test", "bob@example.test", "carol@remote.test"}))
	must(t, st.AddAlias(ctx, "@catchall.test", []string{"bob@example.test"}))

	e.q = queue.New(st, queue.Options{Hostname: "mx.example.test"})
	e.tlsServer, e.tlsClient = testCerts(t)
	logger := slog.New(slog.NewTextHandler(newTestWriter(t), &slog.HandlerOptions{Level: slog.LevelWarn}))
	limiter := NewConnLimiter(0, 0)
	addrs := make([]string, 3)
	for i, mode := range []Mode{ModeMX, ModeSubmission, ModeSubmissions} {
		opts := Options{
			Mode: mode, Hostname: "mx.example.test", Store: st, Queue: e.q,
			TLSConfig: e.tlsServer, Logger: logger, Limiter: limiter,
			AllowPlaintextOnLoopback: false,
		}
		if tweak != nil {
			tweak(&opts)
		}
		srv, err := NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		e.servers = append(e.servers, srv)
		e.accepting = append(e.accepting, acceptInto(t, ln, srv, mode == ModeSubmissions))
	}
	e.mx, e.sub, e.subs = addrs[0], addrs[1], addrs[2]
	t.Cleanup(func() {
		for _, s := range e.servers {
			s.Close()
		}
	})
	return e
}

// shutdown stops the servers gracefully (waiting for messages in flight).
func (e *testEnv) shutdown() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, a := range e.accepting {
		a.stop()
	}
	for _, s := range e.servers {
		if err := s.Shutdown(ctx); err != nil {
			e.t.Errorf("Shutdown: %v", err)
		}
	}
}

// inbox returns the bodies of the messages in a user's INBOX.
func (e *testEnv) inbox(address string) []string {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.st.UserByAddress(ctx, address)
	if err != nil {
		e.t.Fatal(err)
	}
	mb, err := e.st.MailboxByName(ctx, u.ID, "INBOX")
	if err != nil {
		e.t.Fatal(err)
	}
	msgs, err := e.st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		b, err := e.st.ReadBodyBytes(m.BodyID)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// queued returns the outbound queue's entries.
func (e *testEnv) queued() []store.QueuedMessage {
	e.t.Helper()
	qm, err := e.st.QueueList(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return qm
}

// dialMX connects the go-smtp client to the MX port and says EHLO.
func (e *testEnv) dialMX() *smtp.Client {
	e.t.Helper()
	c, err := smtp.Dial(e.mx)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := c.Hello("client.test"); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// dialSubmission connects to 587 with STARTTLS and authenticates.
func (e *testEnv) dialSubmission(user, pass string) *smtp.Client {
	e.t.Helper()
	c, err := smtp.DialStartTLS(e.sub, e.tlsClient)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		e.t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
		e.t.Fatalf("AUTH: %v", err)
	}
	return c
}

// send runs one transaction on c and returns the error of the first step
// that failed.
func send(c *smtp.Client, from string, to []string, msg string) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	return w.Close()
}

// smtpCode extracts the reply code of a go-smtp client error (0 if none).
func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// rawConn is a line-level client for exact protocol transcripts.
type rawClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	rc := &rawClient{t: t, c: c, r: bufio.NewReader(c)}
	rc.expect(220)
	return rc
}

// write sends s as it is (no line ending added).
func (rc *rawClient) write(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// readReply reads one (possibly multi-line) reply: its code and text.
func (rc *rawClient) readReply() (int, string, error) {
	var text []string
	for {
		line, err := rc.r.ReadString('\n')
		if err != nil {
			return 0, strings.Join(text, "\n"), err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 {
			return 0, line, fmt.Errorf("short reply %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return 0, line, fmt.Errorf("bad reply %q", line)
		}
		text = append(text, line[4:])
		if line[3] == ' ' {
			return code, strings.Join(text, "\n"), nil
		}
	}
}

// expect reads a reply and fails unless its code is want.
func (rc *rawClient) expect(want int) string {
	rc.t.Helper()
	code, text, err := rc.readReply()
	if err != nil {
		rc.t.Fatalf("reading reply (want %d): %v", want, err)
	}
	if code != want {
		rc.t.Fatalf("got %d %s, want %d", code, text, want)
	}
	return text
}

// cmd sends a command line and expects a reply code.
func (rc *rawClient) cmd(line string, want int) string {
	rc.t.Helper()
	rc.write(line + "\r\n")
	return rc.expect(want)
}

func itoa(n int) string { return strconv.Itoa(n) }

func netDial(addr string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err == nil {
		c.SetDeadline(time.Now().Add(30 * time.Second))
	}
	return c, err
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

// testCerts makes a self-signed certificate for 127.0.0.1 and localhost.
func testCerts(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	client = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	return server, client
}

// testWriter sends log output to t.Log until the test ends (sessions may
// still log while the servers close).
type testWriter struct {
	t    testing.TB
	done *atomic.Bool
}

func newTestWriter(t testing.TB) testWriter {
	w := testWriter{t: t, done: new(atomic.Bool)}
	t.Cleanup(func() { w.done.Store(true) })
	return w
}

func (w testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// message builds a small RFC 5322 message.
func message(from, to, subject string) string {
	return "From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@client.test>\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\nHello " + to + "\r\n"
}

// notLoopback makes every client count as remote (AUTH needs TLS).
func notLoopback(netip.Addr) bool { return false }
