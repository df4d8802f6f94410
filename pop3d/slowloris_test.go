package pop3d

import (
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
func trickle(t *testing.T, c net.Conn, filler byte) bool {
	t.Helper()
	c.SetDeadline(time.Time{})
	got := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c)
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

// TestSlowClientIsDropped: a command line, a SASL response or a TLS
// handshake trickled a byte at a time, each byte well within the timeout
// of the last, is cut off once it has taken the autologout timer (which
// bounds the whole line from when the server starts waiting, RFC 1939
// §3), on 110 and on 995, and the session ends.
func TestSlowClientIsDropped(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.IdleTimeout = 500 * time.Millisecond
	})
	cases := []struct {
		name   string
		filler byte
		dial   func() net.Conn
	}{
		{"command line", 'x', func() net.Conn {
			c := dial(t, e.addr)
			io.WriteString(c.conn, "USER ")
			return c.conn
		}},
		{"command line over TLS", 'x', func() net.Conn {
			c := dialTLS(t, e.tlsAddr, e.cert)
			io.WriteString(c.conn, "CAPA\r\nUSER ")
			return c.conn
		}},
		{"SASL response", 'x', func() net.Conn {
			c := dial(t, e.addr)
			c.send("AUTH PLAIN")
			if line := c.readLine(); line != "+ " {
				t.Fatalf("AUTH PLAIN: %q", line)
			}
			return c.conn
		}},
		{"TLS handshake", 0, func() net.Conn {
			c, err := net.Dial("tcp", e.tlsAddr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			c.Write([]byte{0x16, 0x03, 0x01, 0x40, 0x00}) // a 16 KiB record follows
			return c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.dial()
			if !trickle(t, c, tc.filler) {
				t.Fatalf("trickled for %v and not cut off", trickleLimit*trickleEvery)
			}
			waitFree(t, e)
		})
	}
}

// waitFree waits until the server has no session left.
func waitFree(t *testing.T, e *testEnv) {
	t.Helper()
	for range 500 {
		e.srv.mu.Lock()
		n := len(e.srv.sessions)
		e.srv.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the session was not ended")
}
