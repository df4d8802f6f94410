package queue

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

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
}

// Defaults of the Options fields left zero.
const (
	DefaultConcurrency          = 16
	DefaultPerDomainConcurrency = 4
	DefaultRetryInitial         = 5 * time.Minute
	DefaultRetryMax             = time.Hour
	DefaultLifetime             = 5 * 24 * time.Hour
	DefaultRemotePort           = 25
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

	// Resolver looks up MX and address records; nil is the system
	// resolver. NewResolver builds one that asks a given server.
	Resolver *net.Resolver
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
}

// Relay is a smarthost: all remote mail goes to Host ("host:port"),
// authenticated with AUTH PLAIN when Username is set.
type Relay struct {
	Host        string
	Username    string
	Password    string
	ImplicitTLS bool // TLS from the first byte (port 465) rather than STARTTLS
}

// NewResolver returns a resolver that sends every query to the DNS server
// at addr (host:port), as the [delivery] resolver setting asks.
func NewResolver(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true, // the cgo resolver ignores Dial
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
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
		o.Resolver = net.DefaultResolver
	}
	if o.RemotePort == 0 {
		o.RemotePort = DefaultRemotePort
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.Dial == nil {
		d := &net.Dialer{Timeout: o.ConnectTimeout}
		o.Dial = d.DialContext
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 5 * time.Minute
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = 3 * time.Minute
	}
	if o.FinalTimeout <= 0 {
		o.FinalTimeout = 10 * time.Minute
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 5 * time.Second
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
