package queue

import (
	"math"
	"math/rand/v2"
	"time"
)

// retryDelay is the wait after a recipient's attempt number n (1 for the
// first) failed temporarily.
//
// RFC 5321 §4.5.4.1: the retry interval should be at least 30 minutes and
// the give-up time at least 4-5 days, both configurable; a client should
// keep per-destination state. In the spirit of Postfix (minimal_backoff_time
// 300s, maximal_backoff_time 4000s, maximal_queue_lifetime 5d) the schedule
// starts at initial and doubles after each failure up to max:
//
//	attempt:  1   2    3    4    5    6 ...
//	delay:    5m  10m  20m  40m  1h   1h   (initial 5m, max 1h)
//
// jitter, in [0, 1), spreads the delay over ±10% so that mail deferred
// together does not come back together. The lifetime (Options.Lifetime)
// is applied by the caller.
func retryDelay(n int, initial, maxDelay time.Duration, jitter float64) time.Duration {
	if n < 1 {
		n = 1
	}
	// float64, so that the doubling neither truncates nor overflows.
	d := float64(initial) * math.Pow(2, float64(n-1))
	d = math.Min(d, float64(maxDelay))
	d *= 0.9 + 0.2*jitter
	return time.Duration(d)
}

// nextAttempt is when a recipient whose attempt number n starts now is
// tried again if it fails: never later than its expiry, so that the last
// attempt happens when the lifetime runs out.
func (q *Queue) nextAttempt(now time.Time, n int, expires time.Time) time.Time {
	t := now.Add(retryDelay(n, q.opts.RetryInitial, q.opts.RetryMax, rand.Float64()))
	if t.After(expires) {
		t = expires
	}
	if !t.After(now) {
		t = now.Add(q.opts.RetryInitial) // expired already: one more, late try
	}
	return t
}
