package managesieved

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultMaxConnections = 100
	// DefaultIdleTimeout is how long a session may wait for a command.
	// RFC 5804 names no timer; this is Dovecot's managesieve default
	// (and POP3's RFC 1939 minimum).
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultCommandTimeout bounds one command from its first octet to
	// its response: reading its literals and running it.
	DefaultCommandTimeout = 2 * time.Minute
	DefaultWriteTimeout   = 2 * time.Minute
	// DefaultMaxLineLength bounds a command line outside its literals.
	DefaultMaxLineLength = 8192
	// DefaultMaxScripts and DefaultMaxScriptSize are the per-user limits.
	DefaultMaxScripts    = 32
	DefaultMaxScriptSize = 64 << 10
	// DefaultMaxAuthFailures failed logins end a connection.
	DefaultMaxAuthFailures = 3
	// DefaultImplementation is the IMPLEMENTATION capability.
	DefaultImplementation = "mailserver"

	// handshakeTimeout bounds a TLS handshake.
	handshakeTimeout = 30 * time.Second
	// maxBadCommands unknown or malformed commands end a connection (a
	// client speaking another protocol to the port).
	maxBadCommands = 10
	// maxSASLBytes bounds a literal before authentication (a SASL
	// response of a long password).
	maxSASLBytes = 8 << 10
	// maxDiscardBytes: a literal above the script size limit but below
	// this is read and dropped so the client hears NO (QUOTA/MAXSIZE)
	// and the session goes on; a larger one ends the session.
	maxDiscardBytes = 16 << 20
)

// ErrServerClosed ends the wait for a command at shutdown.
var ErrServerClosed = errors.New("managesieved: server closed")

// Checker checks a script before it is stored or activated (cmd passes
// one that calls sieve.Parse). Its error's text is sent to the client in
// the NO response; for a syntax error it is "line L, column C: message"
// (*sieve.Error).
type Checker func(script []byte) error

// Options configure a Server. Zero fields get the defaults above.
type Options struct {
	Store Store
	// Check is required: scripts are never stored unchecked.
	Check Checker
	// Extensions is the SIEVE capability: the Sieve extensions Check
	// accepts (sieve.Extensions()).
	Extensions []string
	// MaxRedirects is the MAXREDIRECTS capability (RFC 5804 §1.7); 0
	// omits it.
	MaxRedirects int
	// Implementation is the IMPLEMENTATION capability.
	Implementation string
	// TLSConfig enables STARTTLS (RFC 5804 §2.2) and implicit TLS
	// (ServeConn with implicitTLS).
	TLSConfig *tls.Config
	// AllowPlaintextOnLoopback permits AUTHENTICATE without TLS from
	// loopback addresses (127.0.0.0/8, ::1); elsewhere it needs TLS.
	AllowPlaintextOnLoopback bool
	// MaxScripts and MaxScriptSize are the per-user limits, reported as
	// NO (QUOTA/MAXSCRIPTS) and NO (QUOTA/MAXSIZE).
	MaxScripts      int
	MaxScriptSize   int
	MaxConnections  int
	IdleTimeout     time.Duration
	CommandTimeout  time.Duration
	WriteTimeout    time.Duration
	MaxLineLength   int
	MaxAuthFailures int
	Logger          *slog.Logger
}

// Server is a ManageSieve server (RFC 5804). Use NewServer; it is safe
// for concurrent use and serves the connections its caller's accept loop
// hands it (ServeConn).
type Server struct {
	opts Options
	st   Store
	log  *slog.Logger

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

// NewServer returns a server with opts.
func NewServer(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("managesieved: Options.Store is nil")
	}
	if opts.Check == nil {
		return nil, errors.New("managesieved: Options.Check is nil")
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = DefaultCommandTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.MaxLineLength <= 0 {
		opts.MaxLineLength = DefaultMaxLineLength
	}
	// Room for two maximal quoted strings (RFC 5804 §4: 1024 octets each).
	opts.MaxLineLength = max(opts.MaxLineLength, 2*maxQuoted+64)
	if opts.MaxScripts <= 0 {
		opts.MaxScripts = DefaultMaxScripts
	}
	if opts.MaxScriptSize <= 0 {
		opts.MaxScriptSize = DefaultMaxScriptSize
	}
	if opts.MaxAuthFailures <= 0 {
		opts.MaxAuthFailures = DefaultMaxAuthFailures
	}
	if opts.Implementation == "" {
		opts.Implementation = DefaultImplementation
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		opts:     opts,
		st:       opts.Store,
		log:      opts.Logger,
		ctx:      ctx,
		cancel:   cancel,
		sessions: make(map[*session]struct{}),
		zero:     make(chan struct{}),
	}, nil
}

// ServeConn serves one connection accepted by the caller's accept loop.
// c is the raw TCP connection; with implicitTLS the session puts TLS on
// it and finishes the handshake before the greeting. ServeConn returns
// at once; the server owns c and closes it. Connections over
// MaxConnections get BYE (TRYLATER).
func (srv *Server) ServeConn(c net.Conn, implicitTLS bool) {
	srv.mu.Lock()
	if srv.closing.Load() {
		srv.mu.Unlock()
		c.Close()
		return
	}
	if implicitTLS && srv.opts.TLSConfig == nil {
		srv.mu.Unlock()
		srv.log.Error("managesieve implicit TLS connection but no TLS configuration", "remote", c.RemoteAddr().String())
		c.Close()
		return
	}
	if len(srv.sessions) >= srv.opts.MaxConnections {
		srv.mu.Unlock()
		srv.log.Warn("managesieve connection refused: too many connections", "remote", c.RemoteAddr().String(), "max", srv.opts.MaxConnections)
		go srv.refuse(c, implicitTLS, "BYE (TRYLATER) \"too many connections, try again later\"\r\n")
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

// refuse writes one line (over TLS for implicit TLS) and closes c.
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

// Shutdown stops taking connections, ends every session waiting for a
// command (with BYE (TRYLATER)), lets sessions finish the command in
// progress, and waits until all have ended or ctx expires; then it closes
// what is left, as Close, and returns ctx's error.
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

// Close closes every connection at once. A write to the store already
// committing completes; nothing else is written.
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
