package imapd

import (
	"crypto/tls"
	"net"
	"sync"
	"syscall"
	"time"
)

// serverConn wraps each accepted TCP connection, below TLS (STARTTLS, and
// the implicit TLS of port 993, both go on top of it), for three things
// go-imap's connection does not do.
//
// Delayed ACKs and the client's Nagle algorithm: a client that sends an
// APPEND literal and the CRLF ending its command in two writes without
// TCP_NODELAY (Python's imaplib does) holds the CRLF back until the literal
// is acknowledged, while the server's kernel, having nothing to send,
// delays that ACK by up to 40 ms: every APPEND then costs 40 ms. Asking the
// kernel to acknowledge at once after each read (Linux TCP_QUICKACK, which
// is not sticky and so is set again after every read) removes the stall;
// other systems do nothing.
//
// Write batching: go-imap flushes its buffer after every response line, so
// a FETCH of 2,000 messages cost 2,000 write system calls (and as many
// wake-ups of the client), and every command's tagged reply went out in a
// segment of its own. Once a command's first bytes have been read, writes
// collect in a buffer of batchBytes, written when full and before the
// connection next waits for input (Read), so a command's whole response,
// tagged reply included, usually leaves in one write, as Dovecot's corked
// output streams do. Writes made while the connection waits (IDLE
// updates, from go-imap's Idle goroutine) go out at once, and Close writes
// what is left (a BYE at shutdown). While batching, go-imap's write
// deadline (set and cleared around every response line: a runtime timer
// change each, ~5 % of the CPU under imap-mix) is only noted, and applied
// when the buffer is written. Below TLS, a batch holds the TLS records of
// a whole response, which then leave in one write as well.
//
// Command deadlines: see SetReadDeadline.
type serverConn struct {
	net.Conn
	raw        syscall.RawConn // nil: no quick ACKs
	pool       *sync.Pool      // of *[]byte with capacity batchBytes
	cmdTimeout time.Duration   // Options.CommandTimeout; 0: go-imap's

	mu       sync.Mutex
	buf      *[]byte   // non-nil while batching
	deadline time.Time // while batching: the write deadline last asked for
	// origins puts the origin into partial BINARY items (binorigin.go);
	// set on the connection go-imap writes to, never below TLS.
	origins *binaryOrigins
}

// batchBytes is the write batch buffer's size: a few loopback segments.
const batchBytes = 64 << 10

// batchWriteTimeout bounds writing a batch before reading (what go-imap
// allows for one response); closeWriteTimeout when closing.
const (
	batchWriteTimeout = 30 * time.Second
	closeWriteTimeout = time.Second
)

// wrapConn wraps an accepted raw connection: everything the server does
// to a connection below TLS happens here, for every listener. (A guard
// that reads the client's commands must sit above TLS: see wrapTLS.)
func wrapConn(c net.Conn, pool *sync.Pool, cmdTimeout time.Duration) net.Conn {
	sc := &serverConn{Conn: c, pool: pool, cmdTimeout: cmdTimeout}
	// syscall.Conn, not *net.TCPConn: the accept loop may wrap the
	// socket (cmd counts connections per listener).
	if tc, ok := c.(syscall.Conn); ok && quickAckSupported {
		if raw, err := tc.SyscallConn(); err == nil {
			sc.raw = raw
		}
	}
	sc.Conn = newInputGuard(sc.Conn) // guard.go: what go-imap's decoder gets wrong
	return sc
}

// tlsConn is a TLS connection (port 993, or 143 after STARTTLS, which
// the server takes over: starttls.go) as go-imap sees it: a
// second write batch above TLS, so that a response becomes a few TLS
// records of up to 16 KiB instead of one record per response line (go-imap
// flushes its buffer after every response: a FETCH of 2,000 flags was
// 2,000 records, each sealed here and opened by the client, which made
// the TLS figures fall behind Dovecot's). The serverConn below TLS still
// makes the quick ACKs and applies the command deadlines, and writes the
// records of a batch in one system call.
//
// go-imap decides whether a connection is TLS from its type (*tls.Conn),
// which this is not: these connections are served by a library server
// that allows authentication and offers no STARTTLS (Server.implicit), and the
// session asks isTLS.
type tlsConn struct {
	*serverConn
	tc *tls.Conn
}

// wrapTLS wraps an implicit-TLS connection whose handshake is done.
//
// The input guard (guard.go) sits right above TLS here, where it sees the
// client's plaintext; the one under TLS (wrapConn) steps aside when the
// handshake begins.
func wrapTLS(tc *tls.Conn, pool *sync.Pool) net.Conn {
	return &tlsConn{serverConn: &serverConn{Conn: newInputGuard(tc), pool: pool, origins: newBinaryOrigins()}, tc: tc}
}

