package main

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// spamMetrics count rspamd's verdicts (smtpd.SpamOptions.OnResult):
// mailserver_spam_scans_total{result} with result one of rspamd's actions
// (no_action, greylist, add_header, rewrite_subject, soft_reject, reject),
// "error" for a scan that failed (the message was then accepted unscanned
// or deferred, as [spam] on_error says) or "other"; and the scans' time.
type spamMetrics struct {
	scans   map[string]prometheus.Counter
	seconds prometheus.Histogram
}

// spamResults are the label values of mailserver_spam_scans_total.
var spamResults = []string{"no_action", "greylist", "add_header", "rewrite_subject", "soft_reject", "reject", "error", "other"}

func newSpamMetrics(reg prometheus.Registerer) (*spamMetrics, error) {
	scans := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_spam_scans_total",
		Help: "Messages scanned by rspamd, by its action; error: the scan failed (on_error applied).",
	}, []string{"result"})
	seconds := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "mailserver_spam_scan_duration_seconds",
		Help:    "Time of one rspamd scan.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	})
	for _, c := range []prometheus.Collector{scans, seconds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m := &spamMetrics{scans: map[string]prometheus.Counter{}, seconds: seconds}
	for _, r := range spamResults {
		m.scans[r] = scans.WithLabelValues(r)
	}
	return m, nil
}

// result is smtpd's OnResult hook; a nil m records nothing.
func (m *spamMetrics) result(action string, took time.Duration, err error) {
	if m == nil {
		return
	}
	label := "error"
	if err == nil {
		label = strings.ReplaceAll(action, " ", "_")
		if m.scans[label] == nil || label == "error" {
			label = "other"
		}
	}
	m.scans[label].Inc()
	m.seconds.Observe(took.Seconds())
}
