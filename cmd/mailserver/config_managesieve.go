package main

import (
	"github.com/mailserver/mailserver/managesieved"
	"github.com/mailserver/mailserver/queue/sieve"
)

// SieveScriptLimits are the [sieve] keys of script storage (embedded in
// SieveConfig): how many scripts each user may keep and how large each may
// be, enforced by ManageSieve and by `mailserver sieve put`.
type SieveScriptLimits struct {
	MaxScripts    int `toml:"max_scripts"`
	MaxScriptSize int `toml:"max_script_size"` // bytes
}

func sieveScriptLimitDefaults() SieveScriptLimits {
	return SieveScriptLimits{MaxScripts: managesieved.DefaultMaxScripts, MaxScriptSize: managesieved.DefaultMaxScriptSize}
}

func (c SieveScriptLimits) validate(bad func(key, format string, args ...any)) {
	if c.MaxScripts <= 0 {
		bad("sieve.max_scripts", "must be positive, not %d", c.MaxScripts)
	}
	if c.MaxScriptSize <= 0 || c.MaxScriptSize > maxCLIScriptSize {
		bad("sieve.max_script_size", "must be 1 to %d bytes, not %d", maxCLIScriptSize, c.MaxScriptSize)
	}
}

// sieveChecker checks a script as delivery will compile it (the [sieve]
// language limits) and within max_script_size: what ManageSieve and the
// CLI accept is what runs.
func sieveChecker(c SieveConfig) func([]byte) error {
	lim := c.limits()
	lim.MaxScriptBytes = c.MaxScriptSize
	return func(script []byte) error {
		_, err := sieve.Parse(script, lim)
		return err
	}
}
