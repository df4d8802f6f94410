package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

func TestAdminBounceAndDelete(t *testing.T) {
	e := newEnv(t)
	port := freePort(t, "127.0.0.3")
	e.dns.add(t, "remote.test. A 127.0.0.3") // down
	o := e.opts(port)
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour
	q := New(e.st, o)
	run(t, q)
	ctx := context.Background()
	r1 := submit(t, q, "alice@local.test", testBody, "a@remote.test", "b@remote.test")
	r2 := submit(t, q, "alice@local.test", testBody, "c@remote.test")
	waitFor(t, "deferrals", func() bool {
		l, _ := q.List(ctx)
		n := 0
		for _, m := range l {
			for _, r := range m.Recipients {
				if r.State == store.RcptDeferred {
					n++
				}
			}
		}
		return n == 3
	})
	if err := q.Bounce(ctx, r1.QueueID); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Get(ctx, r1.QueueID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bounced message still queued: %v", err)
	}
	b := e.aliceBounces()
	if len(b) != 1 {
		t.Fatalf("%d DSNs", len(b))
	}
	d := parseDSN(t, b[0])
	if len(d.recipients) != 2 {
		t.Fatalf("%d DSN blocks", len(d.recipients))
	}
	if h := d.rcpt(t, "b@remote.test"); h.Get("Action") != "failed" || h.Get("Status") != "5.0.0" {
		t.Fatalf("block %v", h)
	}
	if err := q.Delete(ctx, r2.QueueID); err != nil {
		t.Fatal(err)
	}
	if !queueEmpty(t, e.st)() || len(e.aliceBounces()) != 1 {
		t.Fatal("delete left something or bounced")
	}
	if err := q.Delete(ctx, r2.QueueID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

// Submit bounces a local recipient whose quota filled between RCPT and
// the commit; the other recipients get the message.
func TestSubmitBouncesOverQuota(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.st.AddUser(ctx, "full@local.test", "pw"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetQuota(ctx, "full@local.test", store.Quota{MaxBytes: 10}); err != nil {
		t.Fatal(err)
	}
	q := New(e.st, e.opts(25))
	res := submit(t, q, "alice@local.test", testBody, "full@local.test", "alice@local.test")
	if res.Local != 1 || len(res.Failed) != 1 || !errors.Is(res.Failed[0].Err, store.ErrOverQuota) {
		t.Fatalf("result %+v", res)
	}
	b := e.aliceBounces()
	if len(b) != 2 { // the message itself and the DSN
		t.Fatalf("alice has %d messages", len(b))
	}
	h := parseDSN(t, b[1]).rcpt(t, "full@local.test")
	if h.Get("Status") != "5.2.2" || h.Get("Action") != "failed" {
		t.Fatalf("DSN block %v", h)
	}
	// No bounce for the null sender.
	res = submit(t, q, "", testBody, "full@local.test", "alice@local.test")
	if len(res.Failed) != 1 || len(e.aliceBounces()) != 3 {
		t.Fatalf("null sender: %+v, %d messages", res, len(e.aliceBounces()))
	}
	// Nor when nothing was stored: the SMTP client gets the error.
	res = submit(t, q, "alice@local.test", testBody, "full@local.test")
	if len(res.Failed) != 1 || res.Local != 0 || len(e.aliceBounces()) != 3 {
		t.Fatalf("all failed: %+v, %d messages", res, len(e.aliceBounces()))
	}
}

func TestRetryDelayTable(t *testing.T) {
	m := time.Minute
	for _, c := range []struct {
		n      int
		jitter float64
		want   time.Duration
	}{
		{1, 0.5, 5 * m}, {2, 0.5, 10 * m}, {3, 0.5, 20 * m}, {4, 0.5, 40 * m},
		{5, 0.5, 60 * m}, {6, 0.5, 60 * m}, {200, 0.5, 60 * m}, // capped, no overflow
		{1, 0, 4*m + 30*time.Second}, {1, 0.999999, 5*m + 30*time.Second}, // ±10%
		{0, 0.5, 5 * m},
	} {
		got := retryDelay(c.n, 5*m, time.Hour, c.jitter)
		if d := got - c.want; d < -time.Second || d > time.Second {
			t.Errorf("retryDelay(%d, jitter %v) = %v, want %v", c.n, c.jitter, got, c.want)
		}
	}
}

func TestNextAttemptStopsAtExpiry(t *testing.T) {
	q := New(nil, Options{RetryInitial: time.Hour, RetryMax: time.Hour})
	now := time.Now()
	if got := q.nextAttempt(now, 1, now.Add(time.Minute)); !got.Equal(now.Add(time.Minute)) {
		t.Fatalf("next attempt %v after expiry", got.Sub(now))
	}
	if got := q.nextAttempt(now, 1, now.Add(-time.Minute)); !got.After(now) {
		t.Fatal("an expired recipient must still get a (last) attempt in the future")
	}
}
