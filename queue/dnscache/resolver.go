package dnscache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// maxCNAMEs bounds a CNAME chain followed across queries (RFC 1034
// §3.6.2 wants chains followed; a loop must not be).
const maxCNAMEs = 8

// Resolver is the caching resolver both the queue and smtpd use. It is
// safe for concurrent use.
type Resolver struct {
	opts     Options
	udp, tcp *dns.Client
	cache    *lru

	mu      sync.Mutex
	flights map[key]*flight

	hits, misses, shared, upstream, tcpRetries atomic.Uint64
}

// flight is one upstream resolution that concurrent callers share.
type flight struct {
	done chan struct{}
	ans  *answer
	err  error // network or timeout error: no answer to cache
}

// Stats are the resolver's counters since New.
type Stats struct {
	Hits       uint64 // lookups answered from the cache
	Misses     uint64 // lookups that needed an upstream resolution
	Shared     uint64 // misses that joined another caller's resolution (counted in Misses)
	Upstream   uint64 // queries sent to servers (retries and TCP included)
	TCPRetries uint64 // truncated UDP replies asked again over TCP
	Evictions  uint64 // entries dropped to keep within MaxEntries/MaxBytes
	Entries    int    // entries cached now
	Bytes      int    // their approximate size
}

// HitRatio is Hits / (Hits + Misses), 0 before any lookup.
func (s Stats) HitRatio() float64 {
	if s.Hits+s.Misses == 0 {
		return 0
	}
	return float64(s.Hits) / float64(s.Hits+s.Misses)
}

// New returns a resolver with opts (zero fields take the defaults).
func New(opts Options) *Resolver {
	opts.setDefaults()
	r := &Resolver{opts: opts, cache: newLRU(opts.MaxEntries, opts.MaxBytes), flights: map[key]*flight{}}
	r.udp, r.tcp = newClients(opts.Timeout)
	opts.Metrics.bind(r)
	return r
}

// Stats returns the counters.
func (r *Resolver) Stats() Stats {
	entries, bytes, evictions := r.cache.stats()
	return Stats{
		Hits: r.hits.Load(), Misses: r.misses.Load(), Shared: r.shared.Load(),
		Upstream: r.upstream.Load(), TCPRetries: r.tcpRetries.Load(),
		Evictions: evictions, Entries: entries, Bytes: bytes,
	}
}

// resolve answers one question (name absolute, lower case), from the
// cache or by one shared upstream query, following CNAMEs that the reply
// leaves unresolved. authenticated holds when every reply on the way had
// the AD bit.
func (r *Resolver) resolve(ctx context.Context, name string, qtype uint16) (a *answer, authenticated bool, err error) {
	authenticated = true
	for range maxCNAMEs {
		a, target, err := r.resolveOne(ctx, name, qtype)
		if err != nil {
			return nil, false, err
		}
		authenticated = authenticated && a.authenticated
		if target == "" {
			return a, authenticated, nil
		}
		name = target
	}
	return &answer{kind: failure, server: r.serverName()}, false, nil
}

