package queue

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/mailserver/mailserver/queue/dnscache"
	"github.com/mailserver/mailserver/store"
)

// Store is what the queue needs of the mail store (*store.Store).
type Store interface {
	Resolve(ctx context.Context, address string) ([]store.Route, bool, error)
	Submit(ctx context.Context, sub *store.Submission) (*store.SubmitResult, error)
	IsLocalDomain(ctx context.Context, name string) (bool, error)
	QueueGet(ctx context.Context, id uint64) (*store.QueuedMessage, error)
	QueueList(ctx context.Context) ([]store.QueuedMessage, error)
	QueueNextDue(ctx context.Context) (time.Time, bool, error)
	QueueDue(ctx context.Context, now time.Time, limit int) ([]store.QueuedMessage, error)
	QueueUpdate(ctx context.Context, id uint64, fn func(m *store.QueuedMessage) (*store.Submission, error)) (*store.QueuedMessage, error)
	QueueDelete(ctx context.Context, id uint64) error
	OpenBody(bodyID uint64) (*store.BodyReader, error)
	// SRSForward rewrites a forwarded message's sender (srs.go).
	SRSForward(sender, forwarder string, now time.Time) (string, error)
}

// Defaults of the Options fields left zero; cmd/mailserver's embedded
// configuration uses the same constants.
const (
	// DefaultConcurrency bounds the deliveries in flight.
	DefaultConcurrency = 32
	// DefaultPerDomainConcurrency is Postfix's
	// default_destination_concurrency_limit (20).
	DefaultPerDomainConcurrency = 20
	// Retry numbers follow Postfix (minimal_backoff_time 300s, a cap near
	// maximal_backoff_time 4000s, maximal_queue_lifetime 5d); RFC 5321
	// §4.5.4.1 asks for at least 30 minutes between retries in general
	// and a give-up time of 4-5 days.
	DefaultRetryInitial = 5 * time.Minute
	DefaultRetryMax     = time.Hour
	DefaultLifetime     = 5 * 24 * time.Hour
	// DefaultDelayWarning is the configuration's default for DelayWarning
	// (Postfix's delay_warning_time 4h); in Options, zero turns the
	// warning off.
	DefaultDelayWarning = 4 * time.Hour
	DefaultRemotePort   = 25
	// Timeouts of RFC 5321 §4.5.3.2.
	DefaultConnectTimeout = 30 * time.Second
	DefaultCommandTimeout = 5 * time.Minute  // §4.5.3.2.1-3: greeting, MAIL, RCPT
	DefaultDataTimeout    = 3 * time.Minute  // §4.5.3.2.5: per block of data
	DefaultFinalTimeout   = 10 * time.Minute // §4.5.3.2.6: after the final dot
	// DefaultIdleTimeout is how long a session is kept for the next
	// message to the same destination.
	DefaultIdleTimeout = 5 * time.Second
	// DefaultShutdownTimeout is how long, after Run's context ends, the
	// deliveries in flight may take to finish.
	DefaultShutdownTimeout = 20 * time.Second
)

// Options configure a Queue. The zero value delivers directly to MX hosts
// with the defaults above.
type Options struct {
	// Hostname is this host's name, used in EHLO, DSNs and loop detection.
	Hostname string
	Logger   *slog.Logger

	// Concurrency bounds the deliveries in flight; PerDomainConcurrency
	// those to one destination domain.
	Concurrency          int
	PerDomainConcurrency int

	// RetryInitial is the delay after the first failed attempt; each
	// further failure doubles it up to RetryMax (see retryDelay).
	RetryInitial time.Duration
	RetryMax     time.Duration
	// Lifetime: a recipient still undelivered this long after the
	// message was queued fails (and is bounced).
	Lifetime time.Duration
	// DelayWarning: after this long undelivered, a "delayed" DSN is sent
	// once per recipient (if its NOTIFY allows). Zero turns it off.
	DelayWarning time.Duration

	// Resolver looks up MX and address records; nil is a caching
	// resolver asking the servers of /etc/resolv.conf (NewResolver("")).
	// cmd passes the one resolver it shares with smtpd.
	Resolver Resolver
	// RemotePort is the TCP port dialled on MX hosts (default 25).
	RemotePort int
	// Dial opens connections (default: a net.Dialer with ConnectTimeout).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)

	// RequireTLS refuses to deliver without verified TLS; RequireTLSDomains
	// does so for the listed destination domains only.
	RequireTLS        bool
	RequireTLSDomains []string
	// RootCAs verifies remote certificates (nil: the system roots).
	RootCAs *x509.CertPool

	// Relay, if set, receives all remote mail instead of the MX hosts.
	Relay *Relay

	// DKIM provides the signing keys of the local domains (dkim.go);
	// nil sends everything unsigned.
	DKIM DKIMKeys

	// Sieve turns on filtering at local delivery (filter.go).
	Sieve SieveOptions

	// Metrics, if set, counts deliveries and reports the queue's length
	// at scrape time (metrics.go); nil records nothing.
	Metrics *Metrics

	// SelfAddrs are this server's SMTP listening addresses; an MX that
	// resolves to one of them (at RemotePort) is a mail loop. An
	// unspecified address (0.0.0.0, ::) stands for every local address.
	SelfAddrs []netip.AddrPort

	// Timeouts (RFC 5321 §4.5.3.2); zero means the RFC's value.
	ConnectTimeout time.Duration // default 30s
	CommandTimeout time.Duration // greeting, EHLO, MAIL, RCPT: default 5m
	DataTimeout    time.Duration // per block of the body written: default 3m
	FinalTimeout   time.Duration // reply to the final dot: default 10m
	// IdleTimeout is how long a connection is kept for the next message
	// to the same destination (default 5s).
	IdleTimeout time.Duration
	// ShutdownTimeout is how long the deliveries in flight when Run's
	// context ends may take to finish (default 20s). One still running
	// then is cut and recorded as not attempted: its recipients are due
	// at once, with their attempt count unchanged, so the next start
	// retries them without waiting for the backoff.
	ShutdownTimeout time.Duration
}

