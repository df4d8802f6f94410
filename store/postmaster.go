package store

import (
	"context"
	"slices"
)

// Postmaster returns the effective postmaster address (contract C3):
// Options.Postmaster, else the first user created (lowest ID); "" when
// there is none.
//
// Stub for the config (contract C3); the store helper's version replaces
// this file.
func (s *Store) Postmaster(ctx context.Context) (string, error) {
	if s.opts.Postmaster != "" {
		return s.opts.Postmaster, nil
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) == 0 {
		return "", err
	}
	first := slices.MinFunc(users, func(a, b User) int { return cmpUint(a.ID, b.ID) })
	return first.Address, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
