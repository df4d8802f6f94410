package imapd

import "sync"

// headerCache keeps recently read header sections in memory, by body ID
// (bodies never change, so entries never go stale). Header searches and
// Thunderbird's header FETCH over a whole mailbox then read the store once,
// not on every command. When full, arbitrary entries are evicted.
type headerCache struct {
	mu    sync.Mutex
	m     map[uint64][]byte
	bytes int
	max   int
}

// headerCacheBytes bounds the memory the header cache uses.
const headerCacheBytes = 32 << 20

func newHeaderCache(max int) *headerCache {
	return &headerCache{m: make(map[uint64][]byte), max: max}
}

func (c *headerCache) get(bodyID uint64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[bodyID]
	return b, ok
}

func (c *headerCache) put(bodyID uint64, b []byte) {
	if len(b) > c.max/64 {
		return // a huge header is not worth the space
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[bodyID]; ok {
		return
	}
	for id, v := range c.m {
		if c.bytes+len(b) <= c.max {
			break
		}
		delete(c.m, id)
		c.bytes -= len(v)
	}
	c.m[bodyID] = b
	c.bytes += len(b)
}
