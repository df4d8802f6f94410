package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// verifiedCache remembers recent successful password checks, like
// Dovecot's auth cache: a client that reconnects (Thunderbird opens several
// IMAP connections and reconnects often) costs one argon2id computation
// (~55 ms of CPU, 19 MiB) per TTL instead of one per login.
//
// Entries are keyed by HMAC-SHA256 under a per-process random key of the
// user ID, the stored hash and the password: a changed password (a new
// stored hash) misses, and nothing in memory reveals a password without
// the key. Only successes are cached; failures always pay the full cost.
type verifiedCache struct {
	key []byte
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]time.Time
}

func newVerifiedCache(ttl time.Duration, max int) *verifiedCache {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("store: no randomness for the auth cache: " + err.Error())
	}
	return &verifiedCache{key: key, ttl: ttl, max: max, entries: make(map[[sha256.Size]byte]time.Time)}
}

func (c *verifiedCache) mac(userID uint64, hash, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(binary.BigEndian.AppendUint64(nil, userID))
	m.Write([]byte(hash))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// ok reports whether this user/hash/password verified within the TTL.
func (c *verifiedCache) ok(userID uint64, hash, password string) bool {
	if c.ttl <= 0 {
		return false
	}
	k := c.mac(userID, hash, password)
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, found := c.entries[k]
	if found && time.Now().After(exp) {
		delete(c.entries, k)
		return false
	}
	return found
}

// remember records a successful verification.
func (c *verifiedCache) remember(userID uint64, hash, password string) {
	if c.ttl <= 0 {
		return
	}
	k := c.mac(userID, hash, password)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, exp := range c.entries {
			if now.After(exp) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[k] = now.Add(c.ttl)
}
