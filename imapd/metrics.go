package imapd

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are imapd's Prometheus metrics: sessions (connections past the
// greeting) and logged-in sessions, read from the server's session table
// at scrape time, and sessions in IDLE. Build them with NewMetrics and pass
// them in Options.Metrics; nil records nothing.
type Metrics struct {
	sessions, loggedIn *prometheus.Desc
	idle               prometheus.Gauge
	idleDone           func() // m.idle.Dec, bound once: IDLE allocates nothing

	mu      sync.Mutex
	servers []*Server // bound by New
}

// NewMetrics registers imapd's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		sessions: prometheus.NewDesc("mailserver_imap_sessions",
			"IMAP sessions open now (logged in or not).", nil, nil),
		loggedIn: prometheus.NewDesc("mailserver_imap_authenticated_sessions",
			"IMAP sessions logged in now.", nil, nil),
		idle: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mailserver_imap_idle_sessions",
			Help: "IMAP sessions in IDLE now (RFC 2177).",
		}),
	}
	m.idleDone = m.idle.Dec
	for _, c := range []prometheus.Collector{m, m.idle} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("imapd: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) bind(s *Server) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.servers = append(m.servers, s)
	m.mu.Unlock()
}

func noop() {}

// idling counts a session entering IDLE; call the function it returns
// when the IDLE ends.
func (m *Metrics) idling() func() {
	if m == nil {
		return noop
	}
	m.idle.Inc()
	return m.idleDone
}

// Describe implements prometheus.Collector (the scrape-time gauges).
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.sessions
	ch <- m.loggedIn
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	servers := m.servers
	m.mu.Unlock()
	if len(servers) == 0 {
		return
	}
	var sessions, loggedIn int
	for _, s := range servers {
		s.mu.Lock()
		sessions += len(s.sessions)
		for _, n := range s.perUser {
			loggedIn += n
		}
		s.mu.Unlock()
	}
	ch <- prometheus.MustNewConstMetric(m.sessions, prometheus.GaugeValue, float64(sessions))
	ch <- prometheus.MustNewConstMetric(m.loggedIn, prometheus.GaugeValue, float64(loggedIn))
}
