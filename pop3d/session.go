package pop3d

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mailserver/mailserver/store"
)

// state is a session's RFC 1939 state. UPDATE is not a state of its own
// here: QUIT in TRANSACTION runs it and ends the session.
type state int

const (
	stateAuthorization state = iota
	stateTransaction
)

// session is one POP3 connection. Its fields belong to the session's
// goroutine, except those under mu.
type session struct {
	srv *Server
	log *slog.Logger
	ctx context.Context

	raw    net.Conn // the accepted connection
	conn   net.Conn // raw, or the TLS connection over it
	br     *bufio.Reader
	bw     *bufio.Writer
	remote netip.Addr
	isTLS  bool

	state        state
	userName     string // from USER, until PASS
	authFailures int
	badCommands  int

	user    *store.User
	drop    *maildrop
	release func() // the maildrop lock, once in TRANSACTION

	mu   sync.Mutex
	idle bool // waiting for a command (Shutdown may interrupt it)
}

var errLineTooLong = errors.New("pop3d: line too long")

// newSession builds the session of raw connection c; with implicitTLS,
// TLS goes on top (the handshake runs in serve).
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
	}
	// Expunges at QUIT carry the session as their origin (Event.Origin).
	s.ctx = store.WithOrigin(srv.ctx, s)
	if implicitTLS {
		s.setConn(tls.Server(c, srv.opts.TLSConfig))
	} else {
		s.setConn(c)
	}
	return s
}

// setConn (re)builds the buffered reader and writer over c.
func (s *session) setConn(c net.Conn) {
	s.conn = c
	s.br = bufio.NewReaderSize(c, s.srv.opts.MaxLineLength)
	s.bw = bufio.NewWriterSize(&timeoutWriter{c: c, d: s.srv.opts.WriteTimeout}, 32<<10)
}

// timeoutWriter gives every write to the connection its own deadline, so a
// client that stops reading is dropped while a slow but steady one can
// download a large message.
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

// serve runs the session until QUIT, an error, a timeout or a shutdown.
func (s *session) serve() {
	defer s.end()
	if tc, ok := s.conn.(*tls.Conn); ok {
		// Implicit TLS (pop3s): finish the handshake before the greeting.
		if err := s.handshake(tc); err != nil {
			s.log.Debug("pop3s handshake failed", "err", err)
			return
		}
	}
	s.log.Debug("pop3 session started", "tls", s.isTLS)
	// RFC 1939 §4: the greeting. No APOP timestamp: APOP needs passwords
	// stored in plaintext, which the store never keeps.
	s.writeLine("+OK " + s.srv.opts.Hostname + " POP3 server ready")
	for {
		if !s.pipelined() {
			// RFC 2449 §6.6 PIPELINING: answer a batch of commands in as
			// few packets as possible; flush once the batch is read.
			if err := s.bw.Flush(); err != nil {
				s.log.Debug("pop3 write failed", "err", err)
				return
			}
		}
		line, err := s.readCommand()
		if err != nil {
			s.readFailed(err)
			return
		}
		err = s.dispatch(line)
		if err == nil {
			continue
		}
		var ae *abortError
		switch {
		case errors.Is(err, errQuit):
			// Unlock before the client sees the reply, so that it can
			// log in again at once.
			s.unlock()
			s.bw.Flush()
			return
		case errors.As(err, &ae):
			s.log.Info("pop3 session aborted", "err", ae.err)
			return
		}
		reply, closeAfter := s.replyFor(err)
		s.writeLine(reply)
		if closeAfter {
			s.bw.Flush()
			return
		}
	}
}

// readFailed ends the session after a failed command read.
func (s *session) readFailed(err error) {
	switch {
	case errors.Is(err, errLineTooLong):
		s.writeLine("-ERR line too long")
		s.bw.Flush()
	case s.srv.closing.Load():
		s.writeLine("-ERR [" + codeSysTemp + "] server shutting down")
		s.bw.Flush()
	case errors.Is(err, os.ErrDeadlineExceeded):
		// RFC 1939 §3: on autologout the server closes the connection
		// without entering UPDATE and without a response.
		s.log.Info("pop3 autologout", "idle", s.srv.opts.IdleTimeout)
	default:
		s.log.Debug("pop3 read failed", "err", err)
	}
}

