package smtpd

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
)

// TestNestedMail: a second MAIL FROM inside a transaction gets 503 5.5.1
// (RFC 5321 §4.1.4); the transaction and its recipients stay.
func TestNestedMail(t *testing.T) {
	e := newTestEnv(t, nil)
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<first@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	if text := rc.cmd("MAIL FROM:<second@remote.test>", 503); !strings.HasPrefix(text, "5.5.1") {
		t.Errorf("nested MAIL: %s", text)
	}
	rc.cmd("RCPT TO:<bob@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: nested\r\n\r\nx\r\n.", 250)
	// After the transaction, MAIL is fine again.
	rc.cmd("MAIL FROM:<third@remote.test>", 250)
	rc.cmd("RSET", 250)
	rc.cmd("MAIL FROM:<fourth@remote.test>", 250)
	rc.cmd("QUIT", 221)
	for _, u := range []string{"alice@example.test", "bob@example.test"} {
		got := e.inbox(u)
		if len(got) != 1 || !strings.Contains(got[0], "Subject: nested") {
			t.Errorf("%s: %q", u, got)
		}
	}
}

// TestStartTLSWithArgument: RFC 3207 §4, "501 Syntax error (no parameters
// allowed)"; go-smtp v0.25.1 ignores the argument and starts TLS.
func TestStartTLSWithArgument(t *testing.T) {
	e := newTestEnv(t, nil)
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("STARTTLS extra", 501)
	rc.cmd("STARTTLSX", 501)
	rc.cmd("NOOP", 250)
	rc.cmd("STARTTLS", 220)
	tc := tls.Client(rc.c, e.tlsClient)
	must(t, tc.Handshake())
	rc = &rawClient{t: t, c: tc, r: newReader(tc)}
	rc.cmd("EHLO client.test", 250)
	rc.cmd("STARTTLS again", 501)
	rc.cmd("QUIT", 221)
}

// TestAuthBadBase64: a SASL response that is not base64 gets 501 5.5.2
// (RFC 4954 §4), as an initial response or after a 334, for PLAIN and
// LOGIN, over STARTTLS and implicit TLS; go-smtp v0.25.1 said 454 4.7.0
// (temporary). A good login works afterwards.
func TestAuthBadBase64(t *testing.T) {
	e := newTestEnv(t, nil)
	plain := base64.StdEncoding.EncodeToString([]byte("\x00alice@example.test\x00" + alicePass))
	check := func(rc *rawClient) {
		t.Helper()
		rc.cmd("EHLO client.test", 250)
		for _, tc := range []struct{ first, second string }{
			{"AUTH PLAIN !!!notbase64", ""},
			{"AUTH PLAIN", "%%%"},
			{"AUTH LOGIN", "not base64"},
			{"AUTH LOGIN YWxpY2VAZXhhbXBsZS50ZXN0", "a=b"},
		} {
			if tc.second == "" {
				if text := rc.cmd(tc.first, 501); !strings.HasPrefix(text, "5.5.2") {
					t.Errorf("%s: %s", tc.first, text)
				}
				continue
			}
			rc.cmd(tc.first, 334)
			if text := rc.cmd(tc.second, 501); !strings.HasPrefix(text, "5.5.2") {
				t.Errorf("%s / %s: %s", tc.first, tc.second, text)
			}
		}
		rc.cmd("AUTH PLAIN", 334)
		rc.cmd("*", 501) // cancelled (RFC 4954 §4), as before
		rc.cmd("AUTH PLAIN "+plain, 235)
		rc.cmd("QUIT", 221)
	}
	rc := dialRaw(t, e.sub)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("STARTTLS", 220)
	tc := tls.Client(rc.c, e.tlsClient)
	must(t, tc.Handshake())
	check(&rawClient{t: t, c: tc, r: newReader(tc)})
	check(dialTLS(t, e.subs, e.tlsClient))
}

