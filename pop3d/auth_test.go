package pop3d

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

func capa(c *client) []string {
	c.t.Helper()
	_, lines := c.multi("CAPA")
	return lines
}

func TestGreetingAndCapa(t *testing.T) {
	e := newEnv(t, nil)
	conn := dial(t, e.addr)
	got := capa(conn)
	for _, want := range []string{"TOP", "UIDL", "USER", "SASL PLAIN", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "EXPIRE NEVER", "IMPLEMENTATION mailserver"} {
		if !slices.Contains(got, want) {
			t.Errorf("CAPA lacks %q: %q", want, got)
		}
	}
	if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "APOP") }) {
		t.Errorf("CAPA offers APOP: %q", got)
	}
	// RFC 2449 §5: what AUTHORIZATION announced is announced in
	// TRANSACTION too.
	conn.login(alice)
	if after := capa(conn); !slices.Contains(after, "USER") || !slices.Contains(after, "TOP") {
		t.Errorf("CAPA in TRANSACTION: %q", after)
	}
	conn.expectOK("QUIT")
	conn.expectClosed()
}

func TestGreetingNamesHost(t *testing.T) {
	e := newEnv(t, nil)
	c := dialRaw(t, e.addr)
	if g := c.readLine(); !strings.HasPrefix(g, "+OK pop.example.test ") || strings.Contains(g, "<") {
		t.Errorf("greeting %q: want hostname and no APOP timestamp", g)
	}
}

// TestCapaBeforeAndAfterSTLS: off loopback (simulated by turning the
// loopback exemption off) nothing password-related is offered or accepted
// before STLS; after it, everything is.
func TestCapaBeforeAndAfterSTLS(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	c := dial(t, e.addr)
	before := capa(c)
	if !slices.Contains(before, "STLS") {
		t.Errorf("CAPA before STLS lacks STLS: %q", before)
	}
	if slices.Contains(before, "USER") || slices.Contains(before, "SASL PLAIN") {
		t.Errorf("CAPA before STLS offers plaintext logins: %q", before)
	}
	c.expectErr("USER "+alice, " [AUTH]")
	c.expectErr("PASS "+password, " [AUTH]")
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + alice + "\x00" + password))
	c.expectErr("AUTH PLAIN "+plain, " [AUTH]")
	c.expectErr("STAT", "")

	c.starttls(e.cert)
	after := capa(c)
	if slices.Contains(after, "STLS") {
		t.Errorf("CAPA after STLS still offers STLS: %q", after)
	}
	if !slices.Contains(after, "USER") || !slices.Contains(after, "SASL PLAIN") {
		t.Errorf("CAPA after STLS lacks USER or SASL PLAIN: %q", after)
	}
	c.expectErr("STLS", "")
	c.login(alice)
	c.expectOK("STAT")
	c.expectOK("QUIT")
}

func TestImplicitTLS(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	e.deliver(alice, "Subject: hi\r\n\r\nover TLS\r\n")
	c := dialTLS(t, e.tlsAddr, e.cert)
	got := capa(c)
	if slices.Contains(got, "STLS") || !slices.Contains(got, "USER") {
		t.Errorf("CAPA on pop3s: %q", got)
	}
	c.login(alice)
	if r := c.expectOK("STAT"); r != "+OK 1 25" {
		t.Errorf("STAT = %q", r)
	}
	_, body := c.data("RETR 1")
	if string(body) != "Subject: hi\r\n\r\nover TLS\r\n" {
		t.Errorf("RETR = %q", body)
	}
	c.expectOK("QUIT")
}

// TestSTLSInjection: commands pipelined after STLS in plaintext are not
// run as if they came over TLS.
func TestSTLSInjection(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.conn.Write([]byte("STLS\r\nUSER " + alice + "\r\n"))
	c.expectErr("", "")
	c.expectClosed()
}

func TestUserPass(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.expectErr("PASS "+password, "") // no USER yet
	c.expectErr("USER", "")
	// Unknown user and wrong password get the same reply.
	c.expectOK("USER nobody@example.test")
	r1 := c.expectErr("PASS "+password, " [AUTH]")
	c.expectOK("USER " + alice)
	r2 := c.expectErr("PASS wrong", " [AUTH]")
	if r1 != r2 {
		t.Errorf("unknown user %q and bad password %q differ", r1, r2)
	}
	// After a failed PASS the client starts again with USER.
	c.expectErr("PASS "+password, "")
	c.expectOK("user " + alice) // keywords are case-insensitive
	c.expectOK("pass " + password)
	c.expectErr("USER "+alice, "")
	c.expectOK("NOOP")
	c.expectOK("QUIT")
	c.expectClosed()
}

