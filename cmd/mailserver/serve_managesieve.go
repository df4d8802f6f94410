package main

import (
	"fmt"

	"github.com/mailserver/mailserver/managesieved"
	"github.com/mailserver/mailserver/queue/sieve"
)

// manageSieveListeners returns the ManageSieve service (RFC 5804) for
// [listen] managesieve (port 4190, STARTTLS): users manage their Sieve
// scripts with Thunderbird's sieve add-on, Roundcube's managesieve plugin
// or sieve-connect. Scripts are checked with the same parser and limits
// that delivery uses.
func manageSieveListeners(e *env) ([]listenerSpec, error) {
	srv, err := managesieved.NewServer(managesieved.Options{
		Store:                    e.store,
		Check:                    sieveChecker(e.cfg.Sieve),
		Extensions:               sieve.Extensions(),
		Implementation:           "mailserver " + version,
		MaxRedirects:             e.cfg.Sieve.MaxRedirects,
		TLSConfig:                e.tls,
		AllowPlaintextOnLoopback: e.cfg.Auth.AllowPlaintextOnLoopback,
		MaxScripts:               e.cfg.Sieve.MaxScripts,
		MaxScriptSize:            e.cfg.Sieve.MaxScriptSize,
		Logger:                   e.log.With("service", "managesieve"),
	})
	if err != nil {
		return nil, fmt.Errorf("managesieve: %w", err)
	}
	return []listenerSpec{e.listener("managesieve", srv)}, nil
}
