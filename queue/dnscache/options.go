package dnscache

import "time"

// Defaults for Options. They are the one source of these values: the
// configuration's defaults refer to them.
const (
	DefaultMinTTL         = 0
	DefaultMaxTTL         = 24 * time.Hour // RFC 8767 §4 suggests at most 7 days; unbound uses 1 day
	DefaultNegativeMaxTTL = time.Hour      // RFC 2308 §5: 1-3 hours is a reasonable maximum
	DefaultFailureTTL     = 5 * time.Second
	DefaultMaxEntries     = 10000
	DefaultMaxBytes       = 16 << 20
	DefaultTimeout        = 5 * time.Second // per attempt, as resolv.conf's "timeout"
	DefaultAttempts       = 2               // per server, as resolv.conf's "attempts"

	// maxFailureTTL is RFC 2308 §7.1's bound for caching a server failure.
	maxFailureTTL = 5 * time.Minute
	// resolvConf is where the system's nameservers are listed.
	resolvConf = "/etc/resolv.conf"
)

// Options configures a Resolver. Zero values mean the defaults above.
type Options struct {
	// Server is the recursive DNS server asked, as host:port. Empty: the
	// nameservers of /etc/resolv.conf, in order (127.0.0.1:53 if it lists
	// none, as Go's resolver does).
	Server string

	// MinTTL and MaxTTL bound how long an answer is kept, whatever its
	// records' TTLs say. NegativeMaxTTL bounds NXDOMAIN and NODATA answers
	// (MinTTL still applies to them).
	MinTTL         time.Duration
	MaxTTL         time.Duration
	NegativeMaxTTL time.Duration
	// FailureTTL is how long a server failure answer is kept, so that a
	// broken zone is not asked again by every caller at once; at most
	// five minutes (RFC 2308 §7.1). Negative: not kept at all.
	FailureTTL time.Duration

	// MaxEntries and MaxBytes (approximate wire size of the records kept)
	// bound the cache; the least recently used entry goes first.
	MaxEntries int
	MaxBytes   int

	// Timeout is one attempt's limit; Attempts the tries per server.
	Timeout  time.Duration
	Attempts int

	// Now is the clock (default time.Now); tests pass a fake one.
	Now func() time.Time

	// Metrics, if set, exports Stats to Prometheus (metrics.go).
	Metrics *Metrics

	// resolvConf overrides /etc/resolv.conf (tests).
	resolvConf string
}

func (o *Options) setDefaults() {
	if o.MaxTTL <= 0 {
		o.MaxTTL = DefaultMaxTTL
	}
	if o.MinTTL < 0 {
		o.MinTTL = 0
	}
	if o.MinTTL > o.MaxTTL {
		o.MinTTL = o.MaxTTL
	}
	if o.NegativeMaxTTL <= 0 {
		o.NegativeMaxTTL = DefaultNegativeMaxTTL
	}
	switch {
	case o.FailureTTL == 0:
		o.FailureTTL = DefaultFailureTTL
	case o.FailureTTL < 0:
		o.FailureTTL = 0
	case o.FailureTTL > maxFailureTTL:
		o.FailureTTL = maxFailureTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.resolvConf == "" {
		o.resolvConf = resolvConf
	}
}
