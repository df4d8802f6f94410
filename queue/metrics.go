package queue

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mailserver/mailserver/store"
)

// Metrics are the queue's Prometheus metrics: deliveries per recipient by
// status and destination class, and, read at scrape time, the queue's
// length and the age of its oldest message. Build them with NewMetrics,
// pass them in Options.Metrics; nil records nothing.
type Metrics struct {
	// deliveries[status][destination], resolved once.
	deliveries [numDeliveryStatus][numDestinations]prometheus.Counter

	queued  *prometheus.Desc
	oldest  *prometheus.Desc
	source  atomic.Pointer[queueStatsSource] // set by New
	timeout time.Duration
}

// Delivery statuses, as in the delivery log line (Postfix's status=).
const (
	statusSent = iota
	statusDeferred
	statusBounced
	numDeliveryStatus
)

var deliveryStatusNames = [numDeliveryStatus]string{"sent", "deferred", "bounced"}

// Destination classes: a local mailbox (delivered or refused by Submit),
// a remote MX host, or the configured smarthost.
const (
	destLocal = iota
	destRemote
	destRelay
	numDestinations
)

var destinationNames = [numDestinations]string{"local", "remote", "relay"}

// queueStats is what the scrape asks the store (a *store.Store has it).
type queueStats interface {
	QueueStats(ctx context.Context) (n int, oldest time.Time, err error)
}

type queueStatsSource struct{ st queueStats }

// scrapeTimeout bounds the store read of a scrape.
const scrapeTimeout = 5 * time.Second

// NewMetrics registers the queue's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_deliveries_total",
		Help: "Delivery outcomes per recipient, by status (sent, deferred, bounced) and destination (local mailbox, remote MX, relay smarthost).",
	}, []string{"status", "destination"})
	m := &Metrics{
		queued: prometheus.NewDesc("mailserver_queue_messages",
			"Messages in the outbound queue.", nil, nil),
		oldest: prometheus.NewDesc("mailserver_queue_oldest_message_age_seconds",
			"Age of the oldest message in the outbound queue; 0 when it is empty.", nil, nil),
		timeout: scrapeTimeout,
	}
	for _, c := range []prometheus.Collector{vec, m} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("queue: register metrics: %w", err)
		}
	}
	for s, status := range deliveryStatusNames {
		for d, dest := range destinationNames {
			if s == statusDeferred && d == destLocal {
				continue // a local delivery is committed or refused, never deferred
			}
			m.deliveries[s][d] = vec.WithLabelValues(status, dest)
		}
	}
	return m, nil
}

// bind makes the scrape read the queue's length from st.
func (m *Metrics) bind(st Store) {
	if m == nil {
		return
	}
	if qs, ok := st.(queueStats); ok {
		m.source.Store(&queueStatsSource{qs})
	}
}

// Describe implements prometheus.Collector (the scrape-time gauges).
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.queued
	ch <- m.oldest
}

// Collect implements prometheus.Collector: one short read transaction.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	src := m.source.Load()
	if src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
	defer cancel()
	n, oldest, err := src.st.QueueStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.queued, err)
		return
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, time.Since(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(m.queued, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, age)
}

// submitted counts the local outcomes of one Submit: copies stored, and
// recipients that failed there (a quota filled since RCPT, an address
// gone) while the message was stored for others, so that they are
// bounced. When nothing was stored the client is refused instead: no
// delivery.
func (m *Metrics) submitted(res *Result) {
	if m == nil || res == nil {
		return
	}
	if res.Local > 0 {
		m.deliveries[statusSent][destLocal].Add(float64(res.Local))
	}
	if len(res.Failed) > 0 && res.Local+res.Remote > 0 {
		m.deliveries[statusBounced][destLocal].Add(float64(len(res.Failed)))
	}
}

// attempted counts the outcome of one recipient's delivery attempt.
func (m *Metrics) attempted(state store.RecipientState, relay bool) {
	if m == nil {
		return
	}
	d := destRemote
	if relay {
		d = destRelay
	}
	switch state {
	case store.RcptDelivered:
		m.deliveries[statusSent][d].Inc()
	case store.RcptDeferred:
		m.deliveries[statusDeferred][d].Inc()
	case store.RcptFailed:
		m.deliveries[statusBounced][d].Inc()
	}
}
