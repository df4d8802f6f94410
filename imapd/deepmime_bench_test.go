package imapd

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deepMIME is a message of depth nested multipart/mixed levels, the CPU
// bomb of issue 10 item 4 (10,000 levels make about 727 KB).
func deepMIME(depth int) string {
	var sb strings.Builder
	sb.WriteString("From: a@example.org\r\nTo: alice@example.test\r\nSubject: deep\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&sb, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	sb.WriteString("Content-Type: text/plain\r\n\r\nthe bottom\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&sb, "--b%d--\r\n", i)
	}
	return sb.String()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDeepMIMEFetch measures the server's CPU time for FETCH
// BODYSTRUCTURE and FETCH ENVELOPE of a 10,000-level nested message over
// a loopback connection: "first" on a body never fetched before (parse and
// cache), "again" on one already fetched (the cached result).
func BenchmarkDeepMIMEFetch(b *testing.B) {
	msg := deepMIME(10000)
	for _, item := range []string{"BODYSTRUCTURE", "ENVELOPE"} {
		b.Run(item+"/first", func(b *testing.B) {
			e := newTestEnv(b)
			rc := e.rawLogin("alice@example.test")
			rc.timeout = 10 * time.Minute
			var cpu time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				e.deliver(e.alice, msg)
				rc.ok("SELECT INBOX")
				b.StartTimer()
				c0 := cpuTime()
				rc.ok(fmt.Sprintf("FETCH %d %s", i+1, item))
				cpu += cpuTime() - c0
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(len(msg)), "msg-bytes")
		})
		b.Run(item+"/again", func(b *testing.B) {
			e := newTestEnv(b)
			e.deliver(e.alice, msg)
			rc := e.rawLogin("alice@example.test")
			rc.timeout = 10 * time.Minute
			rc.ok("SELECT INBOX")
			rc.ok("FETCH 1 " + item)
			var cpu time.Duration
			for b.Loop() {
				c0 := cpuTime()
				rc.ok("FETCH 1 " + item)
				cpu += cpuTime() - c0
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
