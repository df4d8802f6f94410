package queue

import (
	"fmt"
	"testing"
	"time"
)

// TestStalePooledSessions: the remote server restarts while several
// sessions to it wait in the pool (all of them now closed by the peer).
// Every message is still delivered, over fresh sessions: none is lost or
// left without an outcome.
func TestStalePooledSessions(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	o := e.opts(port)
	o.IdleTimeout = time.Minute // the stale sessions stay pooled
	o.PerDomainConcurrency = 4
	rs[0].setData(func() error { time.Sleep(20 * time.Millisecond); return nil }) // overlap: several sessions
	q := New(e.st, o)
	run(t, q)
	const n = 8
	for i := range n {
		submit(t, q, "alice@local.test", testBody, fmt.Sprintf("first%d@remote.test", i))
	}
	waitFor(t, "first batch delivered", queueEmpty(t, e.st))
	if got := q.pool.idleCount("remote.test"); got < 2 {
		t.Fatalf("%d sessions pooled, want several", got)
	}
	rs[0].srv.Close() // closes the pooled sessions' server side
	again := startRemoteAt(t, "127.0.0.2", port)
	for i := range n {
		submit(t, q, "alice@local.test", testBody, fmt.Sprintf("second%d@remote.test", i))
	}
	waitFor(t, "second batch delivered", func() bool { return len(again.transactions()) == n })
	waitFor(t, "queue empty", queueEmpty(t, e.st))
}

// idleCount is the number of idle sessions pooled for dest.
func (p *connPool) idleCount(dest string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns[dest])
}
