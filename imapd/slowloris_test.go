package imapd

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

// trickleLimit is how many bytes a trickling client may send before the
// test gives up: at trickleEvery, 20 times the configured timeout.
const (
	trickleEvery = 50 * time.Millisecond
	trickleLimit = 200
)

// trickle writes one byte of filler every trickleEvery until the server
// closes the connection (true) or trickleLimit bytes were sent (false).
func trickle(t *testing.T, c net.Conn, r io.Reader, filler byte) bool {
	t.Helper()
	c.SetDeadline(time.Time{})
	got := make(chan struct{})
	go func() {
		io.Copy(io.Discard, r)
		close(got)
	}()
	for range trickleLimit {
		select {
		case <-got:
			return true
		default:
		}
		if _, err := c.Write([]byte{filler}); err != nil {
			<-got
			return true
		}
		time.Sleep(trickleEvery)
	}
	c.Close()
	<-got
	return false
}

// TestSlowClientIsDropped: a command line trickled a byte at a time, each
// byte well within the timeout of the last, is cut off once the line has
// taken CommandTimeout: before login, after login (where go-imap waits 35
// minutes for a command to start, then bounds the command), and over
// implicit TLS; so is an implicit-TLS handshake that is trickled, or never
// started (go-imap would write its greeting through a handshake with no
// read deadline). Every session ends.
func TestSlowClientIsDropped(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.CommandTimeout = 500 * time.Millisecond })
	tlsAddr := e.listenTLS()
	dialTLS := func() (*tls.Conn, *bufio.Reader) {
		c, err := tls.Dial("tcp", tlsAddr, e.tlsCfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		r := bufio.NewReader(c)
		if _, err := r.ReadString('\n'); err != nil { // greeting
			t.Fatal(err)
		}
		return c, r
	}
	cases := []struct {
		name   string
		filler byte
		dial   func() (net.Conn, io.Reader)
	}{
		{"before login", 'x', func() (net.Conn, io.Reader) {
			rc := e.raw()
			io.WriteString(rc.c, "a LOGIN ")
			return rc.c, rc.r
		}},
		{"after login", 'x', func() (net.Conn, io.Reader) {
			rc := e.rawLogin("alice@example.test")
			rc.ok("SELECT INBOX")
			io.WriteString(rc.c, "a FETCH 1:* ")
			return rc.c, rc.r
		}},
		{"over implicit TLS", 'x', func() (net.Conn, io.Reader) {
			c, r := dialTLS()
			io.WriteString(c, "a LOGIN ")
			return c, r
		}},
		{"TLS handshake trickled", 0, func() (net.Conn, io.Reader) {
			c, err := net.Dial("tcp", tlsAddr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			c.Write([]byte{0x16, 0x03, 0x01, 0x40, 0x00}) // a 16 KiB record follows
			return c, c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, r := tc.dial()
			if !trickle(t, c, r, tc.filler) {
				t.Fatalf("trickled for %v and not cut off", trickleLimit*trickleEvery)
			}
		})
	}
	t.Run("TLS handshake never started", func(t *testing.T) {
		c, err := net.Dial("tcp", tlsAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(trickleLimit * trickleEvery))
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("a client that sent nothing was not dropped: %v", err)
		}
	})
	waitNoSessions(t, e.srv)
}

// waitNoSessions waits until srv has no session left.
func waitNoSessions(t *testing.T, srv *Server) {
	t.Helper()
	for range 500 {
		srv.mu.Lock()
		n := len(srv.sessions)
		srv.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("sessions left")
}
