package store

import (
	"context"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// SendAsAddresses lists the addresses user may put in From: and the
// envelope sender without a +tag: their own address first, then every
// alias (not a catch-all) that delivers to them, sorted. It is the list
// MaySendAs accepts (which also allows a +tag on each), for a client to
// offer as identities.
func (s *Store) SendAsAddresses(ctx context.Context, user *User) ([]string, error) {
	var aliases []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAliases).ForEach(func(k, v []byte) error {
			if strings.HasPrefix(string(k), "@") {
				return nil // a catch-all is no identity (MaySendAs refuses it)
			}
			routes, err := s.newResolver(tx).expandAlias(string(k), v, 0)
			if err != nil {
				return err
			}
			for _, r := range routes {
				if r.Local != nil && r.Local.ID == user.ID {
					aliases = append(aliases, string(k))
					break
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(aliases)
	return append([]string{user.Address}, slices.DeleteFunc(aliases, func(a string) bool { return a == user.Address })...), nil
}
