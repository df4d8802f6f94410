package smtpd

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// withFastPath sets the DATA fast path on or off (the guard's verdict,
// less the fast path), for benchmarks of both.
func withFastPath(on bool) func(*Options) {
	h := goSMTPGuard()
	if !on {
		h.fast = nil
	}
	return func(o *Options) { o.hooks = &h }
}

// BenchmarkAccept measures acceptance over port 25 of 10 KiB and 64 KiB
// messages to a local recipient (each one fsync'd into the INBOX before its
// 250), with 1 and 50 concurrent connections, each sending messages back
// to back, with and without the DATA fast path (dotreader.go).
func BenchmarkAccept(b *testing.B) {
	for _, size := range []int{10, 64} {
		for _, conns := range []int{1, 50} {
			for _, fast := range []bool{true, false} {
				b.Run(fmt.Sprintf("conns=%d/%dKiB/fast=%v", conns, size, fast), func(b *testing.B) {
					benchAccept(b, size<<10, conns, fast)
				})
			}
		}
	}
}

func benchAccept(b *testing.B, size, conns int, fast bool) {
	body := "Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 78)+"\r\n", size/80)
	e := newTestEnv(b, withFastPath(fast))
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
}

// BenchmarkSMTPSource measures acceptance as the shared bench's smtp-accept
// does: Postfix's smtp-source sends b.N messages to a local recipient with
// a new TCP connection per message, from 1, 20 and 100 concurrent sessions,
// for 1 KiB and 64 KiB payloads, with and without the DATA fast path; each
// message is fsync'd into the INBOX before its 250. It is the load to
// profile acceptance under
// (go test -bench SMTPSource -benchtime 2000x -cpuprofile ... ./smtpd/).
// It needs smtp-source (Debian package postfix).
func BenchmarkSMTPSource(b *testing.B) {
	source, err := exec.LookPath("smtp-source")
	if err != nil {
		b.Skip("smtp-source not installed (Debian package postfix)")
	}
	for _, size := range []int{1024, 65536} {
		for _, conc := range []int{1, 20, 100} {
			for _, fast := range []bool{true, false} {
				b.Run(fmt.Sprintf("size=%d/conc=%d/fast=%v", size, conc, fast), func(b *testing.B) {
					e := newTestEnv(b, withFastPath(fast))
					b.SetBytes(int64(size))
					b.ResetTimer()
					out, err := exec.Command(source, "-s", strconv.Itoa(conc), "-m", strconv.Itoa(b.N),
						"-l", strconv.Itoa(size), "-f", "from@remote.test", "-t", "alice@example.test", e.mx).CombinedOutput()
					if err != nil {
						b.Fatalf("smtp-source: %v\n%s", err, out)
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
				})
			}
		}
	}
}
