package queue

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailserver/mailserver/store"
)

const testBody = "From: alice@local.test\r\nTo: x@remote.test\r\nSubject: hello\r\nMessage-Id: <1@local.test>\r\n\r\nbody line\r\n.leading dot\r\n"

// aliceBounces returns the DSNs in alice's INBOX.
func (e *testEnv) aliceBounces() [][]byte { return inbox(e.t, e.st, e.alice) }

func TestDeliverOneTransactionPerDomain(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	q := New(e.st, e.opts(port))
	run(t, q)
	res := submit(t, q, "alice@local.test", testBody, "a@remote.test", "b@remote.test", "c@Remote.test")
	if res.Remote != 3 {
		t.Fatalf("result %+v", res)
	}
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	txns := rs[0].transactions()
	if len(txns) != 1 {
		t.Fatalf("%d transactions, want 1", len(txns))
	}
	tx := txns[0]
	if tx.from != "alice@local.test" || !slices.Equal(tx.to, []string{"a@remote.test", "b@remote.test", "c@Remote.test"}) {
		t.Fatalf("envelope %q %q", tx.from, tx.to)
	}
	if string(tx.data) != testBody {
		t.Fatalf("message changed in transit:\n%q\nwant\n%q", tx.data, testBody)
	}
	if len(e.aliceBounces()) != 0 {
		t.Fatal("a DSN for a delivered message")
	}
}

func TestDeferThenDeliver(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	var tries atomic.Int32
	rs[0].setRcpt(func(string) error {
		if tries.Add(1) <= 2 {
			return smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "greylisted, try later")
		}
		return nil
	})
	q := New(e.st, e.opts(port))
	run(t, q)
	res := submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "a deferral", func() bool {
		m, err := e.st.QueueGet(context.Background(), res.QueueID)
		return err == nil && m.Recipients[0].State == store.RcptDeferred
	})
	m, _ := e.st.QueueGet(context.Background(), res.QueueID)
	if r := m.Recipients[0]; r.LastCode != 451 || r.LastEnhanced != "4.7.1" || !strings.Contains(r.LastError, "greylisted") || r.RemoteMTA != "mx.remote.test" {
		t.Fatalf("deferred recipient %+v", r)
	}
	waitFor(t, "delivery", queueEmpty(t, e.st))
	if n := len(rs[0].transactions()); n != 1 || tries.Load() != 3 {
		t.Fatalf("%d transactions after %d RCPTs", n, tries.Load())
	}
}

func TestPermanentFailureBounces(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	rs[0].setRcpt(func(to string) error {
		if strings.HasPrefix(to, "bad") {
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user here")
		}
		return nil
	})
	q := New(e.st, e.opts(port))
	run(t, q)
	submit(t, q, "alice@local.test", testBody, "good@remote.test", "bad@remote.test")
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	if txns := rs[0].transactions(); len(txns) != 1 || !slices.Equal(txns[0].to, []string{"good@remote.test"}) {
		t.Fatalf("transactions %+v", txns)
	}
	waitFor(t, "the DSN", func() bool { return len(e.aliceBounces()) == 1 })
	raw := e.aliceBounces()[0]
	if !strings.HasPrefix(string(raw), "Return-Path: <>\r\n") {
		t.Fatalf("DSN without the null Return-Path: %.80q", raw)
	}
	d := parseDSN(t, raw)
	if d.header.Get("Auto-Submitted") != "auto-replied" || !strings.Contains(d.header.Get("To"), "alice@local.test") {
		t.Fatalf("DSN header %v", d.header)
	}
	if d.perMessage.Get("Reporting-Mta") != "dns; mx.local.test" {
		t.Fatalf("Reporting-MTA %q", d.perMessage.Get("Reporting-Mta"))
	}
	if len(d.recipients) != 1 {
		t.Fatalf("%d recipient blocks", len(d.recipients))
	}
	r := d.rcpt(t, "bad@remote.test")
	if r.Get("Action") != "failed" || r.Get("Status") != "5.1.1" || r.Get("Remote-Mta") != "dns; mx.remote.test" ||
		!strings.HasPrefix(r.Get("Diagnostic-Code"), "smtp; 550 5.1.1 no such user here") {
		t.Fatalf("recipient block %v", r)
	}
	if d.origType != "text/rfc822-headers" || !strings.Contains(string(d.original), "Subject: hello") || strings.Contains(string(d.original), "body line") {
		t.Fatalf("returned content %s %q", d.origType, d.original)
	}
}

