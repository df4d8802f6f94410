package imapd

import (
	"bytes"
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"
)

// STARTTLS on port 143 is taken over from go-imap. The library would put
// TLS on top of the connection it was given (imapserver/starttls.go) and
// offers no hook to wrap what it then reads and writes, so after STARTTLS
// neither the input guard (guard.go) nor the write batch above TLS
// (tlsConn, conn.go) could act: every response line became a TLS record
// of its own and oversized literals went unchecked.
//
// Instead the library still advertises STARTTLS and answers the command
// (its "OK Begin TLS negotiation now"), and the guard under it watches for
// that tagged OK. Once it has gone out, the server does the handshake on
// the raw connection itself and hands the TLS connection to the library
// server that serves port 993 (implicit TLS), exactly as an implicit-TLS
// connection: same wrappers, same guard above TLS, same write batching.
// The new library connection's greeting is not sent (RFC 9051 §6.2.1: after
// STARTTLS the client issues CAPABILITY, no greeting follows), and the
// session state is what it was: not authenticated. The plaintext library
// connection reads EOF and ends; its writes and its Close go nowhere.
//
// The takeover can go when go-imap lets the server wrap the connection
// after STARTTLS (an Options hook around its tls.Server call).
type takeover struct {
	// start, when set, takes the raw connection over after the STARTTLS
	// OK (nil: the library's own STARTTLS goes ahead).
	start func(raw net.Conn)
	tag   string      // a STARTTLS command passed to the library, not yet answered (guarded by mu)
	done  atomic.Bool // the OK went out: the connection belongs to a new session
	// dropGreeting: above TLS after a takeover, the library's greeting
	// line is not sent.
	dropGreeting bool
}

// noteStartTLS is called at the end of a command line passed straight to
// the library (no arguments); it reports whether it was a STARTTLS the
// server takes over.
func (g *inputGuard) noteStartTLS() bool {
	if g.takeover.start == nil || g.loggedIn.Load() || commandName(g.cmd.head) != "STARTTLS" {
		return false
	}
	tag := commandTag(g.cmd.head)
	if tag == "" {
		return false
	}
	g.mu.Lock()
	g.takeover.tag = tag
	g.mu.Unlock()
	return true
}

// taggedOK reports whether line is the tagged reply to tag, setting *ok
// when it is an OK.
func taggedOK(line []byte, tag string, ok *bool) bool {
	if len(line) <= len(tag) || string(line[:len(tag)]) != tag || line[len(tag)] != ' ' {
		return false
	}
	*ok = len(line) >= len(tag)+3 && upperASCII(string(line[len(tag)+1:len(tag)+3])) == "OK"
	return true
}

// handOver ends the plaintext session and starts the TLS one.
func (g *inputGuard) handOver() {
	if !g.takeover.done.CompareAndSwap(false, true) {
		return
	}
	g.rest, g.out = nil, nil
	go g.takeover.start(g.Conn)
}

// dropGreetingLine removes the first response line (the greeting) from
// b; until it has ended, everything is dropped.
func (g *inputGuard) dropGreetingLine(b []byte) []byte {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return nil
	}
	g.takeover.dropGreeting = false
	return b[i+1:]
}

// Close implements net.Conn; after a takeover the raw connection lives on.
func (g *inputGuard) Close() error {
	if g.takeover.done.Load() {
		return nil
	}
	return g.Conn.Close()
}

// SetDeadline, SetReadDeadline and SetWriteDeadline implement net.Conn;
// after a takeover they no longer reach the raw connection, which the new
// session's wrappers time.
func (g *inputGuard) SetDeadline(t time.Time) error {
	if g.takeover.done.Load() {
		return nil
	}
	return g.Conn.SetDeadline(t)
}

func (g *inputGuard) SetReadDeadline(t time.Time) error {
	if g.takeover.done.Load() {
		return nil
	}
	return g.Conn.SetReadDeadline(t)
}

func (g *inputGuard) SetWriteDeadline(t time.Time) error {
	if g.takeover.done.Load() {
		return nil
	}
	return g.Conn.SetWriteDeadline(t)
}

// serveTLS completes the TLS handshake of tc (implicit TLS, or a STARTTLS
// the server took over) with a deadline and hands the connection to the
// library server for TLS connections. afterStartTLS leaves out the
// greeting.
func (s *Server) serveTLS(tc *tls.Conn, afterStartTLS bool) {
	if err := s.handshake(tc); err != nil {
		s.log.Debug("imap TLS handshake failed", "remote", remoteIP(tc).String(), "starttls", afterStartTLS, "err", err)
		tc.Close()
		return
	}
	c := wrapTLS(tc, s.bufs)
	if afterStartTLS {
		guardOf(c).takeover.dropGreeting = true
	}
	s.implicitLn.deliver(c)
}

// takeOverStartTLS is the guard's takeover.start: raw is the client's TCP
// connection, right after the STARTTLS OK.
func (s *Server) takeOverStartTLS(raw net.Conn) {
	if s.isClosed() {
		raw.Close()
		return
	}
	s.serveTLS(tls.Server(wrapConn(raw, s.bufs, s.opts.CommandTimeout), s.opts.TLSConfig), true)
}
