package smtpd

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"sync"
	"time"
)

// ConnLimiter bounds concurrent connections in total and per client IP. One
// limiter is shared by the SMTP listeners (config max_connections and
// max_connections_per_ip count over all of them).
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

// limitedListener accepts connections for go-smtp: it turns away those
// over the limits, wraps each socket in a deadlineConn and, for implicit
// TLS, puts TLS on top of that (so the deadlines apply to the raw reads).
type limitedListener struct {
	net.Listener
	srv *Server
}

func (ln *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		if !ln.srv.opts.Limiter.acquire(ip) {
			ln.srv.log.Warn("connection refused: too many connections", "remote", ip.String())
			go ln.srv.turnAway(c)
			continue
		}
		dc := &deadlineConn{Conn: c, idle: ln.srv.opts.ReadTimeout, release: func() { ln.srv.opts.Limiter.release(ip) }}
		if ln.srv.opts.Mode == ModeSubmissions {
			return tls.Server(dc, ln.srv.opts.TLSConfig), nil
		}
		return dc, nil
	}
}

// turnAway answers a connection over the limits with 421 and closes it
// (RFC 5321 §3.1: a server may refuse service with 421 in its greeting).
func (s *Server) turnAway(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var w net.Conn = c
	if s.opts.Mode == ModeSubmissions {
		tc := tls.Server(c, s.opts.TLSConfig)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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

// deadlineConn is the raw socket of one session. go-smtp sets a read
// deadline only before each command line, so its ReadTimeout would bound a
// whole DATA transfer (go-smtp issue #196). Instead every Read gets a fresh
// deadline of idle (RFC 5321 §4.5.3.2.7: the server waits at least 5
// minutes for the next command or piece of data), and during DATA or BDAT
// no later than the transfer's overall deadline. Deadline calls from above
// (go-smtp, crypto/tls) are ignored for reads.
type deadlineConn struct {
	net.Conn
	idle    time.Duration
	release func()

	mu       sync.Mutex
	hard     time.Time // zero: none
	expired  error     // once a read timed out, every read fails at once
	released sync.Once
}

func (c *deadlineConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.expired != nil {
		err := c.expired
		c.mu.Unlock()
		return 0, err
	}
	d := time.Now().Add(c.idle)
	if !c.hard.IsZero() && c.hard.Before(d) {
		d = c.hard
	}
	c.mu.Unlock()
	if err := c.Conn.SetReadDeadline(d); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if err != nil && isTimeout(err) {
		c.mu.Lock()
		c.expired = err
		c.mu.Unlock()
	}
	return n, err
}

// SetReadDeadline is ignored: Read sets its own.
func (c *deadlineConn) SetReadDeadline(time.Time) error { return nil }

// SetDeadline passes the write half on.
func (c *deadlineConn) SetDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(t) }

// beginData bounds the rest of a DATA or BDAT transfer by total.
func (c *deadlineConn) beginData(total time.Duration) {
	c.mu.Lock()
	c.hard = time.Now().Add(total)
	c.mu.Unlock()
}

// endData goes back to per-command timeouts.
func (c *deadlineConn) endData() {
	c.mu.Lock()
	c.hard = time.Time{}
	c.mu.Unlock()
}

func (c *deadlineConn) Close() error {
	c.released.Do(c.release)
	return c.Conn.Close()
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
