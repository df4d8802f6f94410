package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
)

// Metrics are the store's Prometheus metrics: the group commit (batch
// sizes, latency, failures by reason) and failed logins by protocol. Build
// them with NewMetrics and pass them in Options.Metrics; a nil *Metrics
// records nothing. Every label value is from a fixed set (never a user
// name or an address), and every child is resolved here, so the hot
// paths only add to a counter or a histogram bucket.
type Metrics struct {
	batchSize      prometheus.Histogram
	commitDuration prometheus.Histogram
	commitFailures [numCommitFailReasons]prometheus.Counter
	authFailures   [numAuthProtocols][numAuthFailReasons]prometheus.Counter
	authThrottled  [numAuthProtocols]prometheus.Counter
}

// Commit failure reasons (label reason of mailserver_store_commit_failures_total).
const (
	commitFailNoSpace = iota // ENOSPC, EDQUOT, EFBIG: the disk or quota is full
	commitFailIO             // EIO: the device failed
	commitFailOther
	numCommitFailReasons
)

var commitFailReasonNames = [numCommitFailReasons]string{"no_space", "io", "other"}

// Protocols of Login.Protocol, as a label; anything else counts as "other".
var authProtocolNames = [...]string{"smtp", "submission", "imap", "pop3", "managesieve", "webmail", "other"}

const numAuthProtocols = len(authProtocolNames)

// Reasons of a failed login other than throttling (logAuthFailure).
var authFailReasonNames = [...]string{"password", "unknown_user", "unavailable"}

const numAuthFailReasons = len(authFailReasonNames)

// NewMetrics registers the store's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "mailserver_store_commit_batch_size",
			Help: "Operations committed together in one group commit (one bbolt transaction, two fdatasyncs).",
			// Powers of two up to the default MaxBatch (512).
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mailserver_store_commit_duration_seconds",
			Help:    "Time to run and commit one group commit, fsyncs included.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		}),
	}
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_store_commit_failures_total",
		Help: "Group commits that failed to reach the disk, by reason (no_space: ENOSPC, EDQUOT or EFBIG; io: EIO; other).",
	}, []string{"reason"})
	authFailures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_auth_failures_total",
		Help: "Failed logins by protocol and reason (password, unknown_user, unavailable: no password-hash slot in time); throttled ones are counted in mailserver_auth_throttled_total.",
	}, []string{"protocol", "reason"})
	throttled := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_auth_throttled_total",
		Help: "Logins refused unchecked because the client network is in a guessing run, by protocol.",
	}, []string{"protocol"})
	for _, c := range []prometheus.Collector{m.batchSize, m.commitDuration, failures, authFailures, throttled} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("store: register metrics: %w", err)
		}
	}
	for i, r := range commitFailReasonNames {
		m.commitFailures[i] = failures.WithLabelValues(r)
	}
	for p, proto := range authProtocolNames {
		for r, reason := range authFailReasonNames {
			m.authFailures[p][r] = authFailures.WithLabelValues(proto, reason)
		}
		m.authThrottled[p] = throttled.WithLabelValues(proto)
	}
	return m, nil
}

// observeCommit records one group commit of n operations that took d;
// err is the commit's own error (the disk), nil when it is durable.
func (m *Metrics) observeCommit(n int, d time.Duration, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.commitFailures[commitFailReason(err)].Inc()
		return
	}
	m.batchSize.Observe(float64(n))
	m.commitDuration.Observe(d.Seconds())
}

// commitFailReason classifies a failed commit. A full disk is the one an
// operator can act on at once (C5: ErrNoSpace wraps these errnos).
func commitFailReason(err error) int {
	switch {
	case isNoSpace(err): // nospace.go: ENOSPC, EDQUOT, EFBIG, also as bbolt's text
		return commitFailNoSpace
	case errors.Is(err, syscall.EIO):
		return commitFailIO
	}
	return commitFailOther
}

// authFailure counts a failed login; reason is logAuthFailure's.
func (m *Metrics) authFailure(protocol, reason string) {
	if m == nil {
		return
	}
	p := authProtocolIndex(protocol)
	switch reason {
	case "throttled":
		m.authThrottled[p].Inc()
	case "password":
		m.authFailures[p][0].Inc()
	case "unknown-user":
		m.authFailures[p][1].Inc()
	case "unavailable":
		m.authFailures[p][2].Inc()
	}
}

func authProtocolIndex(protocol string) int {
	for i, name := range authProtocolNames[:numAuthProtocols-1] {
		if protocol == name {
			return i
		}
	}
	return numAuthProtocols - 1
}

// pingKey is the meta key Ping writes.
var pingKey = []byte("ping")

// Ping makes a tiny write durable through the group commit, as every
// acknowledged write is: nil means the store can commit now (the health
// check, /healthz). It fails with ErrClosed once the store is closed, and
// with the commit's error when the disk refuses the write.
func (s *Store) Ping(ctx context.Context) error {
	now := u64(uint64(time.Now().UnixNano()))
	err := s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		return tx.Bucket(bucketMeta).Put(pingKey, now)
	})
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// QueueStats returns the number of messages in the outbound queue and when
// the oldest of them was queued (zero when the queue is empty). It is
// cheap enough for every scrape: it counts keys and decodes one entry.
// Queue IDs are issued in order, so the first entry is the oldest.
func (s *Store) QueueStats(ctx context.Context) (n int, oldest time.Time, err error) {
	err = s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketQueue)
		n = b.Stats().KeyN
		k, v := b.Cursor().First()
		if k == nil {
			return nil
		}
		var m struct {
			Created time.Time `json:"created"`
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("queue entry %d: %w", be64(k), err)
		}
		oldest = m.Created
		return nil
	})
	return n, oldest, err
}
