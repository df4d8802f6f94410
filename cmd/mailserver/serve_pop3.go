package main

import "github.com/mailserver/mailserver/pop3d"

// pop3Listeners returns the POP3 services for [listen] pop3 (port 110,
// STLS) and pop3s (995, implicit TLS): one server for both, so the
// maildrop lock and [pop3] max_connections cover both ports. The
// autologout timer (10 minutes, RFC 1939 §3), the write timeout and the
// line length limit are pop3d's defaults.
func pop3Listeners(e *env) ([]listenerSpec, error) {
	srv := pop3d.New(e.store, pop3d.Options{
		Hostname:                 e.cfg.Hostname,
		TLSConfig:                e.tls,
		AllowPlaintextOnLoopback: e.cfg.Auth.AllowPlaintextOnLoopback,
		MaxConnections:           e.cfg.POP3.MaxConnections,
		Logger:                   e.log.With("service", "pop3"),
		Metrics:                  e.metrics.pop3,
	})
	return []listenerSpec{e.listener("pop3", srv), e.listener("pop3s", srv)}, nil
}
