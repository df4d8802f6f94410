package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/queue/dnscache"
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
	e.dns = newResolver(e.cfg, e.metrics.dns)
	e.queue = queue.New(e.store, queueOptions(e.cfg, e))
	ws := []worker{e.queue, dnsStatsLogger{r: e.dns, log: e.log.With("component", "dns")}}
	ws = append(ws, backupWorkers(e)...)
	return append(ws, spamWorkers(e)...), nil
}

// dnsStatsLogger logs the DNS cache's counters when the server stops
// (the hit ratio a load test reports).
type dnsStatsLogger struct {
	r   *dnscache.Resolver
	log *slog.Logger
}

func (w dnsStatsLogger) Run(ctx context.Context) error {
	<-ctx.Done()
	st := w.r.Stats()
	w.log.Info("dns cache", "hits", st.Hits, "misses", st.Misses, "shared", st.Shared,
		"hit_ratio", fmt.Sprintf("%.3f", st.HitRatio()), "upstream_queries", st.Upstream,
		"tcp_retries", st.TCPRetries, "entries", st.Entries, "evictions", st.Evictions)
	return nil
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
		DKIM:                 e.store,                       // signs what leaves (queue/dkim.go)
		Sieve:                cfg.Sieve.queueSieve(e.store), // users' scripts at delivery (queue/filter.go)
		Metrics:              e.metrics.queue,
		// Deliveries in flight at SIGTERM may take two thirds of serve's
		// shutdown budget; the rest is for the listeners, which serve
		// stops first, and for recording.
		ShutdownTimeout: shutdownTimeout * 2 / 3,
	}
	if e.dns != nil {
		opts.Resolver = e.dns
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

// newResolver builds the one caching resolver of the [dns] section,
// shared by the queue and smtpd (validate has folded the old [delivery]
// resolver into DNS.Resolver); m exports its counters (nil: not).
func newResolver(cfg *Config, m *dnscache.Metrics) *dnscache.Resolver {
	return dnscache.New(dnscache.Options{
		Metrics:        m,
		Server:         cfg.DNS.Resolver,
		MinTTL:         cfg.DNS.MinTTL.Duration,
		MaxTTL:         cfg.DNS.MaxTTL.Duration,
		NegativeMaxTTL: cfg.DNS.NegativeMaxTTL.Duration,
		MaxEntries:     cfg.DNS.MaxEntries,
	})
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
