package queue

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/mailserver/mailserver/queue/dnscache"
)

// metricValue gathers reg and returns the value of name's series whose
// labels are exactly labels (name=value pairs, in label-name order).
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for i, lp := range m.GetLabel() {
				if lp.GetName()+"="+lp.GetValue() != labels[i] {
					continue next
				}
			}
			return value(m)
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func value(m *dto.Metric) float64 {
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// TestDeliveryMetrics: a local copy, a remote recipient deferred twice
// then delivered, and one refused for good show up as deliveries by
// status and destination; the queue's length is read at scrape time, and
// the DNS cache's counters move as the MX is looked up.
func TestDeliveryMetrics(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	var tries atomic.Int32
	rs[0].setRcpt(func(to string) error {
		if strings.HasPrefix(to, "bad") {
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user here")
		}
		if tries.Add(1) <= 2 {
			return smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "greylisted, try later")
		}
		return nil
	})
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	dm, err := dnscache.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	opts := e.opts(port)
	opts.Metrics = m
	opts.Resolver = dnscache.New(dnscache.Options{Server: e.dns.addr, Metrics: dm})
	q := New(e.st, opts)

	if v := metricValue(t, reg, "mailserver_queue_messages"); v != 0 {
		t.Fatalf("empty queue: %v messages", v)
	}
	submit(t, q, "alice@local.test", testBody, "alice@local.test", "good@remote.test", "bad@remote.test")
	if v := metricValue(t, reg, "mailserver_queue_messages"); v != 1 {
		t.Fatalf("queue length %v, want 1", v)
	}
	if v := metricValue(t, reg, "mailserver_queue_oldest_message_age_seconds"); v < 0 {
		t.Fatalf("oldest message age %v", v)
	}
	if v := metricValue(t, reg, "mailserver_deliveries_total", "destination=local", "status=sent"); v != 1 {
		t.Fatalf("local deliveries %v, want 1", v)
	}

	run(t, q)
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	for _, c := range []struct {
		status string
		want   float64
	}{{"sent", 1}, {"deferred", 2}, {"bounced", 1}} {
		if v := metricValue(t, reg, "mailserver_deliveries_total", "destination=remote", "status="+c.status); v != c.want {
			t.Errorf("remote %s: %v, want %v", c.status, v, c.want)
		}
	}
	if v := metricValue(t, reg, "mailserver_deliveries_total", "destination=relay", "status=sent"); v != 0 {
		t.Errorf("relay deliveries %v without a relay", v)
	}
	if v := metricValue(t, reg, "mailserver_queue_messages"); v != 0 {
		t.Errorf("queue length %v after delivery", v)
	}
	if v := metricValue(t, reg, "mailserver_queue_oldest_message_age_seconds"); v != 0 {
		t.Errorf("oldest age %v of an empty queue", v)
	}
	// The MX was looked up (a miss); looking it up again is a hit.
	misses := metricValue(t, reg, "mailserver_dns_cache_misses_total")
	hits := metricValue(t, reg, "mailserver_dns_cache_hits_total")
	if misses < 1 {
		t.Errorf("DNS cache: %v misses after a delivery", misses)
	}
	if _, err := opts.Resolver.LookupMX(context.Background(), "remote.test"); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, reg, "mailserver_dns_cache_hits_total"); v != hits+1 {
		t.Errorf("DNS cache hits %v after a cached lookup, want %v", v, hits+1)
	}
	if v := metricValue(t, reg, "mailserver_dns_cache_entries"); v < 1 {
		t.Errorf("DNS cache entries %v", v)
	}
	if up := metricValue(t, reg, "mailserver_dns_upstream_queries_total"); up < misses-metricValue(t, reg, "mailserver_dns_cache_shared_total") {
		t.Errorf("upstream queries %v below the unshared misses", up)
	}
}
