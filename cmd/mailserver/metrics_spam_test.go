package main

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A failed scan (rspamd down or slow: the message went on unscanned or
// was deferred) is counted as result="error"; an action rspamd may add
// later as "other"; a nil spamMetrics (metrics off) records nothing.
func TestSpamMetricsResults(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newSpamMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.result("", 300*time.Millisecond, errors.New("rspamd: timeout"))
	m.result("add header", time.Millisecond, nil)
	m.result("something new", time.Millisecond, nil)
	m.result("error", time.Millisecond, nil)
	for label, want := range map[string]float64{"error": 1, "add_header": 1, "other": 2, "no_action": 0} {
		if got := testutil.ToFloat64(m.scans[label]); got != want {
			t.Errorf("%s: %v, want %v", label, got, want)
		}
	}
	var off *spamMetrics
	off.result("reject", time.Millisecond, nil)
}