// resolveOne answers one question; target is set when the answer is a
// CNAME whose target's records the reply did not include.
func (r *Resolver) resolveOne(ctx context.Context, name string, qtype uint16) (a *answer, target string, err error) {
	k := key{name, qtype}
	if e := r.cache.get(k, r.opts.Now()); e != nil {
		r.hits.Add(1)
		return e.ans, cnameTarget(e.ans), nil
	}
	r.misses.Add(1)
	f := r.join(k)
	select {
	case <-f.done:
		return f.ans, cnameTarget(f.ans), f.err
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// join returns the flight for k, starting one if none is in the air. The
// query runs detached from the caller's context (bounded by the attempt
// timeouts), so one caller giving up does not fail the others.
func (r *Resolver) join(k key) *flight {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.flights[k]; ok {
		r.shared.Add(1)
		return f
	}
	f := &flight{done: make(chan struct{})}
	r.flights[k] = f
	go r.fly(k, f)
	return f
}

func (r *Resolver) fly(k key, f *flight) {
	resp, server, err := r.exchange(context.Background(), k.name, k.qtype)
	now := r.opts.Now()
	switch {
	case err == nil:
		f.ans = r.interpret(k, resp, server)
		f.ans.authenticated = resp.AuthenticatedData
	case errors.Is(err, errServerFailed):
		f.ans = &answer{kind: failure, ttl: r.opts.FailureTTL, server: server}
	default:
		f.err = &netError{err: err, server: server}
	}
	if f.ans != nil && f.ans.ttl > 0 {
		r.cache.put(&entry{key: k, ans: f.ans, expires: now.Add(f.ans.ttl), size: entrySize(k, f.ans)})
	}
	r.mu.Lock()
	delete(r.flights, k)
	r.mu.Unlock()
	close(f.done)
}

// netError is a timeout or network failure talking to server.
type netError struct {
	err    error
	server string
}

func (e *netError) Error() string { return e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// interpret turns a reply (NOERROR or NXDOMAIN) into an answer.
//
// RFC 1034 §3.6.2, RFC 2308 §2: the answer section may hold a CNAME chain
// from the asked name; the records of the asked type belong to its last
// name. RFC 2308 §5: a negative answer's TTL is min(SOA TTL, SOA MINIMUM).
func (r *Resolver) interpret(k key, resp *dns.Msg, server string) *answer {
	name := k.name
	ttl := uint32(1<<31 - 1)
	seen := 0
	var rrs []dns.RR
	for seen <= maxCNAMEs {
		var next string
		for _, rr := range resp.Answer {
			h := rr.Header()
			if !strings.EqualFold(h.Name, name) || h.Class != dns.ClassINET {
				continue
			}
			switch {
			case h.Rrtype == k.qtype:
				rrs = append(rrs, rr)
				ttl = min(ttl, h.Ttl)
			case h.Rrtype == dns.TypeCNAME && next == "":
				next = strings.ToLower(rr.(*dns.CNAME).Target)
				ttl = min(ttl, h.Ttl)
			}
		}
		if len(rrs) > 0 || next == "" {
			break
		}
		name = next
		seen++
	}
	if len(rrs) > 0 {
		return &answer{kind: positive, rrs: rrs, ttl: r.bound(ttl, r.opts.MaxTTL), server: server}
	}
	if resp.Rcode == dns.RcodeSuccess && name != k.name && !chainComplete(resp) {
		// A CNAME whose target the server did not resolve here: the
		// caller asks for the target (resolve follows it).
		return &answer{kind: alias, next: name, ttl: r.bound(ttl, r.opts.MaxTTL), server: server}
	}
	neg := uint32(0) // no SOA: not cached beyond MinTTL (RFC 2308 §5)
	for _, rr := range resp.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			neg = min(soa.Hdr.Ttl, soa.Minttl)
			break
		}
	}
	a := &answer{kind: nodata, ttl: r.bound(neg, r.opts.NegativeMaxTTL), server: server}
	if resp.Rcode == dns.RcodeNameError {
		a.kind = nxdomain
	}
	return a
}

// chainComplete reports whether a reply that ends in a CNAME is final:
// an authority SOA (RFC 2308 §2.2 NODATA after a chain) says so.
func chainComplete(resp *dns.Msg) bool {
	for _, rr := range resp.Ns {
		if _, ok := rr.(*dns.SOA); ok {
			return true
		}
	}
	return false
}

// cnameTarget returns the name to ask next when a is a dangling CNAME,
// else "".
func cnameTarget(a *answer) string {
	if a == nil || a.kind != alias {
		return ""
	}
	return a.next
}

// bound turns a TTL in seconds into a duration within [MinTTL, max].
func (r *Resolver) bound(ttl uint32, max time.Duration) time.Duration {
	d := time.Duration(ttl) * time.Second
	if d > max {
		d = max
	}
	if d < r.opts.MinTTL {
		d = r.opts.MinTTL
	}
	return d
}

// serverName is the server named in errors not tied to one reply.
func (r *Resolver) serverName() string {
	if r.opts.Server != "" {
		return r.opts.Server
	}
	return r.servers()[0]
}
