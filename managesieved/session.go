package managesieved

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mailserver/mailserver/store"
)

// session is one ManageSieve connection. Its fields belong to the
// session's goroutine, except those under mu.
type session struct {
	srv *Server
	log *slog.Logger
	ctx context.Context

	raw    net.Conn // the accepted connection
	conn   net.Conn // raw, or the TLS connection over it
	br     *bufio.Reader
	bw     *bufio.Writer
	p      parser
	remote netip.Addr
	isTLS  bool

	// user is the authenticated user; nil before AUTHENTICATE and after
	// UNAUTHENTICATE (RFC 5804 §2.14.1).
	user         *store.User
	authFailures int
	badCommands  int

	mu   sync.Mutex
	idle bool // waiting for a command (Shutdown may interrupt it)
}

func newSession(srv *Server, c net.Conn, implicitTLS bool) *session {
	var remote netip.Addr
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		remote = ta.AddrPort().Addr().Unmap()
	}
	s := &session{
		srv:    srv,
		raw:    c,
		remote: remote,
		log:    srv.log.With("remote", c.RemoteAddr().String()),
		ctx:    srv.ctx,
	}
	if implicitTLS {
		s.setConn(tls.Server(c, srv.opts.TLSConfig))
	} else {
		s.setConn(c)
	}
	return s
}

// setConn (re)builds the buffered reader, writer and parser over c.
func (s *session) setConn(c net.Conn) {
	s.conn = c
	s.br = bufio.NewReaderSize(c, 16<<10)
	s.bw = bufio.NewWriterSize(&timeoutWriter{c: c, d: s.srv.opts.WriteTimeout}, 16<<10)
	s.p = parser{r: s.br, maxLine: s.srv.opts.MaxLineLength}
	s.setLimits()
}

// setLimits sizes the literals the parser takes by the session's state:
// a SASL response before login, a script after.
func (s *session) setLimits() {
	if s.user == nil {
		s.p.maxLiteral, s.p.maxDiscard = maxSASLBytes, maxSASLBytes
		return
	}
	s.p.maxLiteral = int64(s.srv.opts.MaxScriptSize)
	s.p.maxDiscard = max(s.p.maxLiteral, maxDiscardBytes)
}

// timeoutWriter gives every write to the connection its own deadline.
type timeoutWriter struct {
	c net.Conn
	d time.Duration
}

func (w *timeoutWriter) Write(p []byte) (int, error) {
	if err := w.c.SetWriteDeadline(time.Now().Add(w.d)); err != nil {
		return 0, err
	}
	return w.c.Write(p)
}

// serve runs the session until LOGOUT, an error, a timeout or shutdown.
func (s *session) serve() {
	defer s.end()
	if tc, ok := s.conn.(*tls.Conn); ok {
		if err := s.handshake(tc); err != nil {
			s.log.Debug("managesieve TLS handshake failed", "err", err)
			return
		}
	}
	s.log.Debug("managesieve session started", "tls", s.isTLS)
	// RFC 5804 §1.7: the server greets with its capabilities and OK.
	s.writeCapabilities()
	s.ok("ManageSieve ready")
	for {
		if s.br.Buffered() == 0 {
			// Answer a batch of pipelined commands in one write.
			if err := s.bw.Flush(); err != nil {
				s.log.Debug("managesieve write failed", "err", err)
				return
			}
		}
		verb, args, err := s.readCommand()
		if err != nil {
			var se *syntaxError
			if errors.As(err, &se) {
				if s.badCommand(se.msg) {
					return
				}
				continue
			}
			s.readFailed(err)
			return
		}
		if verb == "" {
			continue // an empty line
		}
		err = s.runCommand(verb, args)
		if err == nil {
			continue
		}
		var ae *abortError
		switch {
		case errors.Is(err, errLogout):
			s.bw.Flush()
			return
		case errors.As(err, &ae):
			s.log.Info("managesieve session aborted", "err", ae.err)
			return
		}
		re := s.replyFor(err)
		if re.bye {
			s.writeResponse("BYE", re.code, re.text)
			s.bw.Flush()
			return
		}
		s.writeResponse("NO", re.code, re.text)
	}
}

// runCommand runs one command under the per-command time limit.
func (s *session) runCommand(verb string, args []arg) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.srv.opts.CommandTimeout)
	defer cancel()
	return s.dispatch(ctx, strings.ToUpper(verb), args)
}

