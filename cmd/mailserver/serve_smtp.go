package main

import (
	"fmt"
	"net/netip"

	"github.com/mailserver/mailserver/smtpd"
)

// smtpListeners returns the SMTP services for [listen] smtp (port 25, mail
// from other servers, STARTTLS), submission (587, clients, STARTTLS then
// AUTH) and submissions (465, clients, implicit TLS then AUTH). One
// smtpd.Server per role; they share one connection limiter, since
// [smtp] max_connections and max_connections_per_ip count over all three.
// Like every service, smtpd puts TLS on implicit-TLS connections itself
// (above its own connection wrapper, as STARTTLS does).
func smtpListeners(e *env) ([]listenerSpec, error) {
	if e.queue == nil {
		return nil, fmt.Errorf("smtp: the outbound queue was not created")
	}
	var trusted []netip.Prefix
	for _, n := range e.cfg.SMTP.TrustedNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return nil, fmt.Errorf("smtp.trusted_networks: %q: %w", n, err)
		}
		trusted = append(trusted, p.Masked())
	}
	// Port 25 authenticates what it receives ([inbound]) through the DNS
	// cache the queue uses too (set by workers, serve_queue.go).
	var resolver smtpd.Resolver
	if e.cfg.Inbound.Verify {
		if e.dns == nil {
			return nil, fmt.Errorf("smtp: the DNS resolver was not created")
		}
		resolver = e.dns
	}
	inbound := e.cfg.Inbound.policy()
	spam, dnsbl := e.cfg.Spam.smtpOptions(e.metrics.spam.result)
	if dnsbl != nil {
		if e.dns == nil {
			return nil, fmt.Errorf("smtp: the DNS resolver was not created")
		}
		dnsbl.Resolver = e.dns
	}
	limiter := smtpd.NewConnLimiter(e.cfg.SMTP.MaxConnections, e.cfg.SMTP.MaxConnectionsPerIP)
	var specs []listenerSpec
	for _, r := range []struct {
		key  string
		mode smtpd.Mode
	}{
		{"smtp", smtpd.ModeMX},
		{"submission", smtpd.ModeSubmission},
		{"submissions", smtpd.ModeSubmissions},
	} {
		srv, err := smtpd.NewServer(smtpd.Options{
			Mode:                     r.mode,
			Hostname:                 e.cfg.Hostname,
			Store:                    e.store,
			Queue:                    e.queue,
			TLSConfig:                e.tls,
			Logger:                   e.log,
			MaxMessageBytes:          e.cfg.SMTP.MaxMessageBytes,
			MaxRecipients:            e.cfg.SMTP.MaxRecipients,
			MaxLineLength:            e.cfg.SMTP.MaxLineLength,
			TrustedNetworks:          trusted,
			AllowPlaintextOnLoopback: e.cfg.Auth.AllowPlaintextOnLoopback,
			ReadTimeout:              e.cfg.SMTP.ReadTimeout.Duration,
			DataTimeout:              e.cfg.SMTP.DataTimeout.Duration,
			Limiter:                  limiter,
			Resolver:                 resolver,
			Inbound:                  &inbound,
			Metrics:                  e.metrics.smtp,
			Spam:                     spam,
			DNSBL:                    dnsbl,
		})
		if err != nil {
			return nil, fmt.Errorf("smtp [listen] %s: %w", r.key, err)
		}
		specs = append(specs, e.listener(r.key, srv))
	}
	return specs, nil
}
