package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// isRoleLocalPart reports whether local is a role mailbox every local
// domain has: postmaster (RFC 5321 §4.5.1: an SMTP server MUST accept mail
// to it) and abuse (RFC 2142 §2). Local parts are already lowercase.
func isRoleLocalPart(local string) bool {
	return local == "postmaster" || local == "abuse"
}

// Postmaster is the effective postmaster address: Options.Postmaster, or,
// when that is empty, the address of the first user created (the lowest
// user ID). It is "" when there is none (no option and no users): mail to
// postmaster@ is then refused, and the server should warn at start.
//
// postmaster@ and abuse@ of every local domain, and the bare "postmaster",
// reach this address unless a user or an alias with that exact address
// exists (see Resolve).
func (s *Store) Postmaster(ctx context.Context) (string, error) {
	if s.opts.Postmaster != "" {
		return s.opts.Postmaster, nil
	}
	var addr string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		addr, err = s.firstUser.address(tx)
		return err
	})
	return addr, err
}

// postmaster routes a role address to the effective postmaster.
func (r *resolver) postmaster(depth int) ([]Route, error) {
	addr := r.s.opts.Postmaster
	if addr == "" {
		var err error
		if addr, err = r.s.firstUser.address(r.tx); err != nil || addr == "" {
			return nil, err
		}
	}
	l, d, err := CanonicalAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("postmaster: %w", err)
	}
	saved := r.inPostmaster
	r.inPostmaster = true
	defer func() { r.inPostmaster = saved }()
	return r.resolve(l, d, depth+1)
}

// firstUserCache remembers the address of the user with the lowest ID,
// which finding costs a scan of every user: role addresses are resolved
// for every RCPT TO:<postmaster@…>, which anyone may send. gen changes
// after every committed AddUser and DeleteUser; a scan stores its result
// only if no such change completed while it ran.
type firstUserCache struct {
	mu    sync.Mutex
	gen   uint64
	valid bool
	addr  string
}

// invalidate is called after a user is created or deleted (committed).
func (c *firstUserCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.valid = false
	c.mu.Unlock()
}

func (c *firstUserCache) address(tx *bolt.Tx) (string, error) {
	c.mu.Lock()
	if c.valid {
		defer c.mu.Unlock()
		return c.addr, nil
	}
	gen := c.gen
	c.mu.Unlock()
	var rec struct {
		ID uint64 `json:"id"`
	}
	var best uint64
	addr := ""
	err := tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("user %s: %w", k, err)
		}
		if best == 0 || rec.ID < best {
			best, addr = rec.ID, string(k)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.valid, c.addr = true, addr
	}
	c.mu.Unlock()
	return addr, nil
}