// readFailed ends the session after a failed command read.
func (s *session) readFailed(err error) {
	var fe *fatalParseError
	switch {
	case errors.As(err, &fe):
		s.writeResponse("BYE", "", fe.msg)
		s.bw.Flush()
	case s.srv.closing.Load():
		s.writeResponse("BYE", codeTryLater, "server shutting down")
		s.bw.Flush()
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.log.Info("managesieve session timed out")
		s.writeResponse("BYE", "", "idle or slow command, closing")
		s.bw.Flush()
	case errors.Is(err, io.EOF):
		s.log.Debug("managesieve client closed the connection")
	default:
		s.log.Debug("managesieve read failed", "err", err)
	}
}

// badCommand answers an unknown or malformed command with NO, and with
// BYE after too many of them; it reports whether the session ends.
func (s *session) badCommand(text string) bool {
	s.badCommands++
	if s.badCommands >= maxBadCommands {
		s.writeResponse("BYE", "", text+"; too many bad commands, closing")
		s.bw.Flush()
		return true
	}
	s.writeResponse("NO", "", text)
	return false
}

func (s *session) end() {
	s.raw.Close()
	s.log.Debug("managesieve session ended")
}

// readCommand waits for the next command for at most IdleTimeout,
// marked idle meanwhile so that Shutdown can end the wait; from its first
// octet the whole command, literals included, must arrive within
// CommandTimeout.
func (s *session) readCommand() (string, []arg, error) {
	if err := s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout)); err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	s.idle = true
	closing := s.srv.closing.Load()
	s.mu.Unlock()
	if closing {
		return "", nil, ErrServerClosed
	}
	_, err := s.br.Peek(1)
	s.mu.Lock()
	s.idle = false
	s.mu.Unlock()
	if err != nil {
		return "", nil, err
	}
	if err := s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.CommandTimeout)); err != nil {
		return "", nil, err
	}
	return s.p.command()
}

// interruptIfIdle ends the wait for the next command (for Shutdown).
func (s *session) interruptIfIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idle {
		s.raw.SetReadDeadline(time.Now())
	}
}

func (s *session) closeConn() { s.raw.Close() }

// plaintextOK reports whether passwords may be sent on this connection:
// over TLS, or from loopback when the options allow it.
func (s *session) plaintextOK() bool {
	return s.isTLS || s.srv.opts.AllowPlaintextOnLoopback && s.remote.IsLoopback()
}

// handshake runs the TLS handshake on tc with a deadline.
func (s *session) handshake(tc *tls.Conn) error {
	d := min(handshakeTimeout, s.srv.opts.IdleTimeout)
	s.raw.SetDeadline(time.Now().Add(d))
	ctx, cancel := context.WithTimeout(s.ctx, d)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	s.raw.SetDeadline(time.Time{})
	s.isTLS = true
	return nil
}

// dispatch runs one command (RFC 5804 §2). Command names are
// case-insensitive. A nil error means the command wrote its response.
func (s *session) dispatch(ctx context.Context, verb string, args []arg) error {
	s.log.Debug("managesieve command", "verb", verb)
	switch verb {
	case "CAPABILITY":
		return s.cmdCapability(args)
	case "LOGOUT":
		return s.cmdLogout(args)
	case "NOOP":
		return s.cmdNoop(args)
	case "STARTTLS":
		return s.cmdStartTLS(args)
	case "AUTHENTICATE":
		return s.cmdAuthenticate(ctx, args)
	}
	var fn func(context.Context, []arg) error
	switch verb {
	case "LISTSCRIPTS":
		fn = s.cmdListScripts
	case "PUTSCRIPT":
		fn = s.cmdPutScript
	case "CHECKSCRIPT":
		fn = s.cmdCheckScript
	case "GETSCRIPT":
		fn = s.cmdGetScript
	case "SETACTIVE":
		fn = s.cmdSetActive
	case "DELETESCRIPT":
		fn = s.cmdDeleteScript
	case "RENAMESCRIPT":
		fn = s.cmdRenameScript
	case "HAVESPACE":
		fn = s.cmdHaveSpace
	case "UNAUTHENTICATE":
		fn = s.cmdUnauthenticate
	default:
		if s.badCommand("unknown command") {
			return errLogout
		}
		return nil
	}
	if s.user == nil {
		return no("", "authenticate first")
	}
	return fn(ctx, args)
}
