// Package authlimit throttles password guessing per client network, the
// way Dovecot's auth penalty does. SMTP AUTH, POP3 and IMAP share one
// Limiter (through store.Authenticate), so an attacker gains nothing by
// switching protocols.
//
// It slows attackers without locking out users:
//
//   - Every failed login from a network raises its penalty; every attempt
//     from a penalised network, the right password included, waits before
//     it is checked until Delays[penalty] has passed since the network's
//     last failure (by default 0, 2, 4, 8, then 15 s). A user who retypes
//     a password after a pause waits for nothing; a guesser waits up to
//     15 s per guess.
//   - The same wrong password for the same user counts once (clients retry
//     with a second mechanism, or reconnect, with what the user typed).
//     The limiter keeps, per network, short keyed hashes of the last few
//     user and password pairs that failed, never a password.
//   - A successful login clears the network's penalty.
//   - Only a sustained guessing run is refused outright: every distinct
//     failure adds one to a score that drains at GuessLimit per
//     GuessWindow (by default 100 per hour). Once GuessLimit distinct
//     failures have been counted, every attempt from the network is
//     refused unchecked until one failure's worth has drained: a sustained
//     run gets at most GuessLimit guesses per GuessWindow. A success does
//     not drain it (an attacker with one valid account must not be able
//     to reset it).
//
// IPv4 clients are counted per address, IPv6 clients per /64, since one
// IPv6 host usually controls a whole /64. The limiter keeps at most
// MaxNetworks networks; networks with nothing left to remember are
// forgotten.
package authlimit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"sync"
	"time"
)

// DefaultDelays returns the default Config.Delays: Dovecot's auth penalty
// steps (AUTH_PENALTY_INIT_SECS 2, doubling, AUTH_PENALTY_MAX_SECS 15).
func DefaultDelays() []time.Duration {
	return []time.Duration{0, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second}
}

// Defaults for the other Config fields left zero. This is their one source.
const (
	// DefaultPenaltyTimeout is how long a network's penalty lasts after
	// its last failure (Dovecot's AUTH_PENALTY_TIMEOUT).
	DefaultPenaltyTimeout = time.Hour
	// DefaultGuessLimit distinct failures within DefaultGuessWindow make a
	// guessing run that is refused.
	DefaultGuessLimit  = 100
	DefaultGuessWindow = time.Hour
	// DefaultMaxNetworks bounds the memory: about 150 bytes per network.
	DefaultMaxNetworks = 100_000

	// recentKeys is how many distinct failed user and password pairs a
	// network remembers for the "counts once" rule.
	recentKeys = 8
	// pruneEvery bounds how often the whole table is swept.
	pruneEvery = time.Minute
)

