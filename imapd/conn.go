package imapd

import (
	"crypto/tls"
	"net"
	"sync"
	"syscall"
	"time"
)

// serverConn wraps each accepted plaintext TCP connection, below TLS
// (STARTTLS wraps it), for two things go-imap's connection does not do.
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
// when the buffer is written.
type serverConn struct {
	net.Conn
	raw  syscall.RawConn // nil: no quick ACKs
	pool *sync.Pool      // of *[]byte with capacity batchBytes

	mu       sync.Mutex
	buf      *[]byte   // non-nil while batching
	deadline time.Time // while batching: the write deadline last asked for
}

// batchBytes is the write batch buffer's size: a few loopback segments.
const batchBytes = 64 << 10

// batchWriteTimeout bounds writing a batch before reading (what go-imap
// allows for one response); closeWriteTimeout when closing.
const (
	batchWriteTimeout = 30 * time.Second
	closeWriteTimeout = time.Second
)

// wrapConn wraps an accepted plaintext TCP connection; anything else is
// returned as it is.
func wrapConn(c net.Conn, pool *sync.Pool) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	sc := &serverConn{Conn: c, pool: pool}
	if quickAckSupported {
		if raw, err := tc.SyscallConn(); err == nil {
			sc.raw = raw
		}
	}
	sc.Conn = newInputGuard(sc.Conn) // guard.go: what go-imap's decoder gets wrong
	return sc
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
	if c.buf == nil {
		return c.Conn.Write(b)
	}
	buf := *c.buf
	if len(buf)+len(b) > cap(buf) {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		buf = *c.buf
		if len(b) >= cap(buf) {
			if err := c.Conn.SetWriteDeadline(c.deadline); err != nil {
				return 0, err
			}
			return c.Conn.Write(b)
		}
	}
	*c.buf = append(buf, b...)
	return len(b), nil
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
	if err := c.Conn.SetReadDeadline(t); err != nil {
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

// ackNow acknowledges what has been received on c's socket at once: for
// an implicit-TLS connection, which serverConn does not sit below, after a
// literal has been read.
func ackNow(c net.Conn) {
	tc, ok := c.(*tls.Conn)
	if !ok || !quickAckSupported {
		return
	}
	if sc, ok := tc.NetConn().(*net.TCPConn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			quickAck(raw)
		}
	}
}
