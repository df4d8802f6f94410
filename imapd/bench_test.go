package imapd

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// benchMessages is the mailbox size of the FETCH/SEARCH/STORE benchmarks.
const benchMessages = 10000

// loadMailbox fills alice's INBOX with n messages of about 10 KiB,
// delivered concurrently so that they share group commits.
func loadMailbox(tb testing.TB, e *testEnv, n int) {
	tb.Helper()
	filler := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit sed do.\r\n", 150)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 64; w++ {
		wg.Go(func() {
			for i := range next {
				msg := fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: alice@example.test\r\nSubject: message %d\r\n"+
					"Date: Mon, 02 Jan 2006 15:04:05 -0700\r\nMessage-ID: <m%d@example.org>\r\n\r\n%s", i%50, i%50, i, i, filler)
				if _, err := e.st.Submit(context.Background(), &store.Submission{
					Body: store.NewBody([]byte(msg)), Local: []store.LocalDelivery{{UserID: e.alice.ID}},
				}); err != nil {
					tb.Error(err)
				}
			}
		})
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// BenchmarkMailbox10k measures whole-mailbox commands on 10,000 messages
// over a loopback connection (one op = one command over the whole mailbox;
// msg/s is derived from it).
func BenchmarkMailbox10k(b *testing.B) {
	e := newTestEnv(b)
	loadMailbox(b, e, benchMessages)
	rc := e.rawLogin("alice@example.test")
	rc.t = b
	rc.ok("SELECT INBOX")
	run := func(name, cmd string, wantLines int) {
		b.Run(name, func(b *testing.B) {
			rc.t = b
			for b.Loop() {
				u := rc.ok(cmd)
				if wantLines >= 0 && len(u) != wantLines {
					b.Fatalf("%s: %d responses", cmd, len(u))
				}
			}
			b.ReportMetric(float64(benchMessages)*float64(b.N)/b.Elapsed().Seconds(), "msg/s")
		})
	}
	run("uid-fetch-flags", "UID FETCH 1:* (FLAGS)", benchMessages)
	run("uid-fetch-headers", "UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])", benchMessages)
	run("uid-fetch-envelope", "UID FETCH 1:* (ENVELOPE BODYSTRUCTURE)", benchMessages)
	run("uid-fetch-body", "UID FETCH 1:* (BODY.PEEK[])", benchMessages)
	run("search-flags", "SEARCH UNSEEN UNDELETED", 1)
	run("search-header", "SEARCH FROM s7@", 1)
	run("search-body", "SEARCH BODY nonexistent-word", 1)
	run("store-flags", `STORE 1:* FLAGS.SILENT (\Seen $Bench)`, 0)
}

// BenchmarkIdleMemory reports the heap held per logged-in IDLE connection
// with INBOX selected (server side and client sockets in one process).
func BenchmarkIdleMemory(b *testing.B) {
	const conns = 1000
	e := newTestEnv(b, func(o *Options) { o.MaxConnections, o.MaxConnectionsPerUser = 2*conns, 2*conns })
	loadMailbox(b, e, 100)
	for b.Loop() {
		before := heapInUse()
		var rcs []*rawConn
		for i := 0; i < conns; i++ {
			rc := e.rawLogin("alice@example.test")
			rc.t = b
			rc.ok("SELECT INBOX")
			rc.tag++
			fmt.Fprintf(rc.c, "I%d IDLE\r\n", rc.tag)
			rc.readLine() // "+ idling"
			rcs = append(rcs, rc)
		}
		after := heapInUse()
		b.ReportMetric(float64(after-before)/conns, "heap-B/conn")
		for _, rc := range rcs {
			rc.c.Close()
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkMailbox100k measures SELECT and a full flag resync, UID FETCH
// 1:* (FLAGS), of a 100,000-message INBOX whose last 10 messages are
// unseen (so SELECT computes its UNSEEN hint), over a loopback connection
// (one op = one command; issue 7 asks for < 100 ms and < 1 s). Allocations
// per op include the benchmark's own client reading 100,000 lines.
func BenchmarkMailbox100k(b *testing.B) {
	const n, perSubmit = 100000, 100
	e := newTestEnv(b)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			for i := range next {
				local := make([]store.LocalDelivery, perSubmit)
				for k := range local {
					local[k] = store.LocalDelivery{UserID: e.alice.ID}
				}
				if _, err := e.st.Submit(context.Background(), &store.Submission{
					Body: store.NewBody([]byte(testMessage(i))), Local: local,
				}); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for i := 0; i < n/perSubmit; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	rc := e.rawLogin("alice@example.test")
	rc.t = b
	if u := rc.ok("SELECT INBOX"); len(grep(u, fmt.Sprintf("* %d EXISTS", n))) != 1 {
		b.Fatalf("SELECT: %q", u)
	}
	rc.ok(fmt.Sprintf(`STORE 1:%d +FLAGS.SILENT (\Seen)`, n-10))
	b.Run("select", func(b *testing.B) {
		rc.t = b
		b.ReportAllocs()
		for b.Loop() {
			if u := rc.ok("SELECT INBOX"); len(grep(u, fmt.Sprintf("[UNSEEN %d]", n-9))) != 1 {
				b.Fatalf("SELECT: %q", u)
			}
		}
	})
	b.Run("uid-fetch-flags", func(b *testing.B) {
		rc.t = b
		b.ReportAllocs()
		for b.Loop() {
			if u := rc.ok("UID FETCH 1:* (FLAGS)"); len(u) != n {
				b.Fatalf("%d responses", len(u))
			}
		}
	})
}

// BenchmarkAppend measures APPEND of a 10 KiB message on one loopback
// connection (one op = one APPEND, acknowledged after its durable commit;
// the literal and the CRLF ending the command are sent in two writes, as
// Python's imaplib does).
func BenchmarkAppend(b *testing.B) {
	e := newTestEnv(b)
	rc := e.rawLogin("alice@example.test")
	rc.t = b
	msg := testMessage(1) + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit sed do.\r\n", 155)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		rc.tag++
		fmt.Fprintf(rc.c, "A%d APPEND INBOX {%d}\r\n", rc.tag, len(msg))
		if l := rc.readLine(); !strings.HasPrefix(l, "+") {
			b.Fatalf("APPEND: %s", l)
		}
		rc.c.Write([]byte(msg))
		rc.c.Write([]byte("\r\n"))
		if l := rc.readLine(); !strings.HasPrefix(l, fmt.Sprintf("A%d OK", rc.tag)) {
			b.Fatalf("APPEND: %s", l)
		}
	}
}

// BenchmarkAppendSelected is BenchmarkAppend by a session that has the
// mailbox selected: each APPEND is followed by its EXISTS (and, for this
// IMAP4rev1 session, the RECENT it claims: one more store transaction).
func BenchmarkAppendSelected(b *testing.B) {
	e := newTestEnv(b)
	rc := e.rawLogin("alice@example.test")
	rc.t = b
	rc.ok("SELECT INBOX")
	msg := testMessage(1) + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit sed do.\r\n", 155)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if tagged := rc.cmdLiteral("APPEND INBOX ", []byte(msg), ""); !strings.HasPrefix(tagged, "OK") {
			b.Fatalf("APPEND: %s", tagged)
		}
	}
}