func TestTooManyAuthFailuresCloses(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxAuthFailures = 2 })
	c := dial(t, e.addr)
	c.expectOK("USER " + alice)
	c.expectErr("PASS bad1", " [AUTH]")
	c.expectOK("USER " + alice)
	c.expectErr("PASS bad2", " [AUTH]")
	c.expectClosed()
}

// TestThrottled: the store's failed-login throttle (shared with SMTP and
// IMAP) refuses a guessing run, even the right password, for a while.
func TestThrottled(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxAuthFailures = 100 })
	// Reopen the store with a low limit.
	e.srv.Close()
	e.st.Close()
	e.openStore(&store.Options{AuthGuessLimit: 2, AuthDelays: []time.Duration{0, time.Millisecond}})
	e.startServer(func(o *Options) { o.MaxAuthFailures = 100 })
	c := dial(t, e.addr)
	for i := range 2 {
		c.expectOK("USER " + alice)
		c.expectErr(fmt.Sprint("PASS wrong", i), " [AUTH]")
	}
	c.expectOK("USER " + alice)
	r := c.expectErr("PASS "+password, " [SYS/TEMP]")
	if !strings.Contains(r, "try again later") {
		t.Errorf("throttle reply %q", r)
	}
	c.expectClosed()
	// The same for another user: the throttle is per client network.
	c = dial(t, e.addr)
	c.expectOK("USER " + bob)
	c.expectErr("PASS "+password, " [SYS/TEMP]")
}

func TestAuthPlain(t *testing.T) {
	e := newEnv(t, nil)
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	c := dial(t, e.addr)
	_, mechs := c.multi("AUTH")
	if !slices.Equal(mechs, []string{"PLAIN"}) {
		t.Errorf("AUTH lists %q", mechs)
	}
	c.expectErr("AUTH CRAM-MD5", "")
	c.expectErr("AUTH PLAIN !!!", "")
	c.expectErr("AUTH PLAIN "+enc("only-one-part"), "")
	// Acting as another user is refused like a wrong password.
	c.expectErr("AUTH PLAIN "+enc(bob+"\x00"+alice+"\x00"+password), " [AUTH]")
	c.expectErr("AUTH PLAIN "+enc("\x00"+alice+"\x00wrong"), " [AUTH]")
	// Without an initial response: an empty challenge, then the response;
	// "*" cancels.
	if r := c.cmd("AUTH PLAIN"); r != "+ " {
		t.Fatalf("AUTH PLAIN: %q", r)
	}
	c.expectErr("*", "")
	if r := c.cmd("AUTH PLAIN"); r != "+ " {
		t.Fatalf("AUTH PLAIN: %q", r)
	}
	c.expectOK(enc(alice + "\x00" + alice + "\x00" + password))
	c.expectOK("STAT")
	c.expectOK("QUIT")

	c = dial(t, e.addr)
	c.expectOK("AUTH plain " + enc("\x00"+bob+"\x00"+password))
	c.expectOK("QUIT")
}

func TestStateRules(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	for _, cmd := range []string{"STAT", "LIST", "UIDL", "RETR 1", "TOP 1 0", "DELE 1", "RSET", "NOOP"} {
		c.expectErr(cmd, "")
	}
	c.expectErr("HELO x", "")
	c.login(alice)
	for _, cmd := range []string{"USER " + alice, "PASS x", "AUTH PLAIN", "STLS", "APOP alice 0123456789abcdef", "XYZZY"} {
		c.expectErr(cmd, "")
	}
	c.expectErr("NOOP extra", "")
	c.expectOK("NOOP")
	c.expectOK("QUIT")
}

func TestTooManyBadCommandsCloses(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	// An HTTP client talking to the POP3 port.
	c.conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: y\r\nAccept: */*\r\n\r\n" + strings.Repeat("X-Junk: 1\r\n", 10)))
	for range maxBadCommands {
		c.expectErr("", "")
	}
	c.expectClosed()
}

func TestLineTooLong(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.send("USER " + strings.Repeat("a", DefaultMaxLineLength+10))
	r := c.expectErr("", "")
	if !strings.Contains(r, "too long") {
		t.Errorf("reply %q", r)
	}
	c.expectClosed()
}
