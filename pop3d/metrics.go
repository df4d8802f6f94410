package pop3d

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are pop3d's Prometheus metrics: the sessions open now, read from
// the server's session table at scrape time (so a session costs nothing
// more). Build them with NewMetrics and pass them in Options.Metrics; nil
// records nothing.
type Metrics struct {
	sessions *prometheus.Desc

	mu      sync.Mutex
	servers []*Server // bound by New
}

// NewMetrics registers pop3d's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		sessions: prometheus.NewDesc("mailserver_pop3_sessions",
			"POP3 sessions open now (logged in or not).", nil, nil),
	}
	if err := reg.Register(m); err != nil {
		return nil, fmt.Errorf("pop3d: register metrics: %w", err)
	}
	return m, nil
}

// bind makes the scrape count s's sessions, and returns s (for New).
func (m *Metrics) bind(s *Server) *Server {
	if m != nil {
		m.mu.Lock()
		m.servers = append(m.servers, s)
		m.mu.Unlock()
	}
	return s
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { ch <- m.sessions }

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	servers := m.servers
	m.mu.Unlock()
	if len(servers) == 0 {
		return
	}
	n := 0
	for _, s := range servers {
		s.mu.Lock()
		n += len(s.sessions)
		s.mu.Unlock()
	}
	ch <- prometheus.MustNewConstMetric(m.sessions, prometheus.GaugeValue, float64(n))
}
