package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/mailserver/mailserver/queue/srs"
)

// Alias maps an address of a local domain to one or more addresses, local
// or external. An Address of the form "@domain" is the domain's catch-all.
type Alias struct {
	Address string
	Targets []string
}

// canonicalAliasKey validates and canonicalises an alias address.
func canonicalAliasKey(address string) (key, domain string, err error) {
	if strings.HasPrefix(address, "@") {
		if len(address) > 256 || !utf8.ValidString(address) { // RFC 5321 §4.5.3.1.2
			return "", "", invalidAddress(address)
		}
		d := CanonicalDomain(address[1:])
		if !validDomain(d) {
			return "", "", invalidAddress(address)
		}
		return "@" + d, d, nil
	}
	l, d, err := CanonicalAddress(address)
	if err != nil {
		return "", "", err
	}
	return l + "@" + d, d, nil
}

// AddAlias creates or replaces an alias.
func (s *Store) AddAlias(ctx context.Context, address string, targets []string) error {
	key, domain, err := canonicalAliasKey(address)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return fmt.Errorf("store: alias %s has no targets", key)
	}
	canon := make([]string, 0, len(targets))
	for _, t := range targets {
		l, d, err := CanonicalAddress(t)
		if err != nil {
			return fmt.Errorf("alias %s target: %w", key, err)
		}
		canon = append(canon, l+"@"+d)
	}
	v, err := json.Marshal(canon)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		if tx.Bucket(bucketDomains).Get([]byte(domain)) == nil {
			return fmt.Errorf("alias %s: %w", key, ErrNoSuchDomain)
		}
		return tx.Bucket(bucketAliases).Put([]byte(key), v)
	})
}

// DeleteAlias removes an alias.
func (s *Store) DeleteAlias(ctx context.Context, address string) error {
	key, _, err := canonicalAliasKey(address)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		b := tx.Bucket(bucketAliases)
		if b.Get([]byte(key)) == nil {
			return fmt.Errorf("alias %s: %w", key, ErrNotFound)
		}
		return b.Delete([]byte(key))
	})
}