// Relay is a smarthost: all remote mail goes to Host ("host:port"),
// authenticated with AUTH PLAIN when Username is set.
type Relay struct {
	Host        string
	Username    string
	Password    string
	ImplicitTLS bool // TLS from the first byte (port 465) rather than STARTTLS
}

// Resolver is the DNS the queue uses. A *dnscache.Resolver (the default)
// and a *net.Resolver satisfy it.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NewResolver returns a caching resolver (package dnscache, with its
// default bounds) that sends every query to the DNS server at addr
// (host:port); "" means the servers of /etc/resolv.conf. Its errors name
// that server.
func NewResolver(addr string) *dnscache.Resolver {
	return dnscache.New(dnscache.Options{Server: addr})
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Hostname == "" {
		o.Hostname = "localhost"
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PerDomainConcurrency <= 0 {
		o.PerDomainConcurrency = DefaultPerDomainConcurrency
	}
	if o.RetryInitial <= 0 {
		o.RetryInitial = DefaultRetryInitial
	}
	if o.RetryMax < o.RetryInitial {
		o.RetryMax = max(DefaultRetryMax, o.RetryInitial)
	}
	if o.Lifetime <= 0 {
		o.Lifetime = DefaultLifetime
	}
	if o.Resolver == nil {
		o.Resolver = NewResolver("")
	}
	if o.RemotePort == 0 {
		o.RemotePort = DefaultRemotePort
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Dial == nil {
		d := &net.Dialer{Timeout: o.ConnectTimeout}
		o.Dial = d.DialContext
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = DefaultDataTimeout
	}
	if o.FinalTimeout <= 0 {
		o.FinalTimeout = DefaultFinalTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
}

// Queue routes and stores accepted mail and delivers the remote part.
type Queue struct {
	st   Store
	opts Options
	log  *slog.Logger
	// wake tells the scheduler that new mail was queued or that the
	// queue changed (buffered, 1).
	wake chan struct{}
	pool *connPool
	// dkimKeys holds the parsed DKIM signing keys (dkim.go).
	dkimKeys dkimKeyCache
	// scripts holds the compiled Sieve scripts (filter.go).
	scripts scriptCache

	mu sync.Mutex
	// inbox holds the jobs of newly queued messages, handed from Submit
	// to the scheduler without a database read. When it overflows (no
	// scheduler running) rescan tells the scheduler to read the queue.
	inbox  []job
	rescan bool
}

// maxInbox bounds the jobs waiting for the scheduler to pick them up.
const maxInbox = 4096

// New returns a Queue over st.
func New(st Store, opts Options) *Queue {
	opts.setDefaults()
	q := &Queue{st: st, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1)}
	q.pool = newConnPool(opts.IdleTimeout)
	opts.Metrics.bind(st)
	return q
}

// kick wakes the scheduler without blocking.
func (q *Queue) kick() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// announce hands the jobs of a newly queued message to the scheduler.
func (q *Queue) announce(id uint64, rcpts []store.QueuedRecipient) {
	q.mu.Lock()
	seen := map[string]bool{}
	for _, r := range rcpts {
		d := q.destination(r.Address)
		if seen[d] {
			continue
		}
		seen[d] = true
		if len(q.inbox) >= maxInbox {
			q.rescan = true
			continue
		}
		q.inbox = append(q.inbox, job{id: id, dest: d})
	}
	q.mu.Unlock()
	q.kick()
}

// requestScan makes the scheduler read the due index on its next turn.
func (q *Queue) requestScan() {
	q.mu.Lock()
	q.rescan = true
	q.mu.Unlock()
	q.kick()
}

// takeInbox returns the announced jobs and whether a scan was asked for.
func (q *Queue) takeInbox() ([]job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	jobs, scan := q.inbox, q.rescan
	q.inbox, q.rescan = nil, false
	return jobs, scan
}
