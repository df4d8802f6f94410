package httpd

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits of every HTTP listener. Slow clients are cut off by the header
// and idle timeouts; a request whose header exceeds MaxHeaderBytes gets
// 431 (net/http).
const (
	// DefaultReadHeaderTimeout bounds the TLS handshake and the request
	// header: a client that trickles its header (slowloris) is dropped.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 60 * time.Second
	// DefaultWriteTimeout bounds writing a response.
	DefaultWriteTimeout = 60 * time.Second
	// DefaultIdleTimeout closes a keep-alive connection with no request.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultMaxHeaderBytes caps the request line and header fields.
	DefaultMaxHeaderBytes = 64 << 10
)

// ServerOptions configures a Server. Zero values take the defaults above.
type ServerOptions struct {
	// TLSConfig is put on connections the accept loop marks implicit
	// TLS (the https listener). It may use GetCertificate, so a renewed
	// certificate is served without a restart.
	TLSConfig         *tls.Config
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	Logger            *slog.Logger
}

// Server serves HTTP on connections handed over one by one by the
// server's accept loop (ServeConn), the same shape as smtpd, pop3d and
// imapd, so every listener is bound before any is served and one accept
// loop with one back-off policy covers them all. Underneath it is a
// net/http Server reading from an in-memory listener.
type Server struct {
	http *http.Server
	tls  *tls.Config
	ln   *connListener
	done chan struct{} // closed when http.Server.Serve has returned
}

// NewServer returns a Server for h, already waiting for connections.
func NewServer(h http.Handler, o ServerOptions) *Server {
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	maxHeader := o.MaxHeaderBytes
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		http: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: pick(o.ReadHeaderTimeout, DefaultReadHeaderTimeout),
			ReadTimeout:       pick(o.ReadTimeout, DefaultReadTimeout),
			WriteTimeout:      pick(o.WriteTimeout, DefaultWriteTimeout),
			IdleTimeout:       pick(o.IdleTimeout, DefaultIdleTimeout),
			MaxHeaderBytes:    maxHeader,
			// Handshake failures and malformed requests from the
			// internet are routine: debug level, not the error log.
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		},
		tls:  o.TLSConfig,
		ln:   newConnListener(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			log.Error("http server stopped", "err", err)
		}
	}()
	return s
}

// ServeConn serves one connection accepted by the accept loop. For
// implicitTLS it puts TLS on c; net/http runs the handshake in the
// connection's goroutine, bounded by the header timeout. It returns
// without waiting for the connection to be served.
func (s *Server) ServeConn(c net.Conn, implicitTLS bool) {
	if implicitTLS {
		if s.tls == nil {
			c.Close()
			return
		}
		c = tls.Server(c, s.tls)
	}
	if !s.ln.deliver(c) {
		c.Close()
	}
}

// Shutdown stops taking connections and waits for requests in progress
// to finish until ctx expires; idle keep-alive connections are closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.ln.Close()
	err := s.http.Shutdown(ctx)
	<-s.done
	return err
}

// Close closes every connection at once.
func (s *Server) Close() error {
	s.ln.Close()
	err := s.http.Close()
	<-s.done
	return err
}

// connListener is a net.Listener whose connections come from ServeConn.
type connListener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// deliver hands c to Accept; false once the listener is closed.
func (l *connListener) deliver(c net.Conn) bool {
	select {
	case <-l.closed:
		return false
	default:
	}
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

// Addr is not meaningful: connections come from several real listeners.
func (l *connListener) Addr() net.Addr { return &net.TCPAddr{} }
