package smtpd

import (
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
)

// halfClose ends the client's side of the connection (FIN, or TLS
// close_notify) and reads everything the server still says.
func (rc *rawClient) halfClose() string {
	rc.t.Helper()
	switch c := rc.c.(type) {
	case *net.TCPConn:
		must(rc.t, c.CloseWrite())
	case *tls.Conn:
		must(rc.t, c.CloseWrite())
	default:
		rc.t.Fatalf("cannot half-close a %T", rc.c)
	}
	rest, _ := io.ReadAll(rc.r)
	return string(rest)
}

// TestBDATCutShort: a BDAT chunk that the connection ends in the middle
// of is not a message; nothing is stored and no 250 is sent (go-smtp
// v0.25.1's handleBdat did both), whether the chunk is the first or a
// later one, LAST or not, over TCP or TLS.
func TestBDATCutShort(t *testing.T) {
	e := newTestEnv(t, nil)
	whole := "Subject: chunk\r\n\r\n" + strings.Repeat("x", 80) + "\r\n" // 100 octets
	for _, tc := range []struct {
		name   string
		chunks string // whole chunks before the cut one
		cut    string // the command of the chunk cut short
	}{
		{"first and last", "", "BDAT 1000 LAST"},
		{"second and last", "BDAT 100\r\n" + whole, "BDAT 1000 LAST"},
		{"second not last", "BDAT 100\r\n" + whole, "BDAT 1000"},
		{"pipelined", "", "BDAT 1000 LAST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, e.mx)
			rc.cmd("EHLO client.test", 250)
			if tc.name == "pipelined" {
				rc.write("MAIL FROM:<x@remote.test>\r\nRCPT TO:<alice@example.test>\r\n" + tc.cut + "\r\n" + whole + strings.Repeat("y", 400))
				rc.expect(250)
				rc.expect(250)
			} else {
				rc.cmd("MAIL FROM:<x@remote.test>", 250)
				rc.cmd("RCPT TO:<alice@example.test>", 250)
				if tc.chunks != "" {
					rc.write(tc.chunks)
					rc.expect(250)
				}
				rc.write(tc.cut + "\r\n" + whole + strings.Repeat("y", 400))
			}
			if rest := rc.halfClose(); strings.Contains(rest, "250") {
				t.Errorf("after the cut: %q", rest)
			}
		})
	}
	// Over implicit TLS, ended by close_notify.
	rc := dialTLS(t, e.subs, e.tlsClient)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice@example.test\x00"+alicePass)), 235)
	rc.cmd("MAIL FROM:<alice@example.test>", 250)
	rc.cmd("RCPT TO:<bob@example.test>", 250)
	rc.write("BDAT 1000 LAST\r\nFrom: <alice@example.test>\r\n\r\n" + strings.Repeat("z", 300))
	if rest := rc.halfClose(); strings.Contains(rest, "250") {
		t.Errorf("after the TLS cut: %q", rest)
	}
	e.shutdown() // waits for anything in flight
	for _, u := range []string{"alice@example.test", "bob@example.test"} {
		if got := e.inbox(u); len(got) != 0 {
			t.Errorf("%s has %d messages: %q", u, len(got), got)
		}
	}
}

// dialTLS connects with implicit TLS and reads the greeting.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) *rawClient {
	t.Helper()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawClient{t: t, c: c, r: newReader(c)}
	rc.expect(220)
	return rc
}

// TestBDATEmptyAndLineRules: "BDAT 0 LAST" with nothing before it is no
// message (RFC 3030 §2 leaves it to the server; RFC 5322 §3.6 needs From
// and Date); BDAT content obeys DATA's line limit and bare CR rule
// (go-smtp sets its line limit to 0 for BDAT), and the session goes on.
func TestBDATEmptyAndLineRules(t *testing.T) {
	e := newTestEnv(t, nil)
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	tx := func() {
		rc.cmd("MAIL FROM:<x@remote.test>", 250)
		rc.cmd("RCPT TO:<alice@example.test>", 250)
	}
	tx()
	rc.cmd("BDAT 0 LAST", 554)
	tx()
	rc.cmd("BDAT 0", 250)
	rc.cmd("BDAT 0 LAST", 554)
	// A line over the limit (2000), in one chunk and across two.
	long := "Subject: long\r\n\r\n" + strings.Repeat("w", 2500) + "\r\n"
	tx()
	rc.write("BDAT " + itoa(len(long)) + " LAST\r\n" + long)
	if text := rc.expect(554); !strings.HasPrefix(text, "5.6.0") {
		t.Errorf("long line: %s", text)
	}
	rc.cmd("NOOP", 250)
	tx()
	rc.write("BDAT 1500\r\n" + long[:1500])
	rc.expect(250)
	rc.write("BDAT " + itoa(len(long)-1500) + " LAST\r\n" + long[1500:])
	rc.expect(554)
	// A line of exactly the limit, CRLF included, is fine.
	ok := "Subject: ok\r\n\r\n" + strings.Repeat("v", 1998) + "\r\n"
	tx()
	rc.write("BDAT " + itoa(len(ok)) + " LAST\r\n" + ok)
	rc.expect(250)
	// A bare CR.
	bare := "Subject: cr\r\n\r\nbare\rcr\r\n"
	tx()
	rc.write("BDAT " + itoa(len(bare)) + " LAST\r\n" + bare)
	if text := rc.expect(550); !strings.HasPrefix(text, "5.6.0") {
		t.Errorf("bare CR: %s", text)
	}
	rc.cmd("QUIT", 221)
	got := e.inbox("alice@example.test")
	if len(got) != 1 || !strings.Contains(got[0], "Subject: ok") {
		t.Errorf("INBOX: %d messages, want only the one within the limit", len(got))
	}
}
