package dnscache

import (
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics export the resolver's counters (Stats) to Prometheus. They are
// read at scrape time from the counters the resolver keeps anyway, so a
// lookup costs nothing more. Build them with NewMetrics and pass them in
// Options.Metrics; nil exports nothing.
type Metrics struct {
	hits, misses, shared, upstream, tcpRetries, evictions, entries *prometheus.Desc

	r atomic.Pointer[Resolver] // set by New
}

// NewMetrics registers the DNS cache's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	m := &Metrics{
		hits:       d("mailserver_dns_cache_hits_total", "DNS lookups answered from the cache."),
		misses:     d("mailserver_dns_cache_misses_total", "DNS lookups that needed an upstream resolution (shared ones included)."),
		shared:     d("mailserver_dns_cache_shared_total", "Cache misses that joined a resolution already under way."),
		upstream:   d("mailserver_dns_upstream_queries_total", "Queries sent to the DNS servers (retries and TCP included)."),
		tcpRetries: d("mailserver_dns_tcp_retries_total", "Truncated UDP replies asked again over TCP."),
		evictions:  d("mailserver_dns_cache_evictions_total", "Cache entries dropped to stay within the size bounds."),
		entries:    d("mailserver_dns_cache_entries", "Entries in the DNS cache."),
	}
	if err := reg.Register(m); err != nil {
		return nil, fmt.Errorf("dnscache: register metrics: %w", err)
	}
	return m, nil
}

func (m *Metrics) bind(r *Resolver) {
	if m != nil {
		m.r.Store(r)
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.hits, m.misses, m.shared, m.upstream, m.tcpRetries, m.evictions, m.entries} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	r := m.r.Load()
	if r == nil {
		return
	}
	st := r.Stats()
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	counter(m.hits, st.Hits)
	counter(m.misses, st.Misses)
	counter(m.shared, st.Shared)
	counter(m.upstream, st.Upstream)
	counter(m.tcpRetries, st.TCPRetries)
	counter(m.evictions, st.Evictions)
	ch <- prometheus.MustNewConstMetric(m.entries, prometheus.GaugeValue, float64(st.Entries))
}
