package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AddDomain makes name a local domain.
func (s *Store) AddDomain(ctx context.Context, name string) error {
	name = CanonicalDomain(name)
	if !validDomain(name) {
		return fmt.Errorf("%w: domain %q", ErrInvalidAddress, name)
	}
	// Its DKIM keys (dkim.go) are made first, outside the transaction,
	// and stored with the domain; they sign at once.
	now := time.Now()
	ed, rs, err := newDKIMPair(now, now)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		b := tx.Bucket(bucketDomains)
		if b.Get([]byte(name)) != nil {
			return fmt.Errorf("domain %s: %w", name, ErrExists)
		}
		if err := b.Put([]byte(name), u64(uint64(now.Unix()))); err != nil {
			return err
		}
		_, err := putDKIMPair(tx, name, ed, rs)
		return err
	})
}

// DeleteDomain removes a local domain that has no users or aliases left.
func (s *Store) DeleteDomain(ctx context.Context, name string) error {
	name = CanonicalDomain(name)
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		b := tx.Bucket(bucketDomains)
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("domain %s: %w", name, ErrNotFound)
		}
		suffix := "@" + name
		for _, bk := range [][]byte{bucketUsers, bucketAliases} {
			c := tx.Bucket(bk).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if len(k) >= len(suffix) && string(k[len(k)-len(suffix):]) == suffix {
					return fmt.Errorf("domain %s: %w", name, ErrDomainInUse)
				}
			}
		}
		if tx.Bucket(bucketDKIM).Bucket([]byte(name)) != nil {
			if err := tx.Bucket(bucketDKIM).DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return b.Delete([]byte(name))
	})
}

// Domains lists the local domains, sorted.
func (s *Store) Domains(ctx context.Context) ([]string, error) {
	var out []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDomains).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}

// IsLocalDomain reports whether name is one of the local domains.
func (s *Store) IsLocalDomain(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketDomains).Get([]byte(CanonicalDomain(name))) != nil
		return nil
	})
	return ok, err
}
