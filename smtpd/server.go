package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// Store is what smtpd needs of the mail store (*store.Store).
type Store interface {
	Resolve(ctx context.Context, address string) ([]store.Route, bool, error)
	CheckQuota(ctx context.Context, userID uint64, size int64) error
	MaySendAs(ctx context.Context, user *store.User, address string) (bool, error)
	Authenticate(ctx context.Context, l store.Login) (*store.User, error)
}

// Submitter takes accepted messages durably (*queue.Queue).
type Submitter interface {
	Submit(ctx context.Context, env *queue.Envelope, body *store.Body) (*queue.Result, error)
}

// Mode is the role of a listener.
type Mode int

const (
	// ModeMX receives mail for the local domains (port 25).
	ModeMX Mode = iota
	// ModeSubmission takes mail from users after STARTTLS and AUTH (587).
	ModeSubmission
	// ModeSubmissions takes mail from users over implicit TLS (465).
	ModeSubmissions
)

func (m Mode) String() string {
	switch m {
	case ModeMX:
		return "smtp"
	case ModeSubmission:
		return "submission"
	case ModeSubmissions:
		return "submissions"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ErrServerClosed is returned by Shutdown and Close when the server was
// already closed.
var ErrServerClosed = errors.New("smtpd: server closed")

// Defaults for Options fields left zero, and for the connection limits
// cmd gives NewConnLimiter.
const (
	DefaultMaxMessageBytes = 25 << 20
	DefaultMaxRecipients   = 100
	DefaultMaxLineLength   = 2000
	// DefaultReadTimeout is RFC 5321 §4.5.3.2.7's 5 minutes per command.
	DefaultReadTimeout = 5 * time.Minute
	DefaultDataTimeout = 10 * time.Minute
	// DefaultMaxConnections bounds the sessions over all SMTP listeners.
	DefaultMaxConnections = 200
	// DefaultMaxConnectionsPerIP is Postfix's
	// smtpd_client_connection_count_limit (50).
	DefaultMaxConnectionsPerIP = 50
)

// Options configure a Server. Store, Queue and Hostname are required;
// TLSConfig is required for ModeSubmissions and enables STARTTLS otherwise.
type Options struct {
	Mode      Mode
	Hostname  string // in the greeting, Received and generated Message-IDs
	Store     Store
	Queue     Submitter
	TLSConfig *tls.Config
	Logger    *slog.Logger

	MaxMessageBytes int64 // SIZE (RFC 1870); default 25 MiB
	MaxRecipients   int   // RCPT per message; default 100 (452 4.5.3 beyond)
	MaxLineLength   int   // command and text lines; default 2000
	// TrustedNetworks may relay to any domain without AUTH (port 25 only).
	TrustedNetworks []netip.Prefix
	// AllowPlaintextOnLoopback offers AUTH without TLS to clients on
	// 127.0.0.0/8 and ::1.
	AllowPlaintextOnLoopback bool
	// ReadTimeout bounds each command line, from when the server starts
	// waiting for it to its CRLF (default 5 minutes, RFC 5321
	// §4.5.3.2.7), each wait for a piece of message data, each write of
	// a reply, and (with at most 30 s) a TLS handshake.
	ReadTimeout time.Duration
	// DataTimeout bounds a whole DATA or BDAT transfer (default 10 min).
	DataTimeout time.Duration
	// Limiter bounds connections; nil means no limit. Share one between
	// the servers that count together.
	Limiter *ConnLimiter
	// Resolver, on port 25 (ModeMX), turns on inbound verification:
	// SPF, DKIM and DMARC of every message not from a trusted network,
	// reported in an Authentication-Results field (verify.go). nil
	// turns it off.
	Resolver Resolver
	// Inbound is the policy applied to the verification's outcome; nil
	// means DefaultInboundPolicy().
	Inbound *InboundPolicy
	// Metrics, if set, counts transactions and accepted messages
	// (metrics.go); nil records nothing.
	Metrics *Metrics
	// Spam scans received mail with rspamd (spam.go); nil turns it off.
	Spam *SpamOptions
	// DNSBL refuses clients listed in DNS blocklists (port 25 only,
	// dnsbl.go).
	DNSBL *DNSBLOptions

	// isLoopback decides what counts as loopback for
	// AllowPlaintextOnLoopback (tests pretend a remote client); nil means
	// netip.Addr.IsLoopback.
	isLoopback func(netip.Addr) bool
	// now is the clock for Received and Date (tests); nil means time.Now.
	now func() time.Time
	// hooks replaces the guard's verdict (tests); nil means the guard's.
	hooks *goSMTPHooks
}

// Server is one SMTP listener role. It is like net/http.Server, except
// that the caller's accept loop hands it each connection (ServeConn).
type Server struct {
	opts Options
	log  *slog.Logger
	smtp *smtp.Server
	// conns feeds go-smtp's Serve loop, the only way into go-smtp
	// v0.25.1, which serves a net.Listener and has no per-connection
	// entry point.
	conns  *connQueue
	served sync.WaitGroup // go-smtp's Serve loop

	ctx    context.Context // cancelled by Close: stops store work in flight
	cancel context.CancelFunc

	mu      sync.Mutex
	live    map[*deadlineConn]struct{} // from ServeConn to close
	closing atomic.Bool
	// busy counts messages being received or stored, which Shutdown
	// waits for.
	busy atomic.Int64
	// hooks are where smtpd reaches into go-smtp, if the guard passed
	// (gosmtpguard.go); rw is the command filter's rewriter.
	hooks goSMTPHooks
	rw    *rewriter
	// verify checks inbound mail; nil when off (not port 25, or no
	// Resolver).
	verify *verifier
	// spamWarn rate-limits the warning that the spam filter is down.
	spamWarn warnLimiter
}

// NewServer checks opts, fills in defaults and returns a Server.
func NewServer(opts Options) (*Server, error) {
	if opts.Store == nil || opts.Queue == nil {
		return nil, errors.New("smtpd: Store and Queue are required")
	}
	if opts.Hostname == "" {
		return nil, errors.New("smtpd: Hostname is required")
	}
	if opts.Mode == ModeSubmissions && opts.TLSConfig == nil {
		return nil, errors.New("smtpd: submissions (implicit TLS) needs a TLSConfig")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.MaxRecipients <= 0 {
		opts.MaxRecipients = DefaultMaxRecipients
	}
	if opts.MaxLineLength <= 0 {
		opts.MaxLineLength = DefaultMaxLineLength
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.DataTimeout <= 0 {
		opts.DataTimeout = DefaultDataTimeout
	}
	if opts.Inbound == nil {
		p := DefaultInboundPolicy()
		opts.Inbound = &p
	}
	if opts.isLoopback == nil {
		opts.isLoopback = netip.Addr.IsLoopback
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	s := &Server{opts: opts, log: opts.Logger.With("listener", opts.Mode.String())}
	s.hooks = goSMTPGuard()
	if opts.hooks != nil {
		s.hooks = *opts.hooks
	}
	for _, off := range s.hooks.off {
		s.log.Warn("go-smtp workaround off: behaviour of go-smtp as it is", "reason", off)
	}
	s.rw = newRewriter(opts.MaxLineLength)
	if opts.Mode == ModeMX && opts.Resolver != nil {
		s.verify = &verifier{r: opts.Resolver}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())

	be := smtp.BackendFunc(s.newSession)
	ss := smtp.NewServer(be)
	ss.Domain = opts.Hostname
	ss.MaxMessageBytes = opts.MaxMessageBytes
	ss.MaxRecipients = opts.MaxRecipients
	ss.MaxLineLength = opts.MaxLineLength
	// Whether AUTH is offered is decided per session (AuthMechanisms), so
	// that loopback clients may authenticate in clear text if allowed.
	ss.AllowInsecureAuth = true
	// go-smtp sets this read deadline before each command line (and
	// before its TLS handshake), which bounds a whole line from when the
	// server starts waiting: a client trickling a byte at a time cannot
	// hold a slot. During DATA and BDAT, deadlineConn replaces it with
	// data_timeout for the transfer (see deadlineConn).
	ss.ReadTimeout = opts.ReadTimeout
	ss.WriteTimeout = opts.ReadTimeout
	ss.EnableSMTPUTF8 = true
	ss.EnableDSN = true
	ss.ErrorLog = log.New(slogWriter{s.log}, "", 0)
	if opts.Mode != ModeSubmissions {
		ss.TLSConfig = opts.TLSConfig // STARTTLS (RFC 3207)
	}
	s.smtp = ss
	s.live = make(map[*deadlineConn]struct{})
	s.conns = newConnQueue()
	s.served.Go(func() { ss.Serve(s.conns) })
	return s, nil
}

// Shutdown stops accepting connections, lets messages already in DATA
// finish (until ctx expires), then closes every connection. Clients that
// start a new transaction meanwhile get 421 4.3.2.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.closing.Swap(true) {
		return ErrServerClosed
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var err error
	for s.busy.Load() > 0 && err == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	s.Close()
	return err
}

// Close closes the listeners and every connection at once; a message being
// received is not acknowledged (so the client retries).
func (s *Server) Close() error {
	s.closing.Store(true)
	s.cancel()
	s.conns.Close()
	err := s.smtp.Close()
	s.served.Wait()
	// go-smtp closes the connections it has registered; one it had
	// accepted but not yet registered, or one still in its TLS
	// handshake here, is closed through live.
	s.mu.Lock()
	live := make([]*deadlineConn, 0, len(s.live))
	for dc := range s.live {
		live = append(live, dc)
	}
	s.mu.Unlock()
	for _, dc := range live {
		dc.Close()
	}
	if err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// trusted reports whether ip may relay without AUTH.
func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.opts.TrustedNetworks {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// slogWriter turns go-smtp's log.Logger output into slog records.
type slogWriter struct{ log *slog.Logger }

// go-smtp v0.25.1 logs through ErrorLog "error handling <addr>: <err>"
// when a connection ends with a read error (reset, TLS handshake or record
// errors, EOF inside a line): the client's doing, logged at info; a
// recovered panic is an error of ours; anything else a warning.
func (w slogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	switch {
	case strings.HasPrefix(msg, "error handling "):
		w.log.Info("connection ended with an error", "msg", msg)
	case strings.HasPrefix(msg, "panic serving "):
		w.log.Error("go-smtp", "msg", msg)
	default:
		w.log.Warn("go-smtp", "msg", msg)
	}
	return len(p), nil
}
