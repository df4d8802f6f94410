package smtpd

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxHandshakeTimeout bounds an implicit-TLS handshake (port 465) when
// ReadTimeout is longer: a handshake is a few round trips.
const maxHandshakeTimeout = 30 * time.Second

// ConnLimiter bounds concurrent connections in total and per client IP. One
// limiter is shared by the SMTP listeners (config max_connections and
// max_connections_per_ip count over all of them). A slot is held from
// ServeConn to the connection's close, exactly: taken before anything is
// read or written, given back once, whichever way the connection ends.
type ConnLimiter struct {
	total, perIP int
	mu           sync.Mutex
	n            int
	byIP         map[netip.Addr]int
}

// NewConnLimiter returns a limiter; a limit <= 0 means no limit.
func NewConnLimiter(total, perIP int) *ConnLimiter {
	return &ConnLimiter{total: total, perIP: perIP, byIP: map[netip.Addr]int{}}
}

// acquire takes a slot for ip, or reports false when a limit is reached.
func (l *ConnLimiter) acquire(ip netip.Addr) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total > 0 && l.n >= l.total || l.perIP > 0 && l.byIP[ip] >= l.perIP {
		return false
	}
	l.n++
	l.byIP[ip]++
	return true
}

func (l *ConnLimiter) release(ip netip.Addr) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n--
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

// inUse reports the slots held in total and by ip (tests).
func (l *ConnLimiter) inUse(ip netip.Addr) (total, byIP int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, l.byIP[ip]
}

// ServeConn serves one connection accepted by the caller's accept loop
// (contract C1). c is the raw TCP connection; with implicitTLS (port 465)
// TLS goes on top of the deadline wrapper, as STARTTLS does, after a
// handshake with a deadline. ServeConn returns at once; the server owns c
// and closes it, at once on Close. Connections over the limits get 421.
func (s *Server) ServeConn(c net.Conn, implicitTLS bool) {
	if s.closing.Load() {
		c.Close()
		return
	}
	ip := remoteIP(c)
	if !s.opts.Limiter.acquire(ip) {
		s.log.Warn("connection refused: too many connections", "remote", ip.String())
		go s.turnAway(c, implicitTLS)
		return
	}
	dc := &deadlineConn{Conn: c, idle: s.opts.ReadTimeout}
	dc.release = func() {
		s.opts.Limiter.release(ip)
		s.mu.Lock()
		delete(s.live, dc)
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.live[dc] = struct{}{}
	s.mu.Unlock()
	if s.closing.Load() { // Close may have run before dc was in live
		dc.Close()
		return
	}
	if !implicitTLS {
		s.conns.deliver(dc)
		return
	}
	if s.opts.TLSConfig == nil {
		s.log.Error("implicit TLS connection but no TLS configuration", "remote", ip.String())
		dc.Close()
		return
	}
	go func() {
		tc := tls.Server(dc, s.opts.TLSConfig)
		if err := s.handshake(tc); err != nil {
			s.log.Debug("TLS handshake failed", "remote", ip.String(), "err", err)
			tc.Close()
			return
		}
		s.conns.deliver(tc)
	}()
}

// handshake runs the TLS handshake of an implicit-TLS connection with a
// deadline (ReadTimeout, at most maxHandshakeTimeout), so a client that
// connects and sends nothing, or trickles its ClientHello, is dropped.
func (s *Server) handshake(tc *tls.Conn) error {
	d := min(s.opts.ReadTimeout, maxHandshakeTimeout)
	tc.SetDeadline(time.Now().Add(d))
	ctx, cancel := context.WithTimeout(s.ctx, d)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	return tc.SetDeadline(time.Time{})
}

// turnAway answers a connection over the limits with 421 and closes it
// (RFC 5321 §3.1: a server may refuse service with 421 in its greeting).
func (s *Server) turnAway(c net.Conn, implicitTLS bool) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var w net.Conn = c
	if implicitTLS {
		if s.opts.TLSConfig == nil {
			return
		}
		tc := tls.Server(c, s.opts.TLSConfig)
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if tc.HandshakeContext(ctx) != nil {
			return
		}
		w = tc
	}
	w.Write([]byte("421 4.7.0 " + s.opts.Hostname + " Too many connections, try again later\r\n"))
}

// remoteIP is the client's address (IPv4-mapped IPv6 unmapped).
func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// deadlineConn is the raw socket of one session, below TLS.
//
// Between messages, read deadlines are go-smtp's: it sets ReadTimeout
// before each command line (Server.ReadTimeout), so a whole line, from when
// the server starts waiting to its CRLF, must arrive within it (RFC 5321
// §4.5.3.2.7: 5 minutes for a command); a client sending a byte a second
// is dropped. go-smtp sets no deadline while it reads DATA or a BDAT chunk
// (go-smtp issue #196: the deadline of the DATA command line would bound
// the transfer), so from beginData to endData every Read gets its own
// deadline instead: idle (RFC 5321 §4.5.3.2.6, the wait for each piece
// of data), and never later than data_timeout after the transfer began;
// go-smtp's deadlines are ignored meanwhile. Once a read has timed out,
// every read fails at once (a TLS stream is broken after a timeout).
type deadlineConn struct {
	net.Conn
	idle    time.Duration
	release func()

	mu       sync.Mutex
	hard     time.Time // end of the DATA/BDAT transfer; zero: not in one
	expired  error
	released sync.Once
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.expired != nil {
		err := c.expired
		c.mu.Unlock()
		return 0, err
	}
	if !c.hard.IsZero() {
		d := time.Now().Add(c.idle)
		if c.hard.Before(d) {
			d = c.hard
		}
		if err := c.Conn.SetReadDeadline(d); err != nil {
			c.mu.Unlock()
			return 0, err
		}
	}
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	if err != nil && isTimeout(err) {
		c.mu.Lock()
		c.expired = err
		c.mu.Unlock()
	}
	return n, err
}

// SetReadDeadline sets go-smtp's (or crypto/tls's) deadline, except during
// a DATA or BDAT transfer, when Read sets its own.
func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.hard.IsZero() {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets both halves, the read half as SetReadDeadline does.
func (c *deadlineConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.SetReadDeadline(t)
}

// beginData bounds the rest of a DATA or BDAT transfer by total.
func (c *deadlineConn) beginData(total time.Duration) {
	c.mu.Lock()
	c.hard = time.Now().Add(total)
	c.mu.Unlock()
}

// endData goes back to go-smtp's per-command deadlines (it sets one before
// reading the next command line).
func (c *deadlineConn) endData() {
	c.mu.Lock()
	c.hard = time.Time{}
	c.mu.Unlock()
}

// Close closes the socket and gives the connection's slot back, once.
func (c *deadlineConn) Close() error {
	err := c.Conn.Close()
	if c.release != nil {
		c.released.Do(c.release)
	}
	return err
}

// rawConn finds the deadlineConn under c (which may be a *tls.Conn).
func rawConn(c net.Conn) *deadlineConn {
	for c != nil {
		switch t := c.(type) {
		case *deadlineConn:
			return t
		case *tls.Conn:
			c = t.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// connQueue hands connections from ServeConn to go-smtp's Serve loop: a
// net.Listener whose Accept returns what deliver gives it.
type connQueue struct {
	conns  chan net.Conn
	done   chan struct{}
	closer sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{conns: make(chan net.Conn), done: make(chan struct{})}
}

// deliver waits until go-smtp takes c (it starts a goroutine per
// connection at once), or closes c when the queue is closed.
func (q *connQueue) deliver(c net.Conn) {
	select {
	case q.conns <- c:
	case <-q.done:
		c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.closer.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }
