package imapd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// ErrServerClosed is returned by Shutdown and Close when the server was
// already closed.
var ErrServerClosed = errors.New("imapd: server closed")

// Defaults for zero Options fields.
const (
	DefaultMaxConnections        = 500
	DefaultMaxConnectionsPerUser = 50
	DefaultMaxMessageBytes       = 25 << 20
)

// Options configure a Server.
type Options struct {
	// Store is the mail store (a *store.Store).
	Store Store
	// TLSConfig enables STARTTLS; nil disables it (then only connections
	// from loopback with AllowPlaintextOnLoopback can log in, unless the
	// listener itself is TLS).
	TLSConfig *tls.Config
	// AllowPlaintextOnLoopback lets clients on 127.0.0.0/8 and ::1 log in
	// without TLS. Everywhere else LOGIN and AUTHENTICATE need TLS (RFC 9051
	// §11.1): the capability list says LOGINDISABLED until STARTTLS.
	AllowPlaintextOnLoopback bool
	// MaxConnections bounds the connections served at once; more get a
	// BYE greeting. MaxConnectionsPerUser bounds one user's logged-in
	// connections. MaxMessageBytes is the APPEND limit (APPENDLIMIT,
	// RFC 7889). Zero means the Default* constant.
	MaxConnections        int
	MaxConnectionsPerUser int
	MaxMessageBytes       int64
	// CommandTimeout, when set below go-imap's fixed 30 s, bounds a
	// command line more tightly: from when the server starts waiting for
	// it (before login) or from its first byte (after login) to its end,
	// and an implicit-TLS handshake. Zero keeps go-imap's 30 s (see
	// serverConn.SetReadDeadline).
	CommandTimeout time.Duration
	// Logger receives errors and connection events; nil discards them.
	Logger *slog.Logger
	// Metrics, if set, reports sessions and IDLE (metrics.go).
	Metrics *Metrics
}

// Server is an IMAP server. One Server serves the connections of several
// listeners (143 with STARTTLS and 993 with implicit TLS), handed to it by
// the caller's accept loop (ServeConn).
//
// go-imap decides whether a connection may log in without TLS from a
// server-wide option (InsecureAuth), so Server runs two library servers:
// connections that may log in in plaintext (loopback, when allowed) are
// handed to one with InsecureAuth, all others to one without. Each client
// therefore sees the right capabilities (AUTH=PLAIN or LOGINDISABLED).
type Server struct {
	opts    Options
	log     *slog.Logger
	reg     *registry
	cache   *cacheWriter
	bufs    *sync.Pool           // write batch buffers (conn.go)
	bodies  bufPool              // FETCH body buffers (fetch.go)
	headers *memCache[[]byte]    // header sections
	infos   *memCache[*bodyInfo] // ENVELOPE and BODYSTRUCTURE

	// ctx is cancelled by Close and Shutdown: it ends TLS handshakes in
	// progress.
	ctx    context.Context
	cancel context.CancelFunc

	// implicit serves implicit TLS (see tlsConn in conn.go).
	secure, plain, implicit       *imapserver.Server
	secureLn, plainLn, implicitLn *chanListener
	inner                         sync.WaitGroup

	mu       sync.Mutex
	sessions map[*session]struct{}
	perUser  map[uint64]int
	closed   bool
	idle     chan struct{} // closed and replaced when sessions becomes empty
}

// Caps are the capabilities advertised. Every one is served: the library
// panics for some that lack their Session interface, and the others are
// implemented here. IMAP4rev1 stays for Thunderbird.
func caps() imap.CapSet {
	return imap.CapSet{
		imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {},
		imap.CapNamespace: {}, imap.CapUIDPlus: {}, imap.CapESearch: {}, imap.CapSearchRes: {},
		imap.CapListExtended: {}, imap.CapListStatus: {}, imap.CapMove: {}, imap.CapStatusSize: {},
		imap.CapBinary: {}, imap.CapChildren: {}, imap.CapSpecialUse: {}, imap.CapCreateSpecialUse: {},
	}
}

// New builds a Server.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("imapd: Options.Store is required")
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.MaxConnectionsPerUser <= 0 {
		opts.MaxConnectionsPerUser = DefaultMaxConnectionsPerUser
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.MaxMessageBytes > 1<<32-1 {
		return nil, fmt.Errorf("imapd: MaxMessageBytes %d does not fit APPENDLIMIT", opts.MaxMessageBytes)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:       opts,
		log:        log,
		reg:        newRegistry(opts.Store),
		bufs:       newBufPool(),
		headers:    newMemCache[[]byte](headerCacheBytes),
		infos:      newMemCache[*bodyInfo](infoCacheBytes),
		sessions:   make(map[*session]struct{}),
		perUser:    make(map[uint64]int),
		idle:       make(chan struct{}),
		secureLn:   newChanListener(),
		plainLn:    newChanListener(),
		implicitLn: newChanListener(),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cache = newCacheWriter(opts.Store, log)
	libLog := slogPrintf{log}
	s.secure = imapserver.New(&imapserver.Options{
		NewSession: s.newSession, Caps: caps(), TLSConfig: opts.TLSConfig, Logger: libLog,
	})
	s.plain = imapserver.New(&imapserver.Options{
		NewSession: s.newSession, Caps: caps(), TLSConfig: opts.TLSConfig, Logger: libLog, InsecureAuth: true,
	})
	s.implicit = imapserver.New(&imapserver.Options{
		NewSession: s.newSession, Caps: caps(), Logger: libLog, InsecureAuth: true,
	})
	for _, p := range []struct {
		srv *imapserver.Server
		ln  *chanListener
	}{{s.secure, s.secureLn}, {s.plain, s.plainLn}, {s.implicit, s.implicitLn}} {
		s.inner.Go(func() { p.srv.Serve(p.ln) })
	}
	opts.Metrics.bind(s)
	return s, nil
}

// handshakeTimeout bounds an implicit-TLS handshake (port 993), or
// CommandTimeout when that is shorter.
const handshakeTimeout = 30 * time.Second

// ServeConn serves one connection accepted by the caller's accept loop
// (contract C1). c is the raw TCP connection. It is wrapped (wrapConn:
// write batching, quick ACKs, command deadlines) and, with implicitTLS
// (port 993), TLS goes on top of the wrapper, as STARTTLS puts it, after a
// handshake with a deadline; so every listener takes the same path below
// TLS. ServeConn returns at once; the server owns c and closes it (at once
// on Close).
func (s *Server) ServeConn(c net.Conn, implicitTLS bool) {
	if s.isClosed() {
		c.Close()
		return
	}
	wc := wrapConn(c, s.bufs, s.opts.CommandTimeout)
	if !implicitTLS {
		// go-imap writes to this connection itself until a STARTTLS,
		// which starts a new one (starttls.go).
		wc.(*serverConn).origins = newBinaryOrigins()
		if s.opts.TLSConfig != nil {
			guardOf(wc).takeover.start = s.takeOverStartTLS // starttls.go
		}
		if s.mayLogInPlaintext(wc) {
			s.plainLn.deliver(wc)
		} else {
			s.secureLn.deliver(wc)
		}
		return
	}
	if s.opts.TLSConfig == nil {
		s.log.Error("imaps connection but no TLS configuration", "remote", remoteIP(c).String())
		wc.Close()
		return
	}
	go s.serveTLS(tls.Server(wc, s.opts.TLSConfig), false)
}

// handshake runs an implicit-TLS handshake with a deadline: go-imap sets
// no read deadline before its greeting, whose write would otherwise run
// the handshake with none, so a client that connected and sent nothing
// held its connection forever.
func (s *Server) handshake(tc *tls.Conn) error {
	d := handshakeTimeout
	if t := s.opts.CommandTimeout; t > 0 && t < d {
		d = t
	}
	tc.SetDeadline(time.Now().Add(d))
	ctx, cancel := context.WithTimeout(s.ctx, d)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	return tc.SetDeadline(time.Time{})
}

// mayLogInPlaintext reports whether c is a plaintext loopback connection
// allowed to log in without TLS.
func (s *Server) mayLogInPlaintext(c net.Conn) bool {
	if isTLS(c) || !s.opts.AllowPlaintextOnLoopback {
		return false
	}
	return remoteIP(c).IsLoopback()
}

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// newSession runs for each connection (imapserver.Options.NewSession).
func (s *Server) newSession(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	sess := newSession(s, c)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Server shutting down"}
	}
	if len(s.sessions) >= s.opts.MaxConnections {
		s.log.Warn("imap connection refused: too many connections", "remote", sess.remote, "max", s.opts.MaxConnections)
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Code: imap.ResponseCodeUnavailable, Text: "Too many connections, try later"}
	}
	s.sessions[sess] = struct{}{}
	return sess, nil, nil
}

// claimUser counts a login against the per-user limit.
func (s *Server) claimUser(userID uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perUser[userID] >= s.opts.MaxConnectionsPerUser {
		return false
	}
	s.perUser[userID]++
	return true
}

func (s *Server) releaseUser(userID uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perUser[userID]--; s.perUser[userID] <= 0 {
		delete(s.perUser, userID)
	}
}

func (s *Server) removeSession(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess)
	if len(s.sessions) == 0 {
		close(s.idle)
		s.idle = make(chan struct{})
	}
}

// Shutdown stops taking connections, says BYE to every client (IMAP
// sessions are long-lived: waiting for clients to log out could take
// forever) and waits until their sessions have ended or ctx expires, then
// closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	sessions := make([]*session, 0, len(s.sessions))
	for sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	idle := s.idle
	empty := len(s.sessions) == 0
	s.mu.Unlock()
	if already {
		return ErrServerClosed
	}
	for _, sess := range sessions {
		go sess.conn.Bye("Server shutting down")
	}
	var err error
	if !empty {
		select {
		case <-idle:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	s.closeInner()
	return err
}

// Close closes every connection at once.
func (s *Server) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return ErrServerClosed
	}
	s.closeInner()
	return nil
}

func (s *Server) closeInner() {
	// Not imapserver.Server.Close: it races with its own Serve starting
	// (WaitGroup.Add after Wait). Closing the listeners ends the library's
	// Serve loops; closing the connections ends the sessions.
	s.cancel()
	s.secureLn.Close()
	s.plainLn.Close()
	s.implicitLn.Close()
	s.inner.Wait()
	s.mu.Lock()
	for sess := range s.sessions {
		sess.conn.NetConn().Close()
	}
	s.mu.Unlock()
	s.cache.close()
}

// chanListener hands accepted connections to an imapserver.Server.
type chanListener struct {
	conns  chan net.Conn
	done   chan struct{}
	closer sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.closer.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }

// slogPrintf adapts slog to imapserver.Logger.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, args ...any) {
	logLibrary(l.log, format, args...)
}
