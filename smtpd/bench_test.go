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

// BenchmarkSMTPSource measures acceptance as the shared bench's smtp-accept
// does: Postfix's smtp-source sends b.N messages to a local recipient with
// a new TCP connection per message, from 1, 20 and 100 concurrent sessions,
// for 1 KiB and 64 KiB payloads; each message is fsync'd into the INBOX
// before its 250. It is the load to profile acceptance under
// (go test -bench SMTPSource -benchtime 2000x -cpuprofile ... ./smtpd/).
// It needs smtp-source (Debian package postfix).
func BenchmarkSMTPSource(b *testing.B) {
	source, err := exec.LookPath("smtp-source")
	if err != nil {
		b.Skip("smtp-source not installed (Debian package postfix)")
	}
	for _, size := range []int{1024, 65536} {
		for _, conc := range []int{1, 20, 100} {
			b.Run(fmt.Sprintf("size=%d/conc=%d", size, conc), func(b *testing.B) {
				e := newTestEnv(b, nil)
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
