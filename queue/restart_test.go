package queue

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// reopen closes the store and opens it again, as a restart does.
func (e *testEnv) reopen() {
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func TestRestartResumes(t *testing.T) {
	e := newEnv(t)
	port := freePort(t, "127.0.0.3")
	e.dns.add(t, "remote.test. A 127.0.0.3")
	o := e.opts(port)
	o.RetryInitial, o.RetryMax = 300*time.Millisecond, 300*time.Millisecond

	// One message tried (remote down) and one never tried (no scheduler).
	q := New(e.st, o)
	stop := run(t, q)
	tried := submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "a deferral", func() bool {
		m, err := e.st.QueueGet(context.Background(), tried.QueueID)
		return err == nil && m.Recipients[0].State == store.RcptDeferred
	})
	stop()
	untried := submit(t, New(e.st, o), "alice@local.test", testBody, "b@remote.test")

	e.reopen()
	rm := startRemoteAt(t, "127.0.0.3", port)
	q = New(e.st, o)
	run(t, q)
	waitFor(t, "delivery after the restart", queueEmpty(t, e.st))
	var to []string
	for _, tx := range rm.transactions() {
		to = append(to, tx.to...)
	}
	if len(to) != 2 || tried.QueueID == untried.QueueID {
		t.Fatalf("delivered to %v", to)
	}
}

// TestCrashDuringBurst submits 1,000 messages (each to a local and a
// remote recipient) in a child process that is SIGKILLed while it
// delivers them; a new queue over the same database must then deliver
// every acknowledged message, and the local mailbox must hold each one
// exactly once.
func TestCrashDuringBurst(t *testing.T) {
	if os.Getenv("QUEUE_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	// queued: all 1,000 are acknowledged before delivery starts (the
	// start-up scan finds them); submitting: the scheduler runs while
	// they are submitted (Submit hands them over), and the kill may also
	// interrupt submissions.
	for _, mode := range []string{"queued", "submitting"} {
		t.Run(mode, func(t *testing.T) { testCrash(t, mode) })
	}
}

func testCrash(t *testing.T, mode string) {
	const n = 1000
	e := newEnv(t)
	ctx := context.Background()
	bob, err := e.st.AddUser(ctx, "bob@local.test", "pw")
	if err != nil {
		t.Fatal(err)
	}
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	rs[0].delay = time.Millisecond
	e.dns.add(t, "remote.test. A 127.0.0.2")
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringBurst$")
	cmd.Env = append(os.Environ(), "QUEUE_CRASH_CHILD="+mode, "QUEUE_CRASH_DB="+e.path,
		"QUEUE_CRASH_DNS="+e.dns.addr, "QUEUE_CRASH_PORT="+strconv.Itoa(port), "QUEUE_CRASH_N="+strconv.Itoa(n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int]bool{}
	var mu sync.Mutex
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if i, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
				v, _ := strconv.Atoi(i)
				mu.Lock()
				acked[v] = true
				mu.Unlock()
			}
		}
	}()
	// Kill in the middle of the deliveries.
	waitFor(t, "deliveries to begin", func() bool { return len(rs[0].transactions()) >= n/10 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	<-readDone
	atKill := len(rs[0].transactions())
	mu.Lock()
	nAcked := len(acked)
	mu.Unlock()
	if mode == "queued" && nAcked != n {
		t.Fatalf("only %d of %d submissions acknowledged before the kill", nAcked, n)
	}
	t.Logf("killed after %d acknowledged submissions and %d remote deliveries", nAcked, atKill)

	e.open()
	o := e.opts(port)
	o.Logger = nil // 1,000 lines of log are no help
	q := New(e.st, o)
	run(t, q)
	deadline := time.Now().Add(60 * time.Second)
	for !queueEmpty(t, e.st)() {
		if time.Now().After(deadline) {
			t.Fatal("queue not empty after 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	seq := regexp.MustCompile(`X-Seq: (\d+)`)
	remoteCount := map[int]int{}
	for _, tx := range rs[0].transactions() {
		m := seq.FindSubmatch(tx.data)
		v, _ := strconv.Atoi(string(m[1]))
		remoteCount[v]++
	}
	localCount := map[int]int{}
	for _, b := range inbox(t, e.st, bob) {
		m := seq.FindSubmatch(b)
		v, _ := strconv.Atoi(string(m[1]))
		localCount[v]++
	}
	dups := 0
	for i := range n {
		if remoteCount[i] > 1 {
			dups += remoteCount[i] - 1
		}
		if localCount[i] > 1 {
			t.Errorf("message %d is %d times in the local mailbox", i, localCount[i])
		}
		if acked[i] && (remoteCount[i] == 0 || localCount[i] == 0) {
			t.Errorf("acknowledged message %d: %d remote, %d local copies", i, remoteCount[i], localCount[i])
		}
		if localCount[i] != min(remoteCount[i], 1) {
			t.Errorf("message %d: %d remote, %d local copies (the commit stores both or neither)", i, remoteCount[i], localCount[i])
		}
	}
	t.Logf("all %d acknowledged messages delivered; %d remote duplicates (deliveries in flight at the kill)", nAcked, dups)
	if dups > DefaultPerDomainConcurrency {
		t.Errorf("%d duplicates: more than the deliveries that can be in flight", dups)
	}
}

// crashChild is the process TestCrashDuringBurst kills: it runs the queue
// and submits messages concurrently, printing "ok N" for each submission
// acknowledged (Submit returned, so committed).
func crashChild() {
	fail := func(err error) { fmt.Fprintln(os.Stderr, "child:", err); os.Exit(2) }
	st, err := store.Open(os.Getenv("QUEUE_CRASH_DB"), nil)
	if err != nil {
		fail(err)
	}
	port, _ := strconv.Atoi(os.Getenv("QUEUE_CRASH_PORT"))
	n, _ := strconv.Atoi(os.Getenv("QUEUE_CRASH_N"))
	q := New(st, Options{
		Hostname: "mx.local.test", Resolver: NewResolver(os.Getenv("QUEUE_CRASH_DNS")), RemotePort: port,
		RetryInitial: 100 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	})
	queued := os.Getenv("QUEUE_CRASH_CHILD") == "queued"
	if !queued {
		go q.Run(context.Background())
	}
	var outMu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				body := fmt.Sprintf("From: alice@local.test\r\nSubject: burst\r\nX-Seq: %d\r\n\r\nmessage %d\r\n", i, i)
				env := &Envelope{From: "alice@local.test", Recipients: []Recipient{{Address: "bob@local.test"}, {Address: "x@remote.test"}}}
				if _, err := q.Submit(context.Background(), env, store.NewBody([]byte(body))); err != nil {
					fail(err)
				}
				outMu.Lock()
				fmt.Fprintf(w, "ok %d\n", i)
				w.Flush()
				outMu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if queued {
		go q.Run(context.Background())
	}
	select {} // until killed
}
