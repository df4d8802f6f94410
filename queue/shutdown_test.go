package queue

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// logBuffer keeps the queue's log lines for a test to read (and passes
// them to the test log).
type logBuffer struct {
	t  testing.TB
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b.Write(p)
	l.mu.Unlock()
	l.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// slowData makes r stop before answering the final dot of DATA: it
// signals entered, then waits for release and answers with reply (nil:
// 250, and the transaction is kept).
func slowData(r *remote, reply error) (entered <-chan struct{}, release func()) {
	in := make(chan struct{}, 16)
	gate := make(chan struct{})
	r.setData(func() error {
		in <- struct{}{}
		<-gate
		return reply
	})
	var once sync.Once
	return in, func() { once.Do(func() { close(gate) }) }
}

// runQueue starts q.Run and returns its cancel and a channel closed when
// Run has returned.
func runQueue(t *testing.T, q *Queue) (cancel context.CancelFunc, done <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan struct{})
	go func() {
		if err := q.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
		close(d)
	}()
	t.Cleanup(func() { cancel(); <-d })
	return cancel, d
}

// TestShutdownFinishesDeliveryInFlight: a delivery whose remote is slow
// to answer the final dot when the queue is told to stop finishes within
// the shutdown timeout and is recorded as delivered.
func TestShutdownFinishesDeliveryInFlight(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	entered, release := slowData(rs[0], nil)
	defer release()
	logs := &logBuffer{t: t}
	o := e.opts(port)
	o.Logger = logs.logger()
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour
	o.ShutdownTimeout = time.Hour // enough: the test releases the remote
	q := New(e.st, o)
	cancel, done := runQueue(t, q)
	res := submit(t, q, "alice@local.test", testBody, "bob@remote.test")
	<-entered

	cancel() // SIGTERM
	// The scheduler is now waiting for the delivery (or, if it cut the
	// connection, has returned already).
	waitFor(t, "shutdown to begin", func() bool {
		select {
		case <-done:
			return true
		default:
			return strings.Contains(logs.String(), "waiting for deliveries in flight")
		}
	})
	release() // the remote answers 250
	<-done

	if _, err := e.st.QueueGet(context.Background(), res.QueueID); err == nil {
		m, _ := e.st.QueueGet(context.Background(), res.QueueID)
		t.Fatalf("still queued after a graceful shutdown: %+v", m.Recipients)
	}
	if !strings.Contains(logs.String(), "status=sent") {
		t.Fatalf("no status=sent line:\n%s", logs)
	}
	if tx := rs[0].transactions(); len(tx) != 1 {
		t.Fatalf("remote transactions: %+v", tx)
	}
}

// TestShutdownTimeoutLeavesDeliveryDue: a delivery that cannot finish
// within the shutdown timeout is cut and recorded as not attempted (due
// now, attempt count unchanged), and the next start delivers it at once,
// although the retry delay is an hour.
func TestShutdownTimeoutLeavesDeliveryDue(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	// The cut session's late answer is not kept: the remote's
	// transactions are then those the queue saw accepted.
	entered, release := slowData(rs[0], smtpErr(451, [3]int{4, 3, 0}, "too late"))
	logs := &logBuffer{t: t}
	o := e.opts(port)
	o.Logger = logs.logger()
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour
	o.ShutdownTimeout = time.Millisecond // too little: the remote never answers in time
	q := New(e.st, o)
	cancel, done := runQueue(t, q)
	res := submit(t, q, "alice@local.test", testBody, "bob@remote.test")
	<-entered
	cancel()
	<-done
	release() // let the cut session on the remote end

	m, err := e.st.QueueGet(context.Background(), res.QueueID)
	if err != nil {
		t.Fatalf("message gone after an interrupted delivery: %v", err)
	}
	r := m.Recipients[0]
	if !r.State.Pending() || r.Attempts != 0 || r.NextAttempt.After(time.Now()) || !r.LastAttempt.IsZero() {
		t.Fatalf("after an interrupted delivery: %+v; want pending, 0 attempts, due now", r)
	}

	// Restart: delivered at once, as the first attempt.
	rs[0].setData(nil)
	q2 := New(e.st, o)
	runQueue(t, q2)
	waitFor(t, "delivery after restart", queueEmpty(t, e.st))
	if n := len(rs[0].transactions()); n != 1 {
		t.Fatalf("remote has %d transactions after the restart, want 1", n)
	}
	if !strings.Contains(logs.String(), "status=sent") || !strings.Contains(logs.String(), "attempt=1 ") {
		t.Fatalf("no first-attempt status=sent line:\n%s", logs)
	}
}

// TestShutdownStartsNoSession: a job claimed while the queue stops opens
// no session; its recipient stays due with no attempt counted.
func TestShutdownStartsNoSession(t *testing.T) {
	e := newEnv(t)
	o := e.opts(freePort(t, "127.0.0.2"))
	q := New(e.st, o)
	res := submit(t, q, "alice@local.test", testBody, "bob@remote.test")
	stop, cancel := context.WithCancel(context.Background())
	cancel()
	outs := q.deliver(stop, context.Background(), "remote.test", &store.QueuedMessage{ID: res.QueueID},
		[]store.QueuedRecipient{{Address: "bob@remote.test"}})
	if len(outs) != 1 || !outs[0].interrupted {
		t.Fatalf("outcomes %+v, want one interrupted", outs)
	}
}
