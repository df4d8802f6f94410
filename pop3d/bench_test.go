package pop3d

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// benchMessage is a message of exactly size octets with 72-octet lines.
func benchMessage(i, size int) []byte {
	msg := []byte(fmt.Sprintf("From: user%d@example.test\r\nSubject: bench %d\r\n\r\n", i%50, i))
	line := strings.Repeat("lorem ipsum dolor sit amet mail server bench ", 2)[:70] + "\r\n"
	for len(msg) < size {
		msg = append(msg, line...)
	}
	msg = msg[:size]
	msg[size-2], msg[size-1] = '\r', '\n'
	return msg
}

// loadInbox appends n messages of size octets to alice's INBOX, from
// several goroutines so that the store's group commit shares fsyncs.
func loadInbox(tb testing.TB, e *testEnv, n, size int) {
	tb.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				if _, err := e.st.Append(context.Background(), e.users[alice].ID, "INBOX", store.NewBody(benchMessage(i, size)), store.AppendOptions{}); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// retrAll reads a multi-line response to its end and returns its length.
func (c *client) retrAll(cmd string) int {
	c.send(cmd)
	if l := c.readLine(); !strings.HasPrefix(l, "+OK") {
		c.t.Fatalf("%s: %q", cmd, l)
	}
	n := 0
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			c.t.Fatal(err)
		}
		if bytes.Equal(line, []byte(".\r\n")) {
			return n
		}
		n += len(line)
	}
}

// BenchmarkRetr measures RETR of 10 KiB messages over loopback, one
// round trip per message as POP3 clients do (pop3-fetch's workload).
func BenchmarkRetr(b *testing.B) {
	const n, size = 500, 10240
	e := newEnv(b, nil)
	loadInbox(b, e, n, size)
	c := dial(b, e.addr)
	c.login(alice)
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		if got := c.retrAll(fmt.Sprintf("RETR %d", i%n+1)); got != size {
			b.Fatalf("RETR: %d octets", got)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkRetrLarge measures streaming one 8 MiB message.
func BenchmarkRetrLarge(b *testing.B) {
	const size = 8 << 20
	e := newEnv(b, nil)
	e.deliver(alice, string(benchMessage(0, size)))
	c := dial(b, e.addr)
	c.login(alice)
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		if got := c.retrAll("RETR 1"); got != size {
			b.Fatalf("RETR: %d octets", got)
		}
	}
}

// BenchmarkLoginList measures a session start on a 2000-message maildrop:
// login (snapshot) and LIST, where each size needs the body's last octets.
func BenchmarkLoginList(b *testing.B) {
	const n = 2000
	e := newEnv(b, nil)
	loadInbox(b, e, n, 1024)
	b.ResetTimer()
	for range b.N {
		c := dial(b, e.addr)
		c.login(alice)
		if _, l := c.multi("LIST"); len(l) != n {
			b.Fatalf("LIST: %d lines", len(l))
		}
		c.expectOK("QUIT")
		c.conn.Close()
	}
}