// isTLS reports whether c (the connection go-imap holds) is TLS: STARTTLS
// (*tls.Conn) or implicit TLS (tlsConn).
func isTLS(c net.Conn) bool {
	switch c.(type) {
	case *tls.Conn, *tlsConn:
		return true
	}
	return false
}

// libCmdReadTimeout is go-imap v2 beta.8's read deadline for a command
// (imapserver/conn.go cmdReadTimeout: set when the command's first byte
// has arrived, and before login also for the wait before it); it has no
// option to change it.
const libCmdReadTimeout = 30 * time.Second

// SetReadDeadline implements net.Conn. go-imap sets three read deadlines
// of fixed lengths: libCmdReadTimeout for a command line (with its
// literals, except APPEND's), 5 minutes for an APPEND literal, 35 minutes
// while idle after login. A whole command line, however it trickles in,
// must therefore arrive within 30 s, which bounds the slowloris client.
// With a shorter CommandTimeout, a deadline of go-imap's command length is
// shortened to it (the longer ones are left alone). The workaround goes
// when go-imap lets its timeouts be configured.
func (c *serverConn) SetReadDeadline(t time.Time) error {
	if c.cmdTimeout > 0 && c.cmdTimeout < libCmdReadTimeout && !t.IsZero() {
		now := time.Now()
		if t.Sub(now) <= libCmdReadTimeout {
			t = now.Add(c.cmdTimeout)
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *serverConn) Read(b []byte) (int, error) {
	if err := c.endBatch(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	if n > 0 {
		if c.raw != nil {
			quickAck(c.raw)
		}
		c.startBatch()
	}
	return n, err
}

// Close writes what the batch holds (briefly: the peer may be gone) and
// closes the connection.
func (c *serverConn) Close() error {
	c.mu.Lock()
	if c.buf != nil && len(*c.buf) > 0 {
		c.deadline = time.Now().Add(closeWriteTimeout)
		c.flushLocked()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *serverConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if c.origins != nil {
		err = c.origins.write(b, c.writeLocked)
	} else {
		err = c.writeLocked(b)
	}
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// writeLocked writes b into the batch, or at once when not batching.
func (c *serverConn) writeLocked(b []byte) error {
	if c.buf == nil {
		_, err := c.Conn.Write(b)
		return err
	}
	buf := *c.buf
	if len(buf)+len(b) > cap(buf) {
		if err := c.flushLocked(); err != nil {
			return err
		}
		buf = *c.buf
		if len(b) >= cap(buf) {
			if err := c.Conn.SetWriteDeadline(c.deadline); err != nil {
				return err
			}
			_, err := c.Conn.Write(b)
			return err
		}
	}
	*c.buf = append(buf, b...)
	return nil
}

// expectBinaryOrigin announces a partial BINARY item (binorigin.go).
func (c *serverConn) expectBinaryOrigin(item uint64, origin int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.origins != nil {
		c.origins.expect(item, origin)
	}
}

// SetWriteDeadline implements net.Conn.
func (c *serverConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf != nil {
		c.deadline = t
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline implements net.Conn.
func (c *serverConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// flushLocked writes the batch buffer under the deadline last asked for.
func (c *serverConn) flushLocked() error {
	buf := *c.buf
	*c.buf = buf[:0]
	if len(buf) == 0 {
		return nil
	}
	if err := c.Conn.SetWriteDeadline(c.deadline); err != nil {
		return err
	}
	_, err := c.Conn.Write(buf)
	return err
}

func (c *serverConn) startBatch() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.buf == nil {
		c.buf = c.pool.Get().(*[]byte)
		c.deadline = time.Time{}
	}
}

// endBatch writes what the batch holds and stops batching. The buffer goes
// back to the pool: an idle connection holds none.
func (c *serverConn) endBatch() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.origins != nil {
		if err := c.origins.release(c.writeLocked); err != nil {
			return err
		}
	}
	if c.buf == nil {
		return nil
	}
	var err error
	if len(*c.buf) > 0 {
		c.deadline = time.Now().Add(batchWriteTimeout)
		err = c.flushLocked()
	}
	if derr := c.Conn.SetWriteDeadline(time.Time{}); err == nil {
		err = derr
	}
	*c.buf = (*c.buf)[:0]
	c.pool.Put(c.buf)
	c.buf = nil
	return err
}

func newBufPool() *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, 0, batchBytes)
		return &b
	}}
}

// ackNow acknowledges what has been received on c's socket at once, after
// a literal has been read. serverConn already does it after every read it
// makes; this covers a literal served from what TLS had buffered.
func ackNow(c net.Conn) {
	if tc, ok := c.(*tlsConn); ok {
		c = tc.tc
	}
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if sc, ok := c.(*serverConn); ok && sc.raw != nil {
		quickAck(sc.raw)
	}
}
