package smtpd

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
)

// counterValue gathers reg and returns the counter name{labels}, with
// labels as name=value pairs in label-name order; -1 if there is none.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for i, lp := range m.GetLabel() {
				if lp.GetName()+"="+lp.GetValue() != labels[i] {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

// TestTransactionMetrics: over real sockets, an accepted message on 25, a
// refused one on 587 (a From: the user does not own) and a transfer the
// client abandons are counted by listener, outcome and reply class; the
// accepted message's size is counted too.
func TestTransactionMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) { o.Metrics = m; o.isLoopback = notLoopback })

	msg := message("bob@remote.test", "alice@example.test", "counted")
	if err := send(e.dialMX(), "bob@remote.test", []string{"alice@example.test"}, msg); err != nil {
		t.Fatal(err)
	}
	c := e.dialSubmission("alice@example.test", alicePass)
	if err := send(c, "alice@example.test", []string{"bob@example.test"}, message("bob@example.test", "bob@example.test", "forged")); smtpCode(err) != 550 {
		t.Fatalf("a From: alice does not own: %v, want 550", err)
	}
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<bob@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.write("Subject: cut short\r\n\r\nhalf a mess")
	rc.c.Close()

	aborted := func() float64 {
		return counterValue(t, reg, "mailserver_smtp_transactions_total", "class=4xx", "listener=smtp", "outcome=aborted")
	}
	// The server notices the closed connection on its own time.
	for deadline := time.Now().Add(10 * time.Second); aborted() < 1 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"class=2xx", "listener=smtp", "outcome=accepted"}, 1},
		{[]string{"class=5xx", "listener=submission", "outcome=rejected"}, 1},
		{[]string{"class=4xx", "listener=smtp", "outcome=aborted"}, 1},
		{[]string{"class=2xx", "listener=submission", "outcome=accepted"}, 0},
		{[]string{"class=4xx", "listener=smtp", "outcome=error"}, 0},
	} {
		if v := counterValue(t, reg, "mailserver_smtp_transactions_total", c.labels...); v != c.want {
			t.Errorf("mailserver_smtp_transactions_total%v = %v, want %v", c.labels, v, c.want)
		}
	}
	if v := counterValue(t, reg, "mailserver_smtp_messages_accepted_total", "listener=smtp"); v != 1 {
		t.Errorf("messages accepted on smtp: %v, want 1", v)
	}
	// The stored size includes the Received: field added on top.
	if v := counterValue(t, reg, "mailserver_smtp_accepted_bytes_total", "listener=smtp"); v <= float64(len(msg)) {
		t.Errorf("bytes accepted %v, want more than the %d sent", v, len(msg))
	}
}

// TestTxOutcome: what Data returns maps onto an outcome and its class.
func TestTxOutcome(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, txAccepted},
		{errOverQuota, txRejected4xx},
		{errSPFTemp, txRejected4xx},
		{errTooLarge, txRejected5xx},
		{errDMARCReject, txRejected5xx},
		{errAborted, txAborted},
		{errDataTimeout, txAborted},
		{errTemporary, txError},
		{errShuttingDown, txError},
	} {
		if got := txOutcome(c.err); got != c.want {
			t.Errorf("%v: outcome %v, want %v", c.err, txLabels[got], txLabels[c.want])
		}
	}
}

// BenchmarkTransactionMetric is the cost the metrics add to one DATA
// transaction: classify its outcome and count it, and count the message
// and its size.
func BenchmarkTransactionMetric(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.transaction(ModeMX, nil)
		m.messageAccepted(ModeMX, 10<<10)
	}
}

// BenchmarkAcceptMetrics is BenchmarkAccept's 50-connection, 10 KiB case
// (fast path on) with the metrics off and on: the end-to-end cost of the
// hooks, lost in the noise of the fsyncs unless it is large.
func BenchmarkAcceptMetrics(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("metrics=%v", on), func(b *testing.B) {
			var m *Metrics
			if on {
				var err error
				if m, err = NewMetrics(prometheus.NewRegistry()); err != nil {
					b.Fatal(err)
				}
			}
			fast := withFastPath(true)
			e := newTestEnv(b, func(o *Options) { fast(o); o.Metrics = m })
			body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", (10<<10)/80)
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			start := time.Now()
			for range 50 {
				wg.Go(func() {
					c, err := smtp.Dial(e.mx)
					if err != nil {
						errs <- err
						return
					}
					defer c.Close()
					for next.Add(1) <= int64(b.N) {
						if err := send(c, "bench@remote.test", []string{"alice@example.test"}, body); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
		})
	}
}