// end releases what the session holds, however it ended.
func (s *session) end() {
	s.unlock()
	s.raw.Close()
	s.log.Debug("pop3 session ended")
}

// unlock releases the maildrop lock, if held.
func (s *session) unlock() {
	if s.release != nil {
		s.release()
		s.release = nil
	}
}

// pipelined reports whether a whole command line is already buffered.
func (s *session) pipelined() bool {
	n := s.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := s.br.Peek(n)
	return bytes.IndexByte(b, '\n') >= 0
}

// readCommand reads the next command line, marking the session idle
// meanwhile so that Shutdown can end it. The deadline is set once, when
// the wait begins: the whole line must arrive within the autologout timer
// (RFC 1939 §3), however it trickles in, and a SASL response read within
// the command (AUTH) counts against the same deadline.
func (s *session) readCommand() (string, error) {
	if err := s.conn.SetReadDeadline(time.Now().Add(s.srv.opts.IdleTimeout)); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.idle = true
	closing := s.srv.closing.Load()
	s.mu.Unlock()
	if closing {
		return "", ErrServerClosed
	}
	line, err := s.readLine()
	s.mu.Lock()
	s.idle = false
	s.mu.Unlock()
	return line, err
}

// readLine reads one line (a command or a SASL response) of at most
// MaxLineLength octets including the line ending, and returns it without
// the line ending.
func (s *session) readLine() (string, error) {
	b, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	b = bytes.TrimSuffix(b[:len(b)-1], []byte("\r"))
	return string(b), nil
}

// interruptIfIdle ends the wait for the next command (for Shutdown).
func (s *session) interruptIfIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idle {
		s.raw.SetReadDeadline(time.Now())
	}
}

// closeConn closes the connection at once (for Close).
func (s *session) closeConn() { s.raw.Close() }

func (s *session) writeLine(line string) {
	s.bw.WriteString(line)
	s.bw.WriteString("\r\n")
}

// plaintextOK reports whether passwords may be sent on this connection:
// over TLS, or from loopback when the options allow it (RFC 2595 §2.1:
// clients must not send passwords in the clear unless allowed).
func (s *session) plaintextOK() bool {
	return s.isTLS || s.srv.opts.AllowPlaintextOnLoopback && s.remote.IsLoopback()
}

// handshake runs the TLS handshake on tc with a deadline: handshakeTimeout,
// or the autologout timer when that is shorter, so that a client that
// connects and sends nothing, or trickles its ClientHello, is dropped.
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

// dispatch runs one command line. Keywords are case-insensitive (RFC 1939
// §3). A nil error means the command wrote its reply.
func (s *session) dispatch(line string) error {
	verb, args, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	s.log.Debug("pop3 command", "verb", verb)
	switch verb {
	case "CAPA":
		return s.cmdCapa(args)
	case "QUIT":
		return s.cmdQuit(args)
	}
	if s.state == stateAuthorization {
		switch verb {
		case "USER":
			return s.cmdUser(args)
		case "PASS":
			return s.cmdPass(args)
		case "AUTH":
			return s.cmdAuth(args)
		case "STLS":
			return s.cmdStls(args)
		case "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET", "NOOP":
			return errorf("", "log in first")
		}
		return s.badCommand("unknown command")
	}
	switch verb {
	case "STAT":
		return s.cmdStat(args)
	case "LIST":
		return s.cmdList(args)
	case "UIDL":
		return s.cmdUidl(args)
	case "RETR":
		return s.cmdRetr(args)
	case "TOP":
		return s.cmdTop(args)
	case "DELE":
		return s.cmdDele(args)
	case "RSET":
		return s.cmdRset(args)
	case "NOOP":
		return s.cmdNoop(args)
	case "USER", "PASS", "AUTH", "STLS":
		return errorf("", "already logged in")
	}
	return s.badCommand("unknown command")
}

// badCommand answers an unknown command, and ends the session after too
// many of them (a client speaking another protocol).
func (s *session) badCommand(text string) error {
	s.badCommands++
	if s.badCommands >= maxBadCommands {
		return errorClose("", "%s; too many bad commands, closing", text)
	}
	return errorf("", "%s", text)
}
