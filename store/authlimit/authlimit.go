// Package authlimit throttles failed logins per client network. SMTP AUTH,
// POP3 and IMAP share one Limiter (through store.Authenticate), so an
// attacker gains nothing by switching protocols.
package authlimit

import (
	"net/netip"
	"sync"
	"time"
)

// Limiter counts failures per client network within a sliding window.
// IPv4 clients are counted per address, IPv6 clients per /64, since one
// IPv6 host usually controls a whole /64.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[netip.Prefix][]time.Time
	lastGC   time.Time
}

// New returns a limiter that refuses a network after max failures within window.
func New(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, now: time.Now, failures: make(map[netip.Prefix][]time.Time)}
}

func key(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Allowed reports whether a login attempt from ip may proceed. An invalid
// (unknown) address is always allowed: callers without a network peer, such
// as the admin CLI, are not throttled.
func (l *Limiter) Allowed(ip netip.Addr) bool {
	if !ip.IsValid() {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := key(ip)
	recent := l.prune(l.failures[k], l.now())
	if len(recent) == 0 {
		delete(l.failures, k)
	} else {
		l.failures[k] = recent
	}
	return len(recent) < l.max
}

// Failed records a failed attempt from ip.
func (l *Limiter) Failed(ip netip.Addr) {
	if !ip.IsValid() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	k := key(ip)
	l.failures[k] = append(l.prune(l.failures[k], now), now)
	if now.Sub(l.lastGC) > l.window {
		l.lastGC = now
		for k, v := range l.failures {
			if len(l.prune(v, now)) == 0 {
				delete(l.failures, k)
			}
		}
	}
}

func (l *Limiter) prune(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	return ts[i:]
}
