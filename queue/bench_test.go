package queue

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// BenchmarkDeliverMX measures outbound throughput: b.N messages of 10 KiB
// submitted (8 submitters) to a remote domain whose MX is a go-smtp sink on
// loopback, timed from the first submission to the last acceptance by
// the sink. It reports messages per second.
func BenchmarkDeliverMX(b *testing.B) {
	for _, per := range []int{DefaultPerDomainConcurrency, 16} {
		b.Run(fmt.Sprintf("per_domain=%d", per), func(b *testing.B) { benchDeliver(b, per) })
	}
}

func benchDeliver(b *testing.B, perDomain int) {
	e := newEnv(b)
	rs, port := startRemotes(b, remoteOpts{}, "127.0.0.2")
	rs[0].discard = true
	e.dns.add(b, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(b, "mx.remote.test. A 127.0.0.2")
	o := e.opts(port)
	o.Logger = nil
	o.PerDomainConcurrency = perDomain
	q := New(e.st, o)
	run(b, q)
	body := []byte("From: alice@local.test\r\nTo: x@remote.test\r\nSubject: bench\r\n\r\n" +
		strings.Repeat(strings.Repeat("x", 78)+"\r\n", 10<<10/80))
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				env := &Envelope{From: "alice@local.test", Recipients: []Recipient{{Address: fmt.Sprintf("r%d@remote.test", i)}}}
				if _, err := q.Submit(context.Background(), env, store.NewBody(body)); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	for {
		rs[0].mu.Lock()
		n := rs[0].count
		rs[0].mu.Unlock()
		if n >= b.N {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
