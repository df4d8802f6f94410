package managesieved

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestGreetingAndCapability(t *testing.T) {
	e := newEnv(t, nil)
	c := dialRaw(t, e.addr)
	caps := c.capabilities()
	want := map[string]string{
		"IMPLEMENTATION": "mailserver", "SASL": "PLAIN LOGIN", "SIEVE": "fileinto vacation imap4flags",
		"STARTTLS": "", "MAXREDIRECTS": "4", "VERSION": "1.0", "UNAUTHENTICATE": "",
	}
	for k, v := range want {
		if got, ok := caps[k]; !ok || got != v {
			t.Errorf("capability %s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	for _, k := range []string{"OWNER", "NOTIFY"} {
		if _, ok := caps[k]; ok {
			t.Errorf("capability %s before login", k)
		}
	}
	// CAPABILITY gives the same, case-insensitively.
	c.send("capability\r\n")
	if again := c.capabilities(); len(again) != len(caps) {
		t.Fatalf("CAPABILITY = %v, greeting = %v", again, caps)
	}
	c.cmd(`CAPABILITY "x"`, `NO "CAPABILITY takes no arguments"`)
	c.login(alice, password)
	c.send("CAPABILITY\r\n")
	caps = c.capabilities()
	if caps["OWNER"] != alice {
		t.Fatalf("OWNER after login = %q", caps["OWNER"])
	}
	if _, ok := caps["STARTTLS"]; ok {
		t.Fatal("STARTTLS offered after login")
	}
	c.cmd("LOGOUT", `OK "Logout completed"`)
	c.closed()
}

// TestTLSRequired: without the loopback exception, SASL is empty until
// STARTTLS, AUTHENTICATE is refused with ENCRYPT-NEEDED, and STARTTLS
// re-issues the capabilities with the mechanisms.
func TestTLSRequired(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	c := dialRaw(t, e.addr)
	caps := c.capabilities()
	if caps["SASL"] != "" {
		t.Fatalf("SASL before TLS = %q, want empty", caps["SASL"])
	}
	if _, ok := caps["STARTTLS"]; !ok {
		t.Fatal("no STARTTLS")
	}
	c.cmd(`AUTHENTICATE "PLAIN" "`+b64("\x00"+alice+"\x00"+password)+`"`, `NO (ENCRYPT-NEEDED)`)
	c.cmd("LISTSCRIPTS", `NO "authenticate first"`)
	caps = c.starttls()
	if caps["SASL"] != "PLAIN LOGIN" {
		t.Fatalf("SASL after STARTTLS = %q", caps["SASL"])
	}
	if _, ok := caps["STARTTLS"]; ok {
		t.Fatal("STARTTLS offered over TLS")
	}
	c.cmd("STARTTLS", `NO "TLS is already active"`)
	c.login(alice, password)
	c.cmd("LISTSCRIPTS", `OK`)

	// Implicit TLS: the same, with SASL at once.
	conn, err := tls.Dial("tcp", e.tlsAddr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	tc := dialConn(t, conn)
	if caps := tc.capabilities(); caps["SASL"] != "PLAIN LOGIN" {
		t.Fatalf("implicit TLS SASL = %q", caps["SASL"])
	}
	tc.login(bob, password)
}

// TestStartTLSInjection: commands pipelined behind STARTTLS end the
// session instead of being read as if they had come over TLS.
func TestStartTLSInjection(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.send("STARTTLS\r\nCAPABILITY\r\n")
	c.expect(`BYE "no command may follow STARTTLS`)
	c.closed()
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t, nil)
	plain := b64("\x00" + alice + "\x00" + password)

	t.Run("PLAIN initial response as a literal", func(t *testing.T) {
		c := dial(t, e.addr)
		c.send("AUTHENTICATE \"PLAIN\" {" + itoa(len(plain)) + "+}\r\n" + plain + "\r\n")
		c.expect(`OK "Logged in"`)
		c.cmd("AUTHENTICATE \"PLAIN\" \""+plain+"\"", `NO "already authenticated"`)
	})
	t.Run("PLAIN with a continuation", func(t *testing.T) {
		c := dial(t, e.addr)
		c.cmd(`AUTHENTICATE "plain"`, `""`)
		c.send("{" + itoa(len(plain)) + "+}\r\n" + plain + "\r\n")
		c.expect("OK")
	})
	t.Run("LOGIN with continuations", func(t *testing.T) {
		c := dial(t, e.addr)
		c.cmd(`AUTHENTICATE "LOGIN"`, `"`+b64("Username:")+`"`)
		c.cmd(`"`+b64(alice)+`"`, `"`+b64("Password:")+`"`)
		c.cmd(`"`+b64(password)+`"`, "OK")
		c.send("CAPABILITY\r\n")
		if caps := c.capabilities(); caps["OWNER"] != alice {
			t.Fatalf("OWNER %q", caps["OWNER"])
		}
	})
	t.Run("LOGIN with the user name as initial response", func(t *testing.T) {
		c := dial(t, e.addr)
		c.cmd(`AUTHENTICATE "LOGIN" "`+b64(bob)+`"`, `"`+b64("Password:")+`"`)
		c.cmd(`"`+b64(password)+`"`, "OK")
	})
	t.Run("abort", func(t *testing.T) {
		c := dial(t, e.addr)
		c.cmd(`AUTHENTICATE "LOGIN"`, `"`)
		c.cmd(`"*"`, `NO "authentication aborted"`)
		c.login(alice, password) // the session goes on
	})
	t.Run("refusals", func(t *testing.T) {
		c := dial(t, e.addr)
		c.cmd(`AUTHENTICATE "CRAM-MD5"`, `NO "unsupported SASL mechanism"`)
		c.cmd(`AUTHENTICATE "PLAIN" "not base64!"`, `NO "invalid base64`)
		c.cmd(`AUTHENTICATE`, `NO "syntax: AUTHENTICATE`)
		c.cmd(`AUTHENTICATE "PLAIN" "`+b64("\x00"+alice+"\x00wrong")+`"`, `NO "authentication failed"`)
		// An authorization identity other than the user is refused.
		c.cmd(`AUTHENTICATE "PLAIN" "`+b64(bob+"\x00"+alice+"\x00"+password)+`"`, `NO "authentication failed"`)
		// The third failure ends the connection.
		c.cmd(`AUTHENTICATE "PLAIN" "`+b64("\x00nobody@example.test\x00"+password)+`"`, `BYE "authentication failed; too many failures`)
		c.closed()
	})
	t.Run("the authzid may equal the user", func(t *testing.T) {
		c := dial(t, e.addr)
		c.cmd(`AUTHENTICATE "PLAIN" "`+b64(alice+"\x00"+alice+"\x00"+password)+`"`, "OK")
	})
	t.Run("UNAUTHENTICATE", func(t *testing.T) {
		c := dial(t, e.addr)
		c.cmd("UNAUTHENTICATE", `NO "authenticate first"`)
		c.login(alice, password)
		c.cmd(putLiteral("a", "keep;\r\n"), "OK")
		c.cmd("UNAUTHENTICATE", `OK`)
		c.cmd("LISTSCRIPTS", `NO "authenticate first"`)
		c.send("CAPABILITY\r\n")
		if caps := c.capabilities(); caps["OWNER"] != "" {
			t.Fatalf("OWNER after UNAUTHENTICATE: %q", caps["OWNER"])
		}
		c.login(bob, password)
		c.cmd("LISTSCRIPTS", `OK`) // bob has none: no script line
	})
}

// TestThrottle: the store's shared throttle refuses a guessing run with
// TRYLATER and the connection ends.
func TestThrottle(t *testing.T) {
	e := newEnvStore(t, &store.Options{AuthDelays: []time.Duration{0}, AuthGuessLimit: 2, AuthGuessWindow: time.Hour}, nil)
	for i := range 2 {
		c := dial(t, e.addr)
		c.cmd(`AUTHENTICATE "PLAIN" "`+b64("\x00"+alice+"\x00wrong"+itoa(i))+`"`, `NO "authentication failed"`)
	}
	c := dial(t, e.addr)
	c.cmd(`AUTHENTICATE "PLAIN" "`+b64("\x00"+alice+"\x00"+password)+`"`, `BYE (TRYLATER)`)
	c.closed()
}

func TestLogoutAndNoop(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.cmd("NOOP", `OK "NOOP completed"`)
	c.cmd(`NOOP "STARTTLS-RESYNC-CAPA"`, `OK (TAG "STARTTLS-RESYNC-CAPA") "Done"`)
	c.cmd(`NOOP {3+}`+"\r\na\"b", `OK (TAG "a\"b") "Done"`)
	c.cmd(`NOOP 12`, `NO "syntax: NOOP [tag]"`)
	c.cmd("LOGOUT extra", `NO`)
	c.cmd("logout", `OK "Logout completed"`)
	c.closed()
}

func TestMaxConnections(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxConnections = 1 })
	c := dial(t, e.addr)
	c2 := dialRaw(t, e.addr)
	c2.expect(`BYE (TRYLATER) "too many connections`)
	c2.closed()
	c.cmd("NOOP", "OK")
}

