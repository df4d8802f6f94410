package imapd

import (
	"bufio"
	"crypto/tls"
	"net"
	"os/exec"
	"strings"
	"testing"
)

// rawStartTLS is raw on 143 after STARTTLS; rc counts the TLS records
// the server sends.
func (e *testEnv) rawStartTLS(pipelined string) (*rawConn, *recordCounter) {
	e.t.Helper()
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	rc := &rawConn{t: e.t, c: c, r: bufio.NewReader(c)}
	rc.readLine() // greeting
	rc.send("S1 STARTTLS\r\n" + pipelined)
	rc.expect("S1 OK")
	counter := &recordCounter{Conn: c}
	tc := tls.Client(counter, e.tlsCfg)
	if err := tc.Handshake(); err != nil {
		e.t.Fatal(err)
	}
	rc.c, rc.r = tc, bufio.NewReader(tc)
	return rc, counter
}

// After STARTTLS on 143 the server's own connection layer applies, as on
// 993 (issue 10 items 8 and 19): the input guard refuses oversized
// literals and line ends in quotes at once, and a response leaves in a few
// TLS records, not one per line. Before, go-imap put TLS on itself and
// neither could act.
func TestStartTLSTakenOver(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	const n = 500
	for i := range n {
		e.deliver(e.alice, testMessage(i))
	}

	rc, _ := e.rawStartTLS("")
	rc.send("A1 LOGIN {4294967295}\r\n")
	rc.expect("A1 BAD [TOOBIG]")
	rc.expect("* BYE")
	rc.expectClosed()

	rc, records := e.rawStartTLS("")
	caps := rc.ok("CAPABILITY")
	if !strings.Contains(caps[0], "AUTH=PLAIN") || strings.Contains(caps[0], "STARTTLS") || strings.Contains(caps[0], "LOGINDISABLED") {
		t.Errorf("capabilities after STARTTLS: %q", caps[0])
	}
	rc.ok(`LOGIN alice@example.test "` + testPass + `"`)
	rc.send("A2 SELECT {5000}\r\n")
	rc.expect("A2 BAD [TOOBIG]")
	rc.send("A3 NOOP\r\nA4 SELECT \"INBOX\r\nA5 NOOP\r\n")
	rc.expect("A3 OK")
	rc.expect("A4 BAD")
	rc.expect("A5 OK")
	rc.ok("SELECT INBOX")
	before := records.count()
	if got := len(rc.ok("UID FETCH 1:* (FLAGS)")); got != n {
		t.Fatalf("%d untagged FETCH lines, want %d", got, n)
	}
	if got := records.count() - before; got > 8 {
		t.Errorf("FETCH of %d flags after STARTTLS came in %d TLS records, want a few", n, got)
	}
}

// Commands sent in plaintext after STARTTLS, before the handshake, are
// dropped, never run, neither before nor after TLS (RFC 9051 §6.2.1;
// CVE-2011-0411).
func TestStartTLSDropsPipelinedCommands(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	rc, _ := e.rawStartTLS(`P1 LOGIN alice@example.test "` + testPass + "\"\r\n")
	// Not logged in: the pipelined LOGIN did not count.
	if got := rc.no("SELECT INBOX"); got == "" {
		t.Fatal("SELECT answered OK without login")
	}
	rc.ok(`LOGIN alice@example.test "` + testPass + `"`)
	rc.ok("SELECT INBOX")
}

// Python's imaplib: STARTTLS, login, a mailbox walk.
func TestStartTLSImaplib(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	e.deliver(e.alice, testMessage(1))
	host, port, _ := net.SplitHostPort(e.addr)
	script := `
import imaplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]), timeout=20)
assert "STARTTLS" in c.capabilities and "LOGINDISABLED" in c.capabilities, c.capabilities
c.starttls(ssl_context=ctx)
assert "AUTH=PLAIN" in c.capabilities and "STARTTLS" not in c.capabilities, c.capabilities
c.login(sys.argv[3], sys.argv[4])
typ, data = c.select("INBOX")
assert data == [b"1"], data
typ, data = c.fetch("1", "(BODY.PEEK[])")
assert typ == "OK" and b"Subject:" in data[0][1], data
c.logout()
print("done")
`
	out, err := exec.Command("python3", "-c", script, host, port, "alice@example.test", testPass).CombinedOutput()
	t.Logf("imaplib:\n%s", out)
	if err != nil || !strings.Contains(string(out), "done") {
		t.Fatalf("imaplib: %v", err)
	}
}
