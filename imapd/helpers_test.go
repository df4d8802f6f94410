package imapd

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mailserver/mailserver/store"
)

// testEnv is a running server over a fresh store with two users.
type testEnv struct {
	t      testing.TB
	st     *store.Store
	srv    *Server
	addr   string
	alice  *store.User
	bob    *store.User
	tlsCfg *tls.Config // client side: trusts the test certificate
}

const testPass = "correct horse battery"

func newTestEnv(t testing.TB, mod ...func(*Options)) *testEnv {
	t.Helper()
	// Login delays of milliseconds and a short guessing run, so that
	// throttling tests do not wait for the defaults (seconds, 100 guesses).
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), &store.Options{
		AuthDelays: []time.Duration{0, time.Millisecond}, AuthGuessLimit: 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	alice, err := st.AddUser(ctx, "alice@example.test", testPass)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := st.AddUser(ctx, "bob@example.test", testPass)
	if err != nil {
		t.Fatal(err)
	}
	serverTLS, clientTLS := testCerts(t)
	opts := Options{Store: st, TLSConfig: serverTLS, AllowPlaintextOnLoopback: true, Logger: testLogger()}
	for _, m := range mod {
		m(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	acceptInto(t, ln, srv, false)
	return &testEnv{t: t, st: st, srv: srv, addr: ln.Addr().String(), alice: alice, bob: bob, tlsCfg: clientTLS}
}

func testLogger() *slog.Logger {
	if os.Getenv("IMAPD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}

// testCerts makes a self-signed certificate for 127.0.0.1 and localhost.
func testCerts(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// client logs in as user over plaintext loopback with the go-imap client.
func (e *testEnv) client(user string, h *imapclient.UnilateralDataHandler) *imapclient.Client {
	e.t.Helper()
	c, err := imapclient.DialInsecure(e.addr, &imapclient.Options{UnilateralDataHandler: h})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	if err := c.Login(user, testPass).Wait(); err != nil {
		e.t.Fatalf("login %s: %v", user, err)
	}
	return c
}

// deliver stores a message in a user's INBOX the way SMTP acceptance does
// (store.Submit with a local delivery).
func (e *testEnv) deliver(u *store.User, msg string) uint32 {
	e.t.Helper()
	res, err := e.st.Submit(context.Background(), &store.Submission{
		Body:  store.NewBody([]byte(msg)),
		Local: []store.LocalDelivery{{UserID: u.ID}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if res.Local[0].Err != nil {
		e.t.Fatal(res.Local[0].Err)
	}
	return res.Local[0].UID
}

func testMessage(n int) string {
	return fmt.Sprintf("From: Sender <sender@example.org>\r\nTo: alice@example.test\r\nSubject: message %d\r\n"+
		"Date: Mon, 02 Jan 2006 15:04:05 -0700\r\nMessage-ID: <m%d@example.org>\r\n\r\nBody of message %d.\r\n", n, n, n)
}

// rawConn speaks IMAP by hand, for exact transcripts.
type rawConn struct {
	t   testing.TB
	c   net.Conn
	r   *bufio.Reader
	tag int
	// timeout bounds the wait for each response line (10 s if zero).
	timeout time.Duration
}

func (e *testEnv) raw() *rawConn {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	rc := &rawConn{t: e.t, c: c, r: bufio.NewReader(c)}
	rc.readLine() // greeting
	return rc
}

func (e *testEnv) rawLogin(user string) *rawConn {
	rc := e.raw()
	rc.ok("LOGIN " + user + ` "` + testPass + `"`)
	return rc
}

var literalRE = regexp.MustCompile(`\{(\d+)\}$`)

// readLine reads one response line, with any literals inlined.
func (rc *rawConn) readLine() string {
	rc.t.Helper()
	timeout := rc.timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	rc.c.SetReadDeadline(time.Now().Add(timeout))
	var sb strings.Builder
	for {
		line, err := rc.r.ReadString('\n')
		if err != nil {
			rc.t.Fatalf("read: %v (so far %q)", err, sb.String()+line)
		}
		line = strings.TrimSuffix(line, "\r\n")
		sb.WriteString(line)
		m := literalRE.FindStringSubmatch(line)
		if m == nil {
			return sb.String()
		}
		n, _ := strconv.Atoi(m[1])
		buf := make([]byte, n)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			rc.t.Fatal(err)
		}
		sb.WriteString("\r\n")
		sb.Write(buf)
	}
}

// cmd sends a command and returns the untagged lines and the tagged one.
func (rc *rawConn) cmd(line string) (untagged []string, tagged string) {
	rc.t.Helper()
	rc.tag++
	tag := fmt.Sprintf("T%d", rc.tag)
	if _, err := fmt.Fprintf(rc.c, "%s %s\r\n", tag, line); err != nil {
		rc.t.Fatal(err)
	}
	for {
		l := rc.readLine()
		if strings.HasPrefix(l, tag+" ") {
			return untagged, strings.TrimPrefix(l, tag+" ")
		}
		untagged = append(untagged, l)
	}
}

// ok runs a command that must succeed.
func (rc *rawConn) ok(line string) []string {
	rc.t.Helper()
	u, tagged := rc.cmd(line)
	if !strings.HasPrefix(tagged, "OK") {
		rc.t.Fatalf("%s: %s (untagged %q)", line, tagged, u)
	}
	return u
}

// no runs a command that must fail with NO.
func (rc *rawConn) no(line string) string {
	rc.t.Helper()
	u, tagged := rc.cmd(line)
	if !strings.HasPrefix(tagged, "NO") && !strings.HasPrefix(tagged, "BAD") {
		rc.t.Fatalf("%s: want NO or BAD, got %s (untagged %q)", line, tagged, u)
	}
	return tagged
}

func grep(lines []string, sub string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}