// TestDSNParameters: repeated DSN parameters and an ENVID over 100
// characters (ORCPT over 500) get 501 5.5.4 (RFC 3461 §4, §4.4, §4.2);
// go-smtp v0.25.1 kept the last of each and set no length limit.
func TestDSNParameters(t *testing.T) {
	e := newTestEnv(t, nil)
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	for _, bad := range []string{
		"MAIL FROM:<x@remote.test> RET=FULL RET=HDRS",
		"MAIL FROM:<x@remote.test> ENVID=a ENVID=b",
		"MAIL FROM:<x@remote.test> ret=FULL RET=FULL",
		"MAIL FROM:<x@remote.test> ENVID=" + strings.Repeat("e", 101),
		"MAIL FROM:<x@remote.test> ENVID=" + strings.Repeat("+41", 34), // 102 as sent
	} {
		if text := rc.cmd(bad, 501); !strings.HasPrefix(text, "5.5.4") {
			t.Errorf("%s: %s", bad, text)
		}
	}
	rc.cmd("MAIL FROM:<x@remote.test> RET=HDRS ENVID="+strings.Repeat("e", 100), 250)
	for _, bad := range []string{
		"RCPT TO:<alice@example.test> NOTIFY=NEVER NOTIFY=SUCCESS",
		"RCPT TO:<alice@example.test> NOTIFY=FAILURE notify=FAILURE",
		"RCPT TO:<alice@example.test> ORCPT=rfc822;a@example.test ORCPT=rfc822;b@example.test",
		"RCPT TO:<alice@example.test> ORCPT=rfc822;" + strings.Repeat("o", 500) + "@example.test",
	} {
		if text := rc.cmd(bad, 501); !strings.HasPrefix(text, "5.5.4") {
			t.Errorf("%s: %s", bad, text)
		}
	}
	rc.cmd("RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.test", 250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: dsn\r\n\r\nx\r\n.", 250)
	rc.cmd("QUIT", 221)
}

// levelRecorder is a slog handler that keeps the levels and messages.
type levelRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	return nil
}
func (h *levelRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *levelRecorder) WithGroup(string) slog.Handler      { return h }

// TestClientMistakesAreNotOurErrors: what a client does wrong or how it
// goes away gets a client-class reply (never 451 or another 4xx of ours)
// and is never logged as an ERROR.
func TestClientMistakesAreNotOurErrors(t *testing.T) {
	rec := &levelRecorder{}
	e := newTestEnv(t, func(o *Options) { o.Logger = slog.New(rec) })
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test> SMTPUTF8", 250)
	for _, line := range []string{
		"RCPT TO:<\xff\xfe@example.test>",
		"RCPT TO:<alice@exa\xc3mple.test>",
		"RCPT TO:<@example.test>",
		"RCPT TO:<a..b@example.test>",
		"RCPT TO:<" + strings.Repeat("a", 300) + "@example.test>",
		"RCPT TO:<alice@" + strings.Repeat("d", 300) + ".test>",
		"RCPT TO:<alice@-example.test>",
	} {
		rc.write(line + "\r\n")
		code, text, err := rc.readReply()
		if err != nil {
			t.Fatal(err)
		}
		if code/100 != 5 {
			t.Errorf("%q: %d %s, want a 5xx", line, code, text)
		}
	}
	rc.cmd("QUIT", 221)
	// Going away in the middle of DATA: FIN, and RST.
	for _, reset := range []bool{false, true} {
		rc := dialRaw(t, e.mx)
		rc.cmd("EHLO client.test", 250)
		rc.cmd("MAIL FROM:<x@remote.test>", 250)
		rc.cmd("RCPT TO:<alice@example.test>", 250)
		rc.cmd("DATA", 354)
		rc.write("Subject: gone\r\n\r\nhalf")
		if reset {
			rc.c.(*net.TCPConn).SetLinger(0)
		}
		rc.c.Close()
	}
	// Hanging up inside a TLS record, and in the middle of a BDAT chunk.
	tc := dialTLS(t, e.subs, e.tlsClient)
	tc.cmd("EHLO client.test", 250)
	tc.c.(*tls.Conn).NetConn().Write([]byte{23, 3, 3, 0, 50, 1, 2, 3})
	tc.c.(*tls.Conn).NetConn().Close()
	rc = dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.write("BDAT 100 LAST\r\nSubject: cut\r\n")
	rc.halfClose()
	e.shutdown()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.records {
		if r.Level >= slog.LevelError {
			t.Errorf("logged at %v: %s", r.Level, r.Message)
		}
	}
}
