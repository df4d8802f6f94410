package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/mailserver/mailserver/httpd"
	"github.com/mailserver/mailserver/imapd"
	"github.com/mailserver/mailserver/pop3d"
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/queue/dnscache"
	"github.com/mailserver/mailserver/smtpd"
	"github.com/mailserver/mailserver/store"
)

// defaultMetricsAddr is [listen] metrics' default: loopback only, since
// the metrics and the health check need no authentication (they name no
// user, address or IP) but are nobody else's business either.
const defaultMetricsAddr = "127.0.0.1:9132"

// serverMetrics is the server's one Prometheus registry (contract C4:
// never the default registry) and the metrics of each package, built from
// it and handed to the packages through their Options. With [listen]
// metrics off every field is nil: the packages then record nothing.
type serverMetrics struct {
	reg   *prometheus.Registry
	store *store.Metrics
	queue *queue.Metrics
	dns   *dnscache.Metrics
	smtp  *smtpd.Metrics
	imap  *imapd.Metrics
	pop3  *pop3d.Metrics
	spam  *spamMetrics // metrics_spam.go

	connsOpen  *prometheus.GaugeVec
	connsTotal *prometheus.CounterVec

	mu        sync.Mutex
	listeners []*listenerWatch // one per bound listener, in bind order
}

// newServerMetrics builds the registry with the Go runtime and process
// collectors and every package's metrics; an empty value when the
// metrics listener is off.
func newServerMetrics(cfg *Config) (*serverMetrics, error) {
	if cfg.Listen.Metrics == "" {
		return &serverMetrics{}, nil
	}
	reg := prometheus.NewRegistry()
	m := &serverMetrics{reg: reg}
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	var err error
	if m.store, err = store.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.queue, err = queue.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.dns, err = dnscache.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.smtp, err = smtpd.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.imap, err = imapd.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.pop3, err = pop3d.NewMetrics(reg); err != nil {
		return nil, err
	}
	if m.spam, err = newSpamMetrics(reg); err != nil {
		return nil, err
	}
	m.connsOpen = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "mailserver_connections_open",
		Help: "Connections open now, by the [listen] key that accepted them.",
	}, []string{"listener"})
	m.connsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_connections_total",
		Help: "Connections accepted, by [listen] key.",
	}, []string{"listener"})
	up := &listenerUpCollector{m: m, desc: prometheus.NewDesc("mailserver_listener_up",
		"1 while the listener's accept loop runs, 0 once it has stopped.", []string{"listener"}, nil)}
	for _, c := range []prometheus.Collector{m.connsOpen, m.connsTotal, up} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// watch returns the listener's connection counters and health state, for
// its accept loop (accept.go); nil when the metrics are off.
func (m *serverMetrics) watch(key string) *listenerWatch {
	if m == nil || m.reg == nil {
		return nil
	}
	w := &listenerWatch{
		key:   key,
		open:  m.connsOpen.WithLabelValues(key),
		total: m.connsTotal.WithLabelValues(key),
	}
	m.mu.Lock()
	m.listeners = append(m.listeners, w)
	m.mu.Unlock()
	return w
}

// health is /healthz: the store commits (a tiny fsynced write through the
// group commit) and every listener's accept loop is running.
func (m *serverMetrics) health(st *store.Store) httpd.HealthFunc {
	return func(ctx context.Context) error {
		m.mu.Lock()
		ls := m.listeners
		m.mu.Unlock()
		var down []string
		for _, w := range ls {
			if !w.running.Load() {
				down = append(down, w.key)
			}
		}
		if len(down) > 0 {
			return fmt.Errorf("listener not accepting: %s", strings.Join(down, ", "))
		}
		if err := st.Ping(ctx); err != nil {
			return fmt.Errorf("store cannot commit: %w", err)
		}
		return nil
	}
}

// listenerWatch is what one accept loop reports: the connections it
// accepted and whether it runs.
type listenerWatch struct {
	key     string
	open    prometheus.Gauge
	total   prometheus.Counter
	running atomic.Bool
}

func (w *listenerWatch) started() {
	if w != nil {
		w.running.Store(true)
	}
}

func (w *listenerWatch) stopped() {
	if w != nil {
		w.running.Store(false)
	}
}

// accepted counts c and returns it wrapped so that closing it counts it
// out; c as it is when w is nil. The wrapper of a TCP connection keeps
// every *net.TCPConn method (SyscallConn, CloseWrite, ReadFrom), so the
// services' socket options and net/http's sendfile still work.
func (w *listenerWatch) accepted(c net.Conn) net.Conn {
	if w == nil {
		return c
	}
	w.total.Inc()
	w.open.Inc()
	if tc, ok := c.(*net.TCPConn); ok {
		return &countedTCPConn{TCPConn: tc, w: w}
	}
	return &countedConn{Conn: c, w: w}
}

