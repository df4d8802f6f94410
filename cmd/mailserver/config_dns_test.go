package main

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue/dnscache"
)

// TestDNSResolverSetting: [dns] resolver names the server; the old
// [delivery] resolver still works as its alias; the two may not
// disagree; bad values are refused with the key named.
func TestDNSResolverSetting(t *testing.T) {
	dnsAddr := startTestDNS(t, map[string]string{"remote.test.": "MX 10 mx.remote.test."})
	for _, section := range []string{"dns", "delivery"} {
		cfg := defaultConfig()
		cfg.Hostname = "mail.example.test"
		if err := decodeConfig(fmt.Sprintf("[%s]\nresolver = %q", section, dnsAddr), &cfg); err != nil {
			t.Fatal(err)
		}
		if err := cfg.validate(); err != nil {
			t.Fatalf("[%s] resolver: %v", section, err)
		}
		if cfg.DNS.Resolver != dnsAddr {
			t.Fatalf("[%s] resolver: effective dns.resolver %q, want %q", section, cfg.DNS.Resolver, dnsAddr)
		}
		mxs, err := newResolver(&cfg, nil).LookupMX(t.Context(), "remote.test")
		if err != nil || len(mxs) != 1 || mxs[0].Host != "mx.remote.test." {
			t.Fatalf("[%s] resolver: LookupMX = %v, %v", section, mxs, err)
		}
	}
	for _, tc := range []struct{ toml, key string }{
		{"[dns]\nresolver = \"8.8.8.8\"", "dns.resolver"},
		{"[dns]\nresolver = \"127.0.0.1:53\"\n[delivery]\nresolver = \"127.0.0.2:53\"", "delivery.resolver"},
		{"[dns]\nmin_ttl = \"1h\"\nmax_ttl = \"1m\"", "dns.max_ttl"},
		{"[dns]\nnegative_max_ttl = \"\"", "dns.negative_max_ttl"},
		{"[dns]\nmax_entries = 0", "dns.max_entries"},
	} {
		cfg := defaultConfig()
		cfg.Hostname = "mail.example.test"
		if err := decodeConfig(tc.toml, &cfg); err != nil {
			t.Fatalf("%q: %v", tc.toml, err)
		}
		if err := cfg.validate(); err == nil || !strings.HasPrefix(err.Error(), tc.key+":") {
			t.Errorf("%q: validate = %v, want an error naming %s", tc.toml, err, tc.key)
		}
	}
	c := defaultConfig()
	if c.DNS.MaxTTL.Duration != dnscache.DefaultMaxTTL || c.DNS.NegativeMaxTTL.Duration != dnscache.DefaultNegativeMaxTTL ||
		c.DNS.MinTTL.Duration != dnscache.DefaultMinTTL || c.DNS.MaxEntries != dnscache.DefaultMaxEntries {
		t.Fatalf("[dns] defaults %+v differ from package dnscache's", c.DNS)
	}
}

// TestDeliveryThroughDNSSection: the server started with only [dns]
// resolver set delivers by MX through that server.
func TestDeliveryThroughDNSSection(t *testing.T) {
	dnsAddr := startTestDNS(t, map[string]string{
		"remote.test.":    "MX 10 mx.remote.test.",
		"mx.remote.test.": "A 127.0.0.14",
	})
	ln, err := net.Listen("tcp", "127.0.0.14:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release, got := make(chan struct{}, 4), make(chan struct{}), make(chan string, 4)
	close(release)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &slowSession{entered: entered, release: release, got: got}, nil
	}))
	srv.Domain = "mx.remote.test"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"}, fmt.Sprintf(`domains = ["example.test"]
[smtp]
trusted_networks = ["127.0.0.0/8"]
[dns]
resolver = %q
[delivery]
remote_port = %d
retry_initial = "1h"
retry_max = "1h"
`, dnsAddr, ln.Addr().(*net.TCPAddr).Port))
	s := e.start(t)
	py := fmt.Sprintf(`import smtplib
host, port = %q.rsplit(":", 1)
s = smtplib.SMTP(host, int(port))
s.sendmail("alice@example.test", ["bob@remote.test"], "From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: dns\r\n\r\nhello\r\n")
s.quit()
`, s.addrs["smtp"])
	if out, err := exec.Command("python3", "-c", py).CombinedOutput(); err != nil {
		t.Fatalf("smtplib: %v\n%s\nserver log:\n%s", err, out, s.log)
	}
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatalf("the remote never got the message:\n%s", s.log)
	}
	// At shutdown the cache's counters are logged: the MX and A lookups
	// were misses.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitStopped(t)
	if log := s.log.String(); !strings.Contains(log, `msg="dns cache"`) || strings.Contains(log, "misses=0 ") {
		t.Fatalf("no dns cache line with misses at shutdown:\n%s", log)
	}
}
