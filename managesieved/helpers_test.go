package managesieved

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
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
	password   = "secret pass"
)

// fakeCheck stands in for sieve.Parse: a script is valid when every line
// is empty, a comment, or starts with a word of a small command set; the
// error has *sieve.Error's form.
func fakeCheck(script []byte) error {
	if string(script) == "two lines" {
		return errors.New("line 1, column 1: two\nlines")
	}
	known := map[string]bool{"require": true, "if": true, "elsif": true, "else": true, "keep;": true, "keep": true,
		"discard;": true, "stop;": true, "fileinto": true, "redirect": true, "}": true, "vacation": true}
	for i, line := range strings.Split(string(script), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || known[f[0]] {
			continue
		}
		col := strings.Index(line, f[0]) + 1
		return fmt.Errorf("line %d, column %d: unknown command %q", i+1, col, strings.TrimSuffix(f[0], ";"))
	}
	return nil
}

type testEnv struct {
	t       testing.TB
	dir     string
	st      *store.Store
	srv     *Server
	addr    string
	tlsAddr string
	tlsCfg  *tls.Config // the server's
	certPEM string      // file with the certificate
	cert    *x509.Certificate
	users   map[string]*store.User
}

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

func testLogger() *slog.Logger {
	if os.Getenv("MANAGESIEVED_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newEnv starts a server on loopback (plain with STARTTLS, and implicit
// TLS) over a store with alice and bob. edit may change the options.
func newEnv(t testing.TB, edit func(*Options)) *testEnv {
	t.Helper()
	return newEnvStore(t, &store.Options{AuthDelays: []time.Duration{0}}, edit)
}

// newEnvStore is newEnv with the store's options.
func newEnvStore(t testing.TB, storeOpts *store.Options, edit func(*Options)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dir: t.TempDir(), users: map[string]*store.User{}}
	st, err := store.Open(filepath.Join(e.dir, "mail.db"), storeOpts)
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.AddDomain(ctx, testDomain); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{alice, bob} {
		u, err := st.AddUser(ctx, a, password)
		if err != nil {
			t.Fatal(err)
		}
		e.users[a] = u
	}
	cfg, cert, certPEM := testTLS(t)
	e.tlsCfg, e.cert = cfg, cert
	e.certPEM = filepath.Join(e.dir, "cert.pem")
	if err := os.WriteFile(e.certPEM, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Store:                    st,
		Check:                    fakeCheck,
		Extensions:               []string{"fileinto", "vacation", "imap4flags"},
		MaxRedirects:             4,
		TLSConfig:                cfg,
		AllowPlaintextOnLoopback: true,
		Logger:                   testLogger(),
	}
	if edit != nil {
		edit(&opts)
	}
	srv, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.addr = e.serve(false)
	e.tlsAddr = e.serve(true)
	t.Cleanup(func() { srv.Close() })
	return e
}

// serve starts an accept loop on a new loopback listener, stopped by the
// test's cleanup.
func (e *testEnv) serve(implicitTLS bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.srv.ServeConn(c, implicitTLS)
		}
	}()
	e.t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// client is a raw ManageSieve client for transcripts.
type client struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
}

// dial connects and reads the greeting (capabilities and OK).
func dial(t testing.TB, addr string) *client {
	t.Helper()
	c := dialRaw(t, addr)
	c.capabilities()
	return c
}

func dialRaw(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t: t, conn: conn, br: bufio.NewReader(conn)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// line reads one response line without CRLF.
func (c *client) line() string {
	c.t.Helper()
	l, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read (after %q): %v", l, err)
	}
	if !strings.HasSuffix(l, "\r\n") {
		c.t.Fatalf("line %q does not end in CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// expect reads one line and checks it starts with prefix.
func (c *client) expect(prefix string) string {
	c.t.Helper()
	l := c.line()
	if !strings.HasPrefix(l, prefix) {
		c.t.Fatalf("got %q, want %q...", l, prefix)
	}
	return l
}

// cmd sends a command line and checks the first response line.
func (c *client) cmd(line, prefix string) string {
	c.t.Helper()
	c.send(line + "\r\n")
	return c.expect(prefix)
}

// capabilities reads capability lines up to the OK and returns them by name.
func (c *client) capabilities() map[string]string {
	c.t.Helper()
	caps := map[string]string{}
	for {
		l := c.line()
		if strings.HasPrefix(l, "OK") {
			return caps
		}
		name, value, _ := strings.Cut(l, " ")
		if !strings.HasPrefix(name, `"`) {
			c.t.Fatalf("capability line %q", l)
		}
		caps[strings.Trim(name, `"`)] = strings.Trim(value, `"`)
	}
}

// login authenticates with PLAIN and an initial response.
func (c *client) login(user, pass string) {
	c.t.Helper()
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	c.cmd(`AUTHENTICATE "PLAIN" "`+ir+`"`, "OK")
}

// starttls upgrades the connection and reads the re-issued capabilities.
func (c *client) starttls() map[string]string {
	c.t.Helper()
	c.cmd("STARTTLS", "OK")
	tc := tls.Client(c.conn, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.br = tc, bufio.NewReader(tc)
	return c.capabilities()
}

// literal reads a {n} line and its octets and the CRLF after them.
func (c *client) literal(head string) string {
	c.t.Helper()
	var n int
	if _, err := fmt.Sscanf(head, "{%d}", &n); err != nil {
		c.t.Fatalf("literal header %q: %v", head, err)
	}
	b := make([]byte, n+2)
	if _, err := readFull(c.br, b); err != nil {
		c.t.Fatal(err)
	}
	if string(b[n:]) != "\r\n" {
		c.t.Fatalf("literal not followed by CRLF: %q", b[n:])
	}
	return string(b[:n])
}

func readFull(br *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := br.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// closed checks that the server closed the connection.
func (c *client) closed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := c.br.ReadString('\n')
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatalf("connection still open (read %q, %v)", l, err)
	}
}

// putLiteral is a PUTSCRIPT with the script as a non-synchronizing literal.
func putLiteral(name, script string) string {
	return fmt.Sprintf("PUTSCRIPT %q {%d+}\r\n%s", name, len(script), script)
}