// Aliases lists all aliases, sorted by address.
func (s *Store) Aliases(ctx context.Context) ([]Alias, error) {
	var out []Alias
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAliases).ForEach(func(k, v []byte) error {
			a := Alias{Address: string(k)}
			if err := json.Unmarshal(v, &a.Targets); err != nil {
				return fmt.Errorf("alias %s: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// Route is where mail for one address goes.
type Route struct {
	// Local is set for a local account.
	Local *User
	// Remote is an external address (from an alias), to be relayed.
	Remote string
}

// maxAliasDepth bounds alias chains (and breaks loops).
const maxAliasDepth = 10

// Resolve routes an address. For an address in a local domain it returns
// the accounts and external addresses mail for it reaches, following
// aliases (recursively), subaddresses (user+tag delivers to user), the
// postmaster and abuse role addresses (see Postmaster) and the domain's
// catch-all, in that order of precedence; ErrNotFound if nothing matches
// (RFC 5321 550 5.1.1). local is false, with no routes, for an address
// outside the local domains. The bare "postmaster" (any case, no domain:
// RFC 5321 §4.5.1) is local and resolves like postmaster@ of a local
// domain. Duplicates are removed.
func (s *Store) Resolve(ctx context.Context, address string) (routes []Route, local bool, err error) {
	if strings.EqualFold(address, "postmaster") {
		err = s.view(ctx, func(tx *bolt.Tx) error {
			routes, err = s.newResolver(tx).postmaster(0)
			return err
		})
		if err == nil && len(routes) == 0 {
			err = fmt.Errorf("%s: %w", address, ErrNotFound)
		}
		return routes, true, err
	}
	l, d, err := CanonicalAddress(address)
	if err != nil {
		return nil, false, err
	}
	err = s.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketDomains).Get([]byte(d)) == nil {
			return nil
		}
		local = true
		if srs.IsSRS(l) {
			// The raw local part: the SRS fields keep their case.
			routes, err = s.newResolver(tx).srsBounce(address[:strings.LastIndexByte(address, '@')], time.Now())
			return err
		}
		routes, err = s.newResolver(tx).resolve(l, d, 0)
		return err
	})
	if err != nil {
		return nil, local, err
	}
	if local && len(routes) == 0 {
		return nil, true, fmt.Errorf("%s: %w", address, ErrNotFound)
	}
	return routes, local, nil
}

// resolver follows one address through users, aliases and role addresses
// inside one read transaction.
type resolver struct {
	s    *Store
	tx   *bolt.Tx
	seen map[string]bool
	// inPostmaster is set while the postmaster's own address is being
	// resolved: a role address met there resolves like any other, so a
	// postmaster configured as postmaster@ of a local domain cannot loop.
	inPostmaster bool
}

func (s *Store) newResolver(tx *bolt.Tx) *resolver {
	return &resolver{s: s, tx: tx, seen: map[string]bool{}}
}

func (r *resolver) resolve(local, domain string, depth int) ([]Route, error) {
	if depth > maxAliasDepth {
		return nil, fmt.Errorf("store: alias chain for %s@%s too deep", local, domain)
	}
	tx := r.tx
	if tx.Bucket(bucketDomains).Get([]byte(domain)) == nil {
		addr := local + "@" + domain
		if r.seen[addr] {
			return nil, nil
		}
		r.seen[addr] = true
		return []Route{{Remote: addr}}, nil
	}
	candidates := []string{local + "@" + domain}
	if base, ok := stripSubaddress(local); ok {
		candidates = append(candidates, base+"@"+domain)
	}
	for _, addr := range candidates {
		if u, err := getUser(tx, addr); err == nil {
			if r.seen[addr] {
				return nil, nil
			}
			r.seen[addr] = true
			return []Route{{Local: u.user()}}, nil
		}
		if v := tx.Bucket(bucketAliases).Get([]byte(addr)); v != nil {
			return r.expandAlias(addr, v, depth)
		}
	}
	if isRoleLocalPart(local) && !r.inPostmaster {
		return r.postmaster(depth)
	}
	if v := tx.Bucket(bucketAliases).Get([]byte("@" + domain)); v != nil {
		return r.expandAlias("@"+domain, v, depth)
	}
	return nil, nil
}

func (r *resolver) expandAlias(key string, v []byte, depth int) ([]Route, error) {
	if r.seen["alias:"+key] {
		return nil, nil // a loop: this alias is already being expanded
	}
	r.seen["alias:"+key] = true
	var targets []string
	if err := json.Unmarshal(v, &targets); err != nil {
		return nil, fmt.Errorf("alias %s: %w", key, err)
	}
	var out []Route
	for _, t := range targets {
		l, d, err := CanonicalAddress(t)
		if err != nil {
			continue
		}
		routes, err := r.resolve(l, d, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, routes...)
	}
	return out, nil
}

// MaySendAs reports whether an authenticated user may use address as the
// envelope sender or From: their own address (with or without a +tag), or
// an alias (not a catch-all) that delivers to them.
func (s *Store) MaySendAs(ctx context.Context, user *User, address string) (bool, error) {
	l, d, err := CanonicalAddress(address)
	if err != nil {
		return false, nil
	}
	base, _ := stripSubaddress(l)
	if l+"@"+d == user.Address || base+"@"+d == user.Address {
		return true, nil
	}
	ok := false
	err = s.view(ctx, func(tx *bolt.Tx) error {
		for _, key := range []string{l + "@" + d, base + "@" + d} {
			v := tx.Bucket(bucketAliases).Get([]byte(key))
			if v == nil {
				continue
			}
			routes, err := s.newResolver(tx).expandAlias(key, v, 0)
			if err != nil {
				return err
			}
			for _, r := range routes {
				if r.Local != nil && r.Local.ID == user.ID {
					ok = true
				}
			}
			return nil
		}
		return nil
	})
	return ok, err
}