// countedTCPConn and countedConn count themselves out of open connections
// at their first Close.
type countedTCPConn struct {
	*net.TCPConn
	w    *listenerWatch
	once sync.Once
}

func (c *countedTCPConn) Close() error {
	c.once.Do(c.w.open.Dec)
	return c.TCPConn.Close()
}

type countedConn struct {
	net.Conn
	w    *listenerWatch
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.w.open.Dec)
	return c.Conn.Close()
}

// listenerUpCollector reports mailserver_listener_up at scrape time.
type listenerUpCollector struct {
	m    *serverMetrics
	desc *prometheus.Desc
}

func (c *listenerUpCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *listenerUpCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	ls := c.m.listeners
	c.m.mu.Unlock()
	for _, w := range ls {
		v := 0.0
		if w.running.Load() {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, w.key)
	}
}

// certExpiry is one certificate the server presents, for
// mailserver_tls_certificate_expiry_timestamp_seconds.
type certExpiry struct {
	Name     string // the first DNS name it covers (the config's hostname or a local domain's name)
	NotAfter time.Time
}

// certExpirySource gives what
// mailserver_tls_certificate_expiry_timestamp_seconds reports at every
// scrape: with ACME on, every managed name that has a certificate (the
// Manager's Status); otherwise the certificate every listener serves (the
// configured files, as last re-read, or the self-signed one). It is
// registered once (metricsListeners): a second registration of the
// metric would fail.
func certExpirySource(e *env) func() []certExpiry {
	if e.acme != nil {
		return func() []certExpiry {
			var out []certExpiry
			for _, st := range e.acme.Status() {
				if !st.NotAfter.IsZero() {
					out = append(out, certExpiry{Name: st.Name, NotAfter: st.NotAfter})
				}
			}
			return out
		}
	}
	return servedCertExpiry(e.tls, e.cfg.Hostname)
}

// registerCertExpiry registers a collector that calls status at every
// scrape. Names come from the configuration, so the label stays bounded.
func (m *serverMetrics) registerCertExpiry(status func() []certExpiry) error {
	if m.reg == nil || status == nil {
		return nil
	}
	return m.reg.Register(&certExpiryCollector{status: status, desc: prometheus.NewDesc(
		"mailserver_tls_certificate_expiry_timestamp_seconds",
		"When the certificate served for name expires (Unix time).", []string{"name"}, nil)})
}

// servedCertExpiry reads the certificate cfg serves for hostname at each
// call (GetCertificate: the listeners hold none of their own).
func servedCertExpiry(cfg *tls.Config, hostname string) func() []certExpiry {
	if cfg == nil || cfg.GetCertificate == nil {
		return nil
	}
	return func() []certExpiry {
		c, err := cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: hostname})
		if err != nil || c == nil || len(c.Certificate) == 0 {
			return nil
		}
		leaf := c.Leaf
		if leaf == nil {
			if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
				return nil
			}
		}
		name := leaf.Subject.CommonName
		if len(leaf.DNSNames) > 0 {
			name = leaf.DNSNames[0]
		}
		return []certExpiry{{Name: name, NotAfter: leaf.NotAfter}}
	}
}

type certExpiryCollector struct {
	status func() []certExpiry
	desc   *prometheus.Desc
}

func (c *certExpiryCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *certExpiryCollector) Collect(ch chan<- prometheus.Metric) {
	seen := map[string]bool{}
	for _, s := range c.status() {
		if seen[s.Name] { // one series per name: a duplicate would fail the scrape
			continue
		}
		seen[s.Name] = true
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(s.NotAfter.Unix()), s.Name)
	}
}

// metricsListeners returns the metrics service for [listen] metrics:
// /metrics and /healthz (httpd.MetricsHandler) on an httpd.Server, fed by
// the one accept loop like every listener.
func metricsListeners(e *env) ([]listenerSpec, error) {
	if e.cfg.Listen.Metrics == "" {
		return nil, nil
	}
	if e.metrics == nil || e.metrics.reg == nil {
		return nil, errors.New("metrics: the registry was not created")
	}
	if err := e.metrics.registerCertExpiry(certExpirySource(e)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if host, _, err := net.SplitHostPort(e.cfg.Listen.Metrics); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			e.log.Warn("the metrics listener is reachable from the network; restrict it with a firewall", "addr", e.cfg.Listen.Metrics)
		}
	}
	log := e.log.With("service", "metrics")
	h := httpd.MetricsHandler(e.metrics.reg, e.metrics.health(e.store), log)
	return []listenerSpec{e.listener("metrics", httpd.NewServer(h, httpd.ServerOptions{Logger: log}))}, nil
}
