package main

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/mailserver/mailserver/queue"
)

// workers returns the background workers, started before any listener is
// served and stopped after the listeners at shutdown. It runs before the
// *Listeners functions, so it is where shared objects (such as the
// outbound queue that smtpListeners submits to) are created and stored
// in env.
//
// The queue's Run is the outbound delivery scheduler.
//
// It is also the start-up step after the store is open and the config's
// domains are in it, so it logs where postmaster mail goes.
func workers(e *env) ([]worker, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	logPostmaster(ctx, e.store, e.log)
	e.queue = queue.New(e.store, queueOptions(e.cfg, e))
	return []worker{e.queue}, nil
}

// queueOptions maps the [delivery] section onto queue.Options.
func queueOptions(cfg *Config, e *env) queue.Options {
	d := cfg.Delivery
	opts := queue.Options{
		Hostname:             cfg.Hostname,
		Logger:               e.log.With("component", "queue"),
		Concurrency:          d.Concurrency,
		PerDomainConcurrency: d.PerDomainConcurrency,
		RetryInitial:         d.RetryInitial.Duration,
		RetryMax:             d.RetryMax.Duration,
		Lifetime:             d.Lifetime.Duration,
		DelayWarning:         d.DelayWarning.Duration,
		RemotePort:           d.RemotePort,
		RequireTLS:           d.RequireTLS,
		SelfAddrs:            selfAddrs(cfg),
		DKIM:                 e.store, // signs what leaves (queue/dkim.go)
		// Deliveries in flight at SIGTERM may take two thirds of serve's
		// shutdown budget; the rest is for the listeners, which serve
		// stops first, and for recording.
		ShutdownTimeout: shutdownTimeout * 2 / 3,
	}
	if d.Resolver != "" {
		opts.Resolver = queue.NewResolver(d.Resolver)
	}
	if d.RelayHost != "" {
		opts.Relay = &queue.Relay{
			Host:        d.RelayHost,
			Username:    d.RelayUsername,
			Password:    d.RelayPassword,
			ImplicitTLS: d.RelayTLS == "implicit",
		}
	}
	return opts
}

// selfAddrs lists the addresses this server accepts SMTP on, so that the
// queue never delivers to itself by mistake (an MX pointing back here).
func selfAddrs(cfg *Config) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range []string{cfg.Listen.SMTP, cfg.Listen.Submission, cfg.Listen.Submissions} {
		host, portStr, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		port, err := strconv.ParseUint(portStr, 10, 16)
		if err != nil {
			continue
		}
		var addrs []netip.Addr
		switch ip, err := netip.ParseAddr(host); {
		case host == "":
			addrs = []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
		case err == nil:
			addrs = []netip.Addr{ip.Unmap()}
		default:
			ips, _ := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
			addrs = ips
		}
		for _, ip := range addrs {
			out = append(out, netip.AddrPortFrom(ip.Unmap(), uint16(port)))
		}
	}
	return out
}
