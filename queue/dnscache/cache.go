package dnscache

import (
	"container/list"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// key names one question: a lower-case absolute name and a type.
type key struct {
	name  string
	qtype uint16
}

// kind is what an answer said.
type kind uint8

const (
	positive kind = iota // records of the asked type (after any CNAMEs)
	nxdomain             // RFC 2308 §2.1: the name does not exist
	nodata               // RFC 2308 §2.2: the name exists, no records of the type
	failure              // the server failed (SERVFAIL, REFUSED, ...)
	alias                // a CNAME whose target the reply left unresolved
)

// answer is what a question resolved to. Its records are shared by every
// caller: nobody modifies them.
type answer struct {
	kind kind
	rrs  []dns.RR // positive: the records of the asked type
	next string   // alias: the CNAME's target, to ask next
	// authenticated: the server set AD (RFC 4035 §3.2.3), i.e. it
	// validated the answer with DNSSEC; DANE (RFC 7672) needs that.
	authenticated bool
	ttl           time.Duration
	server        string // who answered, for error messages
}

// entry is one cached answer.
type entry struct {
	key     key
	ans     *answer
	expires time.Time
	size    int
}

// lru is the bounded cache: a map for lookups and a list for recency
// (front = most recently used).
type lru struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int
	bytes      int
	items      map[key]*list.Element
	order      *list.List
	evictions  uint64
}

func newLRU(maxEntries, maxBytes int) *lru {
	return &lru{maxEntries: maxEntries, maxBytes: maxBytes, items: map[key]*list.Element{}, order: list.New()}
}

// get returns the unexpired answer for k, or nil; an expired one is
// dropped.
func (c *lru) get(k key, now time.Time) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if !now.Before(e.expires) {
		c.remove(el)
		return nil
	}
	c.order.MoveToFront(el)
	return e
}

// put stores e, replacing any entry of its key, and evicts the least
// recently used entries until both bounds hold. An entry larger than the
// whole byte budget is not kept.
func (c *lru) put(e *entry) {
	if e.size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[e.key]; ok {
		c.remove(el)
	}
	c.items[e.key] = c.order.PushFront(e)
	c.bytes += e.size
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
		c.evictions++
	}
}

func (c *lru) remove(el *list.Element) {
	e := c.order.Remove(el).(*entry)
	delete(c.items, e.key)
	c.bytes -= e.size
}

// stats returns the entry count, approximate bytes and evictions so far.
func (c *lru) stats() (entries, bytes int, evictions uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes, c.evictions
}

// entrySize approximates an entry's memory: its records' wire length plus
// a fixed overhead for the map, list and structs.
func entrySize(k key, a *answer) int {
	n := 128 + len(k.name)
	for _, rr := range a.rrs {
		n += dns.Len(rr) + 64
	}
	return n
}