// Config configures a Limiter. Zero fields get the defaults above.
type Config struct {
	// Delays[n] is how long after a network's last failure an attempt
	// from a network with penalty n waits; the last entry applies to every
	// larger penalty. Delays[0], for a network without failures, is
	// never used: such a network is not delayed.
	Delays []time.Duration
	// PenaltyTimeout: a network with no failure for this long starts over.
	PenaltyTimeout time.Duration
	// GuessLimit and GuessWindow define a guessing run (see the package
	// documentation).
	GuessLimit  int
	GuessWindow time.Duration
	MaxNetworks int
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Key identifies a user and password pair without revealing the password.
type Key uint64

// Limiter is safe for concurrent use. Its methods never block on anything
// but its own short critical sections: the caller does the waiting.
type Limiter struct {
	cfg    Config
	secret []byte

	mu     sync.Mutex
	nets   map[netip.Prefix]*network
	lastGC time.Time
}

// network is what the limiter knows about one client network.
type network struct {
	penalty     int       // distinct failures since the last success
	lastFailure time.Time // of a distinct failure
	score       float64   // guessing-run score at scoreAt
	scoreAt     time.Time
	keys        [recentKeys]Key // recent distinct failures, a ring
	nkeys       int
}

// New returns a limiter.
func New(cfg Config) *Limiter {
	if len(cfg.Delays) == 0 {
		cfg.Delays = DefaultDelays()
	} else {
		cfg.Delays = append([]time.Duration(nil), cfg.Delays...)
	}
	if cfg.PenaltyTimeout <= 0 {
		cfg.PenaltyTimeout = DefaultPenaltyTimeout
	}
	if cfg.GuessLimit <= 0 {
		cfg.GuessLimit = DefaultGuessLimit
	}
	if cfg.GuessWindow <= 0 {
		cfg.GuessWindow = DefaultGuessWindow
	}
	if cfg.MaxNetworks <= 0 {
		cfg.MaxNetworks = DefaultMaxNetworks
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		panic("authlimit: no randomness: " + err.Error())
	}
	return &Limiter{cfg: cfg, secret: secret, nets: make(map[netip.Prefix]*network)}
}

func prefix(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Key returns the keyed hash of a user name (as the store canonicalised
// it) and password: 64 bits of HMAC-SHA256 under a per-process random key.
func (l *Limiter) Key(user, password string) Key {
	m := hmac.New(sha256.New, l.secret)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(user)))
	m.Write(n[:])
	m.Write([]byte(user))
	m.Write([]byte(password))
	var sum [sha256.Size]byte
	return Key(binary.BigEndian.Uint64(m.Sum(sum[:0])))
}

// Decision is what Check says about an attempt.
type Decision struct {
	// Delay is how long to wait before checking the password (and so
	// before replying). It is zero for a network with no penalty.
	Delay time.Duration
	// Refused is set during a guessing run: refuse without checking.
	Refused bool
}

// Check decides about an attempt from ip. An invalid (unknown) address is
// never delayed or refused: callers without a network peer, such as the
// admin CLI, are not throttled.
func (l *Limiter) Check(ip netip.Addr) Decision {
	if !ip.IsValid() {
		return Decision{}
	}
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.nets[prefix(ip)]
	if n == nil {
		return Decision{}
	}
	l.expire(n, now)
	// Refused from the GuessLimit-th failure on (the score drains a little
	// during the run itself) until one failure's worth has drained.
	if l.scoreAt(n, now) > float64(l.cfg.GuessLimit-1) {
		return Decision{Refused: true}
	}
	if n.penalty == 0 {
		return Decision{}
	}
	d := l.cfg.Delays[min(n.penalty, len(l.cfg.Delays)-1)]
	return Decision{Delay: max(0, d-now.Sub(n.lastFailure))}
}

// Failed records a failed attempt from ip with the pair's key. A key the
// network failed with recently is not counted again.
func (l *Limiter) Failed(ip netip.Addr, k Key) {
	if !ip.IsValid() {
		return
	}
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gc(now)
	p := prefix(ip)
	n := l.nets[p]
	if n == nil {
		if len(l.nets) >= l.cfg.MaxNetworks {
			l.evictOne()
		}
		n = &network{}
		l.nets[p] = n
	}
	l.expire(n, now)
	for _, seen := range n.keys[:min(n.nkeys, recentKeys)] {
		if seen == k {
			return
		}
	}
	n.keys[n.nkeys%recentKeys] = k
	n.nkeys++
	n.penalty++
	n.lastFailure = now
	n.score = l.scoreAt(n, now) + 1
	n.scoreAt = now
}

// Succeeded records a successful login from ip: the penalty is cleared
// (the guessing-run score is not).
func (l *Limiter) Succeeded(ip netip.Addr) {
	if !ip.IsValid() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p := prefix(ip)
	n := l.nets[p]
	if n == nil {
		return
	}
	n.penalty, n.nkeys = 0, 0
	if l.scoreAt(n, l.cfg.Now()) <= 0 {
		delete(l.nets, p)
	}
}

// scoreAt is n's guessing-run score drained to now.
func (l *Limiter) scoreAt(n *network, now time.Time) float64 {
	drained := now.Sub(n.scoreAt).Seconds() * float64(l.cfg.GuessLimit) / l.cfg.GuessWindow.Seconds()
	return max(0, n.score-drained)
}

// expire forgets a penalty whose last failure is older than the timeout.
func (l *Limiter) expire(n *network, now time.Time) {
	if n.penalty > 0 && now.Sub(n.lastFailure) >= l.cfg.PenaltyTimeout {
		n.penalty, n.nkeys = 0, 0
	}
}

// gc forgets networks with nothing left to remember, at most once per
// pruneEvery.
func (l *Limiter) gc(now time.Time) {
	if now.Sub(l.lastGC) < pruneEvery && len(l.nets) < l.cfg.MaxNetworks {
		return
	}
	l.lastGC = now
	for p, n := range l.nets {
		l.expire(n, now)
		if n.penalty == 0 && l.scoreAt(n, now) <= 0 {
			delete(l.nets, p)
		}
	}
}

// evictOne makes room when the table is full of live networks (a guessing
// run spread over MaxNetworks networks): one arbitrary network is
// forgotten. Each of them then has had at most a few guesses.
func (l *Limiter) evictOne() {
	for p := range l.nets {
		delete(l.nets, p)
		return
	}
}

// Networks reports how many client networks the limiter remembers.
func (l *Limiter) Networks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.nets)
}
