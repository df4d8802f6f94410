package smtpd

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// BenchmarkAccept measures acceptance over port 25 of 10 KiB messages to a
// local recipient (each one fsync'd into the INBOX before its 250), with 1
// and 50 concurrent connections, each sending messages back to back.
func BenchmarkAccept(b *testing.B) {
	body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 10240/80)
	for _, conns := range []int{1, 50} {
		b.Run(fmt.Sprintf("conns=%d/10KiB", conns), func(b *testing.B) {
			e := newTestEnv(b, nil)
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, conns)
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			start := time.Now()
			for range conns {
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