func TestRetFullReturnsMessage(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2") // implicit MX
	rs[0].setData(func() error { return smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "spam") })
	q := New(e.st, e.opts(port))
	run(t, q)
	env := &Envelope{From: "alice@local.test", Ret: "FULL", EnvelopeID: "env-42",
		Recipients: []Recipient{{Address: "x@remote.test", Notify: []string{"FAILURE"}, ORcpt: "rfc822;orig@remote.test"}}}
	if _, err := q.Submit(context.Background(), env, store.NewBody([]byte(testBody))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the DSN", func() bool { return len(e.aliceBounces()) == 1 })
	d := parseDSN(t, e.aliceBounces()[0])
	if d.origType != "message/rfc822" || string(d.original) != testBody {
		t.Fatalf("RET=FULL returned %s %q", d.origType, d.original)
	}
	r := d.rcpt(t, "x@remote.test")
	if d.perMessage.Get("Original-Envelope-Id") != "env-42" || r.Get("Original-Recipient") != "rfc822; orig@remote.test" || r.Get("Status") != "5.7.1" {
		t.Fatalf("DSN fields %v %v", d.perMessage, r)
	}
}

func TestRemoteDownThenRetry(t *testing.T) {
	e := newEnv(t)
	port := freePort(t, "127.0.0.3")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.3")
	o := e.opts(port)
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour // only queue retry brings it back
	q := New(e.st, o)
	run(t, q)
	res := submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "a deferral", func() bool {
		l, _ := q.List(context.Background())
		return len(l) == 1 && l[0].Recipients[0].State == store.RcptDeferred
	})
	l, _ := q.List(context.Background())
	r := l[0].Recipients[0]
	if !strings.Contains(r.LastError, "refused") || time.Until(r.NextAttempt) < 30*time.Minute || r.Attempts != 1 {
		t.Fatalf("deferred recipient %+v", r)
	}
	rm := startRemoteAt(t, "127.0.0.3", port)
	if err := q.Retry(context.Background(), res.QueueID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery after retry", queueEmpty(t, e.st))
	if len(rm.transactions()) != 1 {
		t.Fatal("not delivered")
	}
}

func TestSecondMXWhenFirstDown(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.5")
	e.dns.add(t, "remote.test. MX 10 mx1.remote.test.")
	e.dns.add(t, "remote.test. MX 20 mx2.remote.test.")
	e.dns.add(t, "mx1.remote.test. A 127.0.0.4") // nothing listens there
	e.dns.add(t, "mx2.remote.test. A 127.0.0.5")
	q := New(e.st, e.opts(port))
	run(t, q)
	submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "delivery", queueEmpty(t, e.st))
	if len(rs[0].transactions()) != 1 {
		t.Fatal("second MX not used")
	}
}

func TestImplicitMX(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.6")
	e.dns.add(t, "remote.test. A 127.0.0.6")
	q := New(e.st, e.opts(port))
	run(t, q)
	submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "delivery", queueEmpty(t, e.st))
	if len(rs[0].transactions()) != 1 {
		t.Fatal("not delivered to the implicit MX")
	}
}

// bounceStatus submits to rcpt and returns the Status of its DSN.
func bounceStatus(t *testing.T, e *testEnv, q *Queue, rcpt string) string {
	t.Helper()
	before := len(e.aliceBounces())
	submit(t, q, "alice@local.test", testBody, rcpt)
	waitFor(t, "the DSN for "+rcpt, func() bool { return len(e.aliceBounces()) == before+1 })
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	h := parseDSN(t, e.aliceBounces()[before]).rcpt(t, rcpt)
	return h.Get("Status")
}

