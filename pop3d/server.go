package pop3d

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultMaxConnections = 200
	// DefaultIdleTimeout is RFC 1939 §3's minimum autologout timer.
	DefaultIdleTimeout  = 10 * time.Minute
	DefaultWriteTimeout = 5 * time.Minute
	// DefaultMaxLineLength bounds a command line including CRLF. RFC 2449
	// §4 limits commands to 255 octets; SASL responses (RFC 5034 §4) may
	// be longer, so the default leaves room for long passwords.
	DefaultMaxLineLength = 4096
	// DefaultMaxAuthFailures failed logins end a connection.
	DefaultMaxAuthFailures = 3

	// handshakeTimeout bounds a TLS handshake (implicit TLS or STLS).
	handshakeTimeout = 30 * time.Second
	// maxBadCommands unknown or misplaced commands end a connection (a
	// client speaking another protocol, such as HTTP, to the POP3 port).
	maxBadCommands = 10
)

// ErrServerClosed ends the wait for a command at shutdown.
var ErrServerClosed = errors.New("pop3d: server closed")

// Options configure a Server. Zero fields get the defaults above.
type Options struct {
	// Hostname is named in the greeting.
	Hostname string
	// TLSConfig enables STLS (RFC 2595) on plain connections and serves
	// implicit TLS (pop3s, ServeConn with implicitTLS).
	TLSConfig *tls.Config
	// AllowPlaintextOnLoopback permits USER/PASS and AUTH without TLS
	// from loopback addresses (127.0.0.0/8, ::1). Without it, and from any
	// other address, logins need TLS.
	AllowPlaintextOnLoopback bool
	MaxConnections           int
	// IdleTimeout is the autologout timer: how long a session may wait
	// for a command.
	IdleTimeout time.Duration
	// WriteTimeout ends a session whose client stops reading for this
	// long (per write, so a long RETR to a steady reader is not cut).
	WriteTimeout    time.Duration
	MaxLineLength   int
	MaxAuthFailures int
	Logger          *slog.Logger
	// Metrics, if set, reports the sessions at scrape time (metrics.go).
	Metrics *Metrics
}

// Server is a POP3 server. Use New; it is safe for concurrent use and
// serves the connections of several listeners (pop3 and pop3s) at once,
// handed to it by the caller's accept loop (ServeConn).
type Server struct {
	st    Store
	opts  Options
	log   *slog.Logger
	locks lockTable
	// bufs are RETR's chunk buffers.
	bufs sync.Pool

	// ctx is cancelled by Close: store calls of sessions then fail.
	ctx    context.Context
	cancel context.CancelFunc

	closing  atomic.Bool
	mu       sync.Mutex
	sessions map[*session]struct{}
	// zero is closed (and replaced) whenever the session count drops to
	// zero, for Shutdown to wait on.
	zero chan struct{}
}

// New returns a server over st.
func New(st Store, opts Options) *Server {
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.MaxLineLength <= 0 {
		opts.MaxLineLength = DefaultMaxLineLength
	}
	opts.MaxLineLength = max(opts.MaxLineLength, 256) // RFC 2449 §4: 255 octets at least
	if opts.MaxAuthFailures <= 0 {
		opts.MaxAuthFailures = DefaultMaxAuthFailures
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
		if opts.Hostname == "" {
			opts.Hostname = "localhost"
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return opts.Metrics.bind(&Server{
		st:       st,
		opts:     opts,
		log:      opts.Logger,
		ctx:      ctx,
		cancel:   cancel,
		sessions: make(map[*session]struct{}),
		zero:     make(chan struct{}),
		bufs:     sync.Pool{New: func() any { b := make([]byte, retrChunk); return &b }},
	})
}

// ServeConn serves one connection accepted by the caller's accept loop
// (contract C1). c is the raw TCP connection; with implicitTLS (pop3s,
// port 995) the session puts TLS on it and finishes the handshake, with a
// deadline, before the greeting, as STLS does. ServeConn returns at once;
// the server owns c and closes it (at once on Close). Connections over
// MaxConnections get -ERR [SYS/TEMP].
func (srv *Server) ServeConn(c net.Conn, implicitTLS bool) {
	srv.mu.Lock()
	if srv.closing.Load() {
		srv.mu.Unlock()
		c.Close()
		return
	}
	if implicitTLS && srv.opts.TLSConfig == nil {
		srv.mu.Unlock()
		srv.log.Error("pop3s connection but no TLS configuration", "remote", c.RemoteAddr().String())
		c.Close()
		return
	}
	if len(srv.sessions) >= srv.opts.MaxConnections {
		srv.mu.Unlock()
		srv.log.Warn("pop3 connection refused: too many connections", "remote", c.RemoteAddr().String(), "max", srv.opts.MaxConnections)
		go srv.refuse(c, implicitTLS, "-ERR ["+codeSysTemp+"] too many connections, try again later\r\n")
		return
	}
	s := newSession(srv, c, implicitTLS)
	srv.sessions[s] = struct{}{}
	srv.mu.Unlock()
	go func() {
		defer srv.remove(s)
		s.serve()
	}()
}

// refuse writes one line (over TLS for pop3s) and closes c.
func (srv *Server) refuse(c net.Conn, implicitTLS bool, line string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var w net.Conn = c
	if implicitTLS {
		tc := tls.Server(c, srv.opts.TLSConfig)
		ctx, cancel := context.WithTimeout(srv.ctx, 10*time.Second)
		defer cancel()
		if tc.HandshakeContext(ctx) != nil {
			return
		}
		w = tc
	}
	w.Write([]byte(line))
}

func (srv *Server) remove(s *session) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	delete(srv.sessions, s)
	if len(srv.sessions) == 0 {
		close(srv.zero)
		srv.zero = make(chan struct{})
	}
}

// Shutdown stops accepting connections, ends every session that is waiting
// for a command (with -ERR [SYS/TEMP]; nothing marked is deleted), lets
// sessions finish the command in progress, and waits until all have ended
// or ctx expires. Sessions left then are closed as by Close, and ctx's
// error is returned.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.closing.Store(true)
	srv.mu.Lock()
	for s := range srv.sessions {
		s.interruptIfIdle()
	}
	zero := srv.zero
	n := len(srv.sessions)
	srv.mu.Unlock()
	if n == 0 {
		return nil
	}
	select {
	case <-zero:
		return nil
	case <-ctx.Done():
		srv.Close()
		return ctx.Err()
	}
}

// Close closes every connection at once. Nothing marked
// for deletion is deleted, except by a QUIT already committing.
func (srv *Server) Close() error {
	srv.closing.Store(true)
	srv.cancel()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for s := range srv.sessions {
		s.closeConn()
	}
	return nil
}
