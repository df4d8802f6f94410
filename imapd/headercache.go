package imapd

import "sync"

// memCache keeps values derived from bodies in memory, by body ID (bodies
// never change, so entries never go stale), within a byte budget. When
// full, arbitrary entries are evicted. Two are used:
//
//   - header sections, for header SEARCH and Thunderbird's header FETCH
//     over a whole mailbox: the store is read once, not on every command;
//   - decoded ENVELOPE/BODYSTRUCTURE infos: decoding the store's cached
//     JSON on every FETCH ENVELOPE was the largest cost of that command
//     (CPU profile under imap-mix: encoding/json ~25 % of FETCH).
type memCache[V any] struct {
	mu    sync.Mutex
	m     map[uint64]memEntry[V]
	bytes int
	max   int
}

type memEntry[V any] struct {
	v    V
	size int
}

// Budgets of the two caches, and the share of a budget one entry may
// take: a 1/8 (4 MiB) holds the info of a message with the most MIME parts
// parsed (maxMIMEParts), which must be cached like any other (it costs
// the most to compute).
const (
	headerCacheBytes = 32 << 20
	infoCacheBytes   = 32 << 20
	maxEntryShare    = 8
)

func newMemCache[V any](max int) *memCache[V] {
	return &memCache[V]{m: make(map[uint64]memEntry[V]), max: max}
}

func (c *memCache[V]) get(bodyID uint64) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[bodyID]
	return e.v, ok
}

// put adds a value that takes about size bytes.
func (c *memCache[V]) put(bodyID uint64, v V, size int) {
	if size > c.max/maxEntryShare {
		return // a huge entry is not worth the space
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[bodyID]; ok {
		return
	}
	for id, e := range c.m {
		if c.bytes+size <= c.max {
			break
		}
		delete(c.m, id)
		c.bytes -= e.size
	}
	c.m[bodyID] = memEntry[V]{v, size}
	c.bytes += size
}
