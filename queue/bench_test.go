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

// BenchmarkSubmit measures Queue.Submit alone (no delivery running): a
// 10 KiB message routed and stored durably, either into a local mailbox
// (with its Return-Path) or as an outbound queue entry, from 1 and 16
// goroutines (the store's group commit shares the fsyncs between them).
// Each Submit returns after its commit is on disk.
func BenchmarkSubmit(b *testing.B) {
	body := []byte("From: alice@local.test\r\nTo: x@remote.test\r\nSubject: bench\r\n\r\n" +
		strings.Repeat(strings.Repeat("x", 78)+"\r\n", 10<<10/80))
	for _, c := range []struct {
		name, rcpt string
		par        int
	}{
		{"local/1", "alice@local.test", 1},
		{"local/16", "alice@local.test", 16},
		{"remote/16", "x@remote.test", 16},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b)
			q := New(e.st, Options{Hostname: "mx.local.test"})
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			var wg sync.WaitGroup
			next := make(chan struct{})
			for range c.par {
				wg.Go(func() {
					for range next {
						env := &Envelope{From: "bob@remote.test", Recipients: []Recipient{{Address: c.rcpt}}}
						if _, err := q.Submit(context.Background(), env, store.NewBody(body)); err != nil {
							b.Error(err)
						}
					}
				})
			}
			for range b.N {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
		})
	}
}