// TestShutdown: sessions waiting for a command get BYE (TRYLATER), and
// Shutdown returns once they are gone.
func TestShutdown(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.login(alice, password)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	c.expect(`BYE (TRYLATER) "server shutting down"`)
	c.closed()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// A connection after Shutdown is closed at once.
	c2 := dialRaw(t, e.addr)
	c2.closed()
}

// TestIdleTimeout: a session that sends nothing is closed with BYE.
func TestIdleTimeout(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.IdleTimeout = 200 * time.Millisecond })
	c := dial(t, e.addr)
	c.expect(`BYE "idle or slow command, closing"`)
	c.closed()
}

// TestCommandTimeout: a command whose literal stops arriving is cut off.
func TestCommandTimeout(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CommandTimeout = 200 * time.Millisecond })
	c := dial(t, e.addr)
	c.login(alice, password)
	c.send("PUTSCRIPT \"a\" {100+}\r\nkeep;")
	c.expect(`BYE "idle or slow command, closing"`)
	c.closed()
	list, err := e.st.SieveScripts(context.Background(), e.users[alice].ID)
	if err != nil || len(list) != 0 {
		t.Fatalf("scripts after a cut-off PUTSCRIPT: %v %v", list, err)
	}
}

func dialConn(t testing.TB, conn *tls.Conn) *client {
	t.Helper()
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t: t, conn: conn, br: bufio.NewReader(conn)}
}

func itoa(n int) string { return strconv.Itoa(n) }
