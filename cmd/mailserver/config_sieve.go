package main

import (
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/queue/sieve"
)

// SieveConfig is [sieve]: the limits on what a user's Sieve script may do
// at delivery (RFC 5228 §10). The defaults are the sieve package's.
type SieveConfig struct {
	MaxActions   int `toml:"max_actions"`   // actions one run may take
	MaxRedirects int `toml:"max_redirects"` // redirects per message
	MaxNesting   int `toml:"max_nesting"`   // depth of blocks and tests
}

func sieveDefaults() SieveConfig {
	return SieveConfig{
		MaxActions:   sieve.DefaultMaxActions,
		MaxRedirects: sieve.DefaultMaxRedirects,
		MaxNesting:   sieve.DefaultMaxNesting,
	}
}

func (c SieveConfig) validate(bad func(key, format string, args ...any)) {
	for _, k := range []struct {
		key string
		v   int
	}{{"sieve.max_actions", c.MaxActions}, {"sieve.max_nesting", c.MaxNesting}} {
		if k.v <= 0 {
			bad(k.key, "must be positive, not %d", k.v)
		}
	}
	// RFC 5228 §10 lets a site refuse redirect altogether: 0 is allowed.
	if c.MaxRedirects < 0 {
		bad("sieve.max_redirects", "must be 0 or more, not %d", c.MaxRedirects)
	}
}

// limits are the sieve package's limits for these settings.
func (c SieveConfig) limits() sieve.Limits {
	return sieve.Limits{MaxActions: c.MaxActions, MaxRedirects: c.MaxRedirects, MaxNesting: c.MaxNesting}
}

// queueSieve is queue.Options.Sieve: every local recipient's active
// script runs at delivery, read from st.
func (c SieveConfig) queueSieve(st queue.SieveStore) queue.SieveOptions {
	return queue.SieveOptions{Store: st, Limits: c.limits()}
}