func TestImmediateBounces(t *testing.T) {
	e := newEnv(t)
	_, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "nullmx.test. MX 0 .")
	e.dns.add(t, "loop.test. MX 10 mx.local.test.") // our own Hostname
	e.dns.add(t, "self.test. MX 10 mx.self.test.")
	e.dns.add(t, "mx.self.test. A 127.0.0.9")
	e.dns.add(t, "nohost.test. MX 10 gone.nohost.test.")
	o := e.opts(port)
	o.SelfAddrs = append(o.SelfAddrs, mustAddrPort(t, fmt.Sprintf("0.0.0.0:%d", port)))
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour // a deferral would time out the test
	q := New(e.st, o)
	run(t, q)
	for rcpt, want := range map[string]string{
		"a@nullmx.test":   "5.1.10", // RFC 7505
		"a@loop.test":     "5.4.6",  // MX is our hostname
		"a@self.test":     "5.4.6",  // MX is one of our listening addresses
		"a@nxdomain.test": "5.1.2",
		"a@nohost.test":   "5.1.2",
	} {
		if got := bounceStatus(t, e, q, rcpt); got != want {
			t.Errorf("%s: status %s, want %s", rcpt, got, want)
		}
	}
}

func TestServfailDefers(t *testing.T) {
	e := newEnv(t)
	e.dns.setServfail("broken.test")
	o := e.opts(25)
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour
	q := New(e.st, o)
	run(t, q)
	res := submit(t, q, "alice@local.test", testBody, "a@broken.test")
	waitFor(t, "a deferral", func() bool {
		m, err := e.st.QueueGet(context.Background(), res.QueueID)
		return err == nil && m.Recipients[0].State == store.RcptDeferred
	})
	m, _ := e.st.QueueGet(context.Background(), res.QueueID)
	if r := m.Recipients[0]; r.LastEnhanced != "4.4.3" {
		t.Fatalf("recipient %+v", r)
	}
}

func TestLifetimeExpiryBounces(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	rs[0].setRcpt(func(string) error { return smtpErr(450, smtp.EnhancedCode{4, 2, 1}, "mailbox busy") })
	o := e.opts(port)
	o.Lifetime = 300 * time.Millisecond
	q := New(e.st, o)
	run(t, q)
	if got := bounceStatus(t, e, q, "a@remote.test"); got != "5.4.7" {
		t.Fatalf("status %s", got)
	}
	d := parseDSN(t, e.aliceBounces()[0])
	h := d.rcpt(t, "a@remote.test")
	if dc := h.Get("Diagnostic-Code"); dc != "" {
		t.Fatalf("expiry carries a remote diagnostic %q", dc)
	}
}

