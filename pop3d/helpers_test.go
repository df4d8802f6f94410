package pop3d

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

const (
	testDomain = "example.test"
	alice      = "alice@example.test"
	bob        = "bob@example.test"
	password   = "secret pass" // a space, as PASS must take the rest of the line
)

// testEnv is a store in a temporary directory, with users alice and bob,
// and a POP3 server on loopback: plain (STLS) and implicit TLS.
type testEnv struct {
	t         testing.TB
	dir       string
	st        *store.Store
	srv       *Server
	addr      string // plain listener
	tlsAddr   string // implicit TLS listener
	cert      *x509.Certificate
	certPEM   string // file with the certificate, for Python and curl
	users     map[string]*store.User
	accepting []*testAccept
}

// testTLS makes a self-signed certificate for 127.0.0.1 and localhost.
func testTLS(t testing.TB) (*tls.Config, *x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return cfg, cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("POP3D_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newEnv starts a server. edit may change the options before New.
func newEnv(t testing.TB, edit func(*Options)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dir: t.TempDir(), users: map[string]*store.User{}}
	e.openStore(nil)
	ctx := context.Background()
	if err := e.st.AddDomain(ctx, testDomain); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{alice, bob} {
		u, err := e.st.AddUser(ctx, a, password)
		if err != nil {
			t.Fatal(err)
		}
		e.users[a] = u
	}
	e.startServer(edit)
	return e
}

func (e *testEnv) openStore(opts *store.Options) {
	e.t.Helper()
	st, err := store.Open(filepath.Join(e.dir, "mail.db"), opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.t.Cleanup(func() { st.Close() })
}

func (e *testEnv) startServer(edit func(*Options)) {
	e.t.Helper()
	cfg, cert, certPEM := testTLS(e.t)
	e.cert = cert
	e.certPEM = filepath.Join(e.dir, "cert.pem")
	if err := os.WriteFile(e.certPEM, certPEM, 0o600); err != nil {
		e.t.Fatal(err)
	}
	opts := Options{
		Hostname:                 "pop.example.test",
		TLSConfig:                cfg,
		AllowPlaintextOnLoopback: true,
		Logger:                   testLogger(e.t),
	}
	if edit != nil {
		edit(&opts)
	}
	e.srv = New(e.st, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	e.addr, e.tlsAddr = ln.Addr().String(), tln.Addr().String()
	srv := e.srv
	e.accepting = []*testAccept{acceptInto(e.t, ln, srv, false), acceptInto(e.t, tln, srv, true)}
	e.t.Cleanup(func() { srv.Close() })
}

// restart stops the server and the store and opens both again on the same
// data directory (a server restart).
func (e *testEnv) restart() {
	e.t.Helper()
	if err := e.srv.Close(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.openStore(nil)
	e.startServer(nil)
}

// deliver appends body to user's INBOX and returns the UID.
func (e *testEnv) deliver(user, body string) uint32 {
	e.t.Helper()
	res, err := e.st.Append(context.Background(), e.users[user].ID, "INBOX", store.NewBody([]byte(body)), store.AppendOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.UID
}

func (e *testEnv) inbox(user string) []store.Message {
	e.t.Helper()
	ctx := context.Background()
	mb, err := e.st.MailboxByName(ctx, e.users[user].ID, "INBOX")
	if err != nil {
		e.t.Fatal(err)
	}
	msgs, err := e.st.ListMessages(ctx, e.users[user].ID, mb.ID, 1, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

// client is a raw POP3 client for protocol transcripts.
type client struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	c := dialRaw(t, addr)
	c.expectOK("")
	return c
}

// dialRaw connects without reading the greeting.
func dialRaw(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn, br: bufio.NewReader(conn)}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(time.Minute))
	return c
}

func dialTLS(t testing.TB, addr string, cert *x509.Certificate) *client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn, br: bufio.NewReader(conn)}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(time.Minute))
	c.expectOK("")
	return c
}

// starttls upgrades the connection after a +OK to STLS.
func (c *client) starttls(cert *x509.Certificate) {
	c.t.Helper()
	c.expectOK("STLS")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	tc := tls.Client(c.conn, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn = tc
	c.br = bufio.NewReader(tc)
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// readLine reads one line without its CRLF.
func (c *client) readLine() string {
	c.t.Helper()
	line, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (got %q)", err, line)
	}
	if !strings.HasSuffix(line, "\r\n") {
		c.t.Fatalf("line without CRLF: %q", line)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// cmd sends line (unless empty) and returns the one-line reply.
func (c *client) cmd(line string) string {
	c.t.Helper()
	if line != "" {
		c.send(line)
	}
	return c.readLine()
}

func (c *client) expectOK(line string) string {
	c.t.Helper()
	r := c.cmd(line)
	if !strings.HasPrefix(r, "+OK") {
		c.t.Fatalf("%q: got %q, want +OK", line, r)
	}
	return r
}

func (c *client) expectErr(line, prefix string) string {
	c.t.Helper()
	r := c.cmd(line)
	if !strings.HasPrefix(r, "-ERR"+prefix) {
		c.t.Fatalf("%q: got %q, want -ERR%s", line, r, prefix)
	}
	return r
}

// multi sends line, expects +OK and returns the status line and the
// response's lines, byte-stuffing removed.
func (c *client) multi(line string) (string, []string) {
	c.t.Helper()
	status := c.expectOK(line)
	var lines []string
	for {
		l := c.readLine()
		if l == "." {
			return status, lines
		}
		lines = append(lines, strings.TrimPrefix(l, "."))
	}
}

// data sends line, expects +OK and returns the status and the multi-line
// payload exactly as sent (CRLFs included, still byte-stuffed), without the
// terminating ".\r\n".
func (c *client) data(line string) (string, []byte) {
	c.t.Helper()
	status := c.expectOK(line)
	var buf bytes.Buffer
	for {
		l, err := c.br.ReadBytes('\n')
		if err != nil {
			c.t.Fatalf("%s: %v", line, err)
		}
		if string(l) == ".\r\n" {
			return status, buf.Bytes()
		}
		buf.Write(l)
	}
}

// unstuff removes the byte-stuffing of a multi-line payload.
func unstuff(p []byte) []byte {
	var out []byte
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		line := p
		if i >= 0 {
			line = p[:i+1]
		}
		p = p[len(line):]
		if line[0] == '.' {
			line = line[1:]
		}
		out = append(out, line...)
	}
	return out
}

func (c *client) login(user string) {
	c.t.Helper()
	c.expectOK("USER " + user)
	c.expectOK("PASS " + password)
}

// expectClosed checks that the server closed the connection, having sent
// nothing more.
func (c *client) expectClosed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	b, err := c.br.ReadByte()
	if err == nil {
		rest, _ := c.br.ReadString('\n')
		c.t.Fatalf("connection not closed: got %q", string(b)+rest)
	}
	if !errors.Is(err, io.EOF) && !isReset(err) {
		c.t.Fatalf("read: %v, want EOF", err)
	}
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

// loginEventually logs in, retrying while the maildrop is still locked by
// a session the server has not yet seen end.
func loginEventually(t *testing.T, addr, user string) *client {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := dial(t, addr)
		c.expectOK("USER " + user)
		r := c.cmd("PASS " + password)
		if strings.HasPrefix(r, "+OK") {
			return c
		}
		if !strings.HasPrefix(r, "-ERR [IN-USE]") || time.Now().After(deadline) {
			t.Fatalf("login: %q", r)
		}
		c.conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

// dialErr connects and reads the greeting, reporting failures.
func dialErr(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	return bufio.NewReader(conn).ReadString('\n')
}
