package queue

import (
	"testing"
)

// TestDeliveriesUseDNSCache: deliveries to two domains whose MX is the
// same host, one after the other, ask the DNS server for that host's
// address once: the second delivery's lookup comes from the cache
// (package dnscache), within the record's TTL. (Different domains, so
// that the connection pool, which is per domain, does not hide lookups.)
func TestDeliveriesUseDNSCache(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "one.test. 300 MX 10 mx.shared.test.")
	e.dns.add(t, "two.test. 300 MX 10 mx.shared.test.")
	e.dns.add(t, "mx.shared.test. 300 A 127.0.0.2")
	q := New(e.st, e.opts(port))
	run(t, q)
	submit(t, q, "alice@local.test", testBody, "a@one.test")
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	submit(t, q, "alice@local.test", testBody, "b@two.test")
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	if n := len(rs[0].transactions()); n != 2 {
		t.Fatalf("%d transactions, want 2", n)
	}
	if n := e.dns.count("mx.shared.test.", "A"); n != 1 {
		t.Fatalf("DNS server asked %d times for mx.shared.test's address in two deliveries, want 1", n)
	}
}