func TestNullSenderNeverBounced(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	rs[0].setRcpt(func(string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no") })
	q := New(e.st, e.opts(port))
	run(t, q)
	submit(t, q, "", testBody, "a@remote.test")
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	// A bounce would have been stored with the failure, in one commit.
	if n := len(e.aliceBounces()); n != 0 {
		t.Fatalf("%d DSNs for a null-sender message", n)
	}
}

func TestNotifyNeverAndSuccess(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	rs[0].setRcpt(func(to string) error {
		if strings.HasPrefix(to, "bad") {
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no")
		}
		return nil
	})
	q := New(e.st, e.opts(port))
	run(t, q)
	env := &Envelope{From: "alice@local.test", Recipients: []Recipient{
		{Address: "bad@remote.test", Notify: []string{"NEVER"}},
		{Address: "good@remote.test", Notify: []string{"SUCCESS", "FAILURE"}},
	}}
	if _, err := q.Submit(context.Background(), env, store.NewBody([]byte(testBody))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	b := e.aliceBounces()
	if len(b) != 1 {
		t.Fatalf("%d DSNs, want 1 (relayed)", len(b))
	}
	d := parseDSN(t, b[0])
	h := d.rcpt(t, "good@remote.test")
	if len(d.recipients) != 1 || h.Get("Action") != "relayed" {
		t.Fatalf("DSN blocks %v", d.recipients)
	}
}

func TestDSNParametersPassedOn(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{dsn: true}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	q := New(e.st, e.opts(port))
	run(t, q)
	env := &Envelope{From: "alice@local.test", Ret: "HDRS", EnvelopeID: "id1", Recipients: []Recipient{
		{Address: "good@remote.test", Notify: []string{"SUCCESS"}, ORcpt: "rfc822;list@local.test"},
	}}
	if _, err := q.Submit(context.Background(), env, store.NewBody([]byte(testBody))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	tx := rs[0].transactions()[0]
	if tx.mailOpts.Return != smtp.DSNReturnHeaders || tx.mailOpts.EnvelopeID != "id1" ||
		!slices.Equal(tx.rcptOpts[0].Notify, []smtp.DSNNotify{smtp.DSNNotifySuccess}) || tx.rcptOpts[0].OriginalRecipient != "list@local.test" {
		t.Fatalf("DSN parameters %+v %+v", tx.mailOpts, tx.rcptOpts)
	}
	// The remote supports DSN: the success report is its business.
	if n := len(e.aliceBounces()); n != 0 {
		t.Fatalf("%d DSNs", n)
	}
}

func TestDelayWarningOnce(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	var tries atomic.Int32
	rs[0].setRcpt(func(string) error {
		if tries.Add(1) <= 4 {
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "later")
		}
		return nil
	})
	o := e.opts(port)
	o.DelayWarning = time.Millisecond
	q := New(e.st, o)
	run(t, q)
	submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "delivery", queueEmpty(t, e.st))
	b := e.aliceBounces()
	if len(b) != 1 {
		t.Fatalf("%d delay warnings, want 1", len(b))
	}
	d := parseDSN(t, b[0])
	r := d.rcpt(t, "a@remote.test")
	if r.Get("Action") != "delayed" || r.Get("Status") != "4.3.0" || r.Get("Will-Retry-Until") == "" {
		t.Fatalf("delay block %v", r)
	}
}

func TestTooManyRecipientsSplits(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{maxRcpt: 2}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	q := New(e.st, e.opts(port))
	run(t, q)
	submit(t, q, "alice@local.test", testBody, "a@remote.test", "b@remote.test", "c@remote.test", "d@remote.test", "e@remote.test")
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	txns := rs[0].transactions()
	var n []int
	for _, tx := range txns {
		n = append(n, len(tx.to))
	}
	if !slices.Equal(n, []int{2, 2, 1}) {
		t.Fatalf("transactions of %v recipients, want [2 2 1]", n)
	}
}

func TestSMTPUTF8NotOffered(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	q := New(e.st, e.opts(port))
	run(t, q)
	env := &Envelope{From: "alice@local.test", SMTPUTF8: true, Recipients: []Recipient{{Address: "a@remote.test"}}}
	if _, err := q.Submit(context.Background(), env, store.NewBody([]byte("Subject: héllo\r\n\r\nx\r\n"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the DSN", func() bool { return len(e.aliceBounces()) == 1 })
	h := parseDSN(t, e.aliceBounces()[0]).rcpt(t, "a@remote.test")
	if st := h.Get("Status"); st != "5.6.7" {
		t.Fatalf("status %s", st)
	}
	if len(rs[0].transactions()) != 0 {
		t.Fatal("sent without SMTPUTF8")
	}
}

func TestStartTLS(t *testing.T) {
	e := newEnv(t)
	srvTLS, pool := testCert(t, "mx.remote.test")
	rs, port := startRemotes(t, remoteOpts{tls: srvTLS}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	e.dns.add(t, "other.test. MX 10 mx.remote.test.")

	// Opportunistic: the self-signed certificate is good enough.
	q := New(e.st, e.opts(port))
	stop := run(t, q)
	submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "delivery", queueEmpty(t, e.st))
	if tx := rs[0].transactions(); len(tx) != 1 || !tx[0].tls {
		t.Fatalf("not delivered over TLS: %+v", tx)
	}
	stop()

	// Required for other.test: an unverifiable certificate defers.
	o := e.opts(port)
	o.RequireTLSDomains = []string{"other.test"}
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour
	q = New(e.st, o)
	stop = run(t, q)
	res := submit(t, q, "alice@local.test", testBody, "a@other.test")
	waitFor(t, "a deferral", func() bool {
		m, err := e.st.QueueGet(context.Background(), res.QueueID)
		return err == nil && m.Recipients[0].State == store.RcptDeferred
	})
	stop()

	// With the certificate trusted, it goes.
	o.RootCAs = pool
	q = New(e.st, o)
	run(t, q)
	if err := q.Retry(context.Background(), res.QueueID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "delivery", queueEmpty(t, e.st))
	if tx := rs[0].transactions(); len(tx) != 2 || !tx[1].tls {
		t.Fatalf("transactions %+v", tx)
	}
}
