package smtpd

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// trickleLimit is how many bytes a trickling client may send before the
// test gives up: at trickleEvery, 20 times the configured timeout. A
// server that bounds a whole command line drops the client after about
// timeout/trickleEvery bytes.
const (
	trickleEvery = 50 * time.Millisecond
	trickleLimit = 200
)

// trickle writes s and then one byte of filler every trickleEvery until
// the server closes the connection (true) or trickleLimit bytes were sent
// (false). reply collects what the server said.
func trickle(t *testing.T, c net.Conn, filler byte) (dropped bool, reply string) {
	t.Helper()
	got := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	for range trickleLimit {
		select {
		case r := <-got:
			return true, r
		default:
		}
		if _, err := c.Write([]byte{filler}); err != nil {
			return true, <-got
		}
		time.Sleep(trickleEvery)
	}
	c.Close()
	return false, <-got
}

// TestSlowCommandLineIsDropped: a client that sends a command line one
// byte at a time, each byte well within read_timeout of the last, is
// dropped once the line has taken read_timeout (RFC 5321 §4.5.3.2.7
// bounds a command, not a read), with 421 4.4.2, on port 25 and over
// implicit TLS on 465. Its slot is given back.
func TestSlowCommandLineIsDropped(t *testing.T) {
	lim := NewConnLimiter(0, 0)
	e := newTestEnv(t, func(o *Options) {
		o.ReadTimeout = 500 * time.Millisecond
		o.Limiter = lim
	})
	for _, tc := range []struct {
		name string
		dial func() net.Conn
	}{
		{"smtp", func() net.Conn {
			c, err := net.Dial("tcp", e.mx)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
		{"submissions", func() net.Conn {
			c, err := tls.Dial("tcp", e.subs, e.tlsClient)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.dial()
			defer c.Close()
			if _, err := c.Write([]byte("EHLO ")); err != nil {
				t.Fatal(err)
			}
			dropped, reply := trickle(t, c, 'x')
			if !dropped {
				t.Fatalf("a command line trickled for %d bytes (%v) was not cut off; server said %q", trickleLimit, trickleLimit*trickleEvery, reply)
			}
			if !strings.Contains(reply, "421 4.4.2") {
				t.Errorf("reply %q, want 421 4.4.2", reply)
			}
		})
	}
	waitSlots(t, lim, 0)
}

// TestSlowTLSHandshakeIsDropped: on port 465 a client that trickles its
// ClientHello (a record header announcing 16 KiB, then a byte at a time)
// is dropped by the handshake deadline, and its slot is given back.
func TestSlowTLSHandshakeIsDropped(t *testing.T) {
	lim := NewConnLimiter(0, 0)
	e := newTestEnv(t, func(o *Options) {
		o.ReadTimeout = 500 * time.Millisecond
		o.Limiter = lim
	})
	c, err := net.Dial("tcp", e.subs)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{0x16, 0x03, 0x01, 0x40, 0x00}); err != nil {
		t.Fatal(err)
	}
	if dropped, _ := trickle(t, c, 0); !dropped {
		t.Fatalf("a ClientHello trickled for %v was not cut off", trickleLimit*trickleEvery)
	}
	waitSlots(t, lim, 0)
}

// TestSlowDataIsDropped: DATA trickled a byte at a time is cut off by
// data_timeout, not kept alive by each byte.
func TestSlowDataIsDropped(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.ReadTimeout = 5 * time.Second
		o.DataTimeout = 500 * time.Millisecond
	})
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.c.SetDeadline(time.Time{})
	if dropped, reply := trickle(t, rc.c, 'x'); !dropped || !strings.Contains(reply, "421") {
		t.Fatalf("DATA trickled for %v: dropped %v, reply %q", trickleLimit*trickleEvery, dropped, reply)
	}
	if got := e.inbox("alice@example.test"); len(got) != 0 {
		t.Errorf("%d messages stored", len(got))
	}
}

// TestSlotHeldFromAcceptToClose: a connection holds its slot from accept
// (before its greeting, during an implicit-TLS handshake) until it is
// closed, however it ends: QUIT, the client going away, a failed
// handshake, an idle timeout. Each slot is given back exactly once: a
// double release would let the count go below the connections open.
func TestSlotHeldFromAcceptToClose(t *testing.T) {
	lim := NewConnLimiter(0, 0)
	e := newTestEnv(t, func(o *Options) {
		o.ReadTimeout = time.Second
		o.Limiter = lim
	})
	// keep stays open throughout (NOOP keeps it from timing out): the
	// count must never drop below 1.
	keep := dialRaw(t, e.mx)
	stopKeep := make(chan struct{})
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		for {
			select {
			case <-stopKeep:
				return
			case <-time.After(200 * time.Millisecond):
				io.WriteString(keep.c, "NOOP\r\n")
			}
		}
	}()

	quit := dialRaw(t, e.mx)
	gone := dialRaw(t, e.sub)
	badTLS, err := net.Dial("tcp", e.subs)
	if err != nil {
		t.Fatal(err)
	}
	idle := dialRaw(t, e.mx)
	waitSlots(t, lim, 5) // the 465 one counts before its handshake

	quit.cmd("QUIT", 221)
	gone.c.Close()
	badTLS.Write([]byte("EHLO this is not TLS\r\n"))
	if _, err := io.ReadAll(badTLS); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Logf("bad TLS client: %v", err)
	}
	badTLS.Close()
	idle.expect(421) // the idle timeout
	waitSlots(t, lim, 1)
	close(stopKeep)
	<-kept
	keep.write("QUIT\r\n")
	io.ReadAll(keep.r)
	waitSlots(t, lim, 0)
}

// waitSlots waits until the limiter counts want connections from
// 127.0.0.1 in all (releases happen as the server closes connections,
// just after the client sees the end).
func waitSlots(t *testing.T, lim *ConnLimiter, want int) {
	t.Helper()
	ip := netip.MustParseAddr("127.0.0.1")
	var total, byIP int
	for range 500 {
		if total, byIP = lim.inUse(ip); total == want && byIP == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("limiter counts %d connections (%d from %v), want %d", total, byIP, ip, want)
}
