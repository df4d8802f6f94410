package store

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkDeliver measures durable local delivery of 10 KiB messages
// (store.Submit into one INBOX, each call returning after its fsync'd
// commit) by 1 and by 32 concurrent goroutines. With group commit the
// 32-goroutine figure is many times the single one: the goroutines share
// commits instead of each paying two fdatasyncs.
func BenchmarkDeliver(b *testing.B) {
	for _, workers := range []int{1, 32} {
		b.Run(fmt.Sprintf("goroutines=%d", workers), func(b *testing.B) {
			s := openTest(b)
			u := mustUser(b, s, "alice@example.test")
			payload := append([]byte("Subject: bench\r\n\r\n"), bytes.Repeat([]byte("0123456789abcde\n"), 640)...)
			commits := s.commits.Load()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(int64(len(payload)))
			b.ResetTimer()
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						res, err := s.Submit(ctx, &Submission{Body: NewBody(payload), Local: []LocalDelivery{{UserID: u.ID}}})
						if err != nil || res.Local[0].Err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(b.N)/float64(s.commits.Load()-commits), "msgs/commit")
		})
	}
}
