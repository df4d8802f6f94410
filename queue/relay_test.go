package queue

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailserver/mailserver/store"
)

func TestSmarthostAuth(t *testing.T) {
	for _, implicit := range []bool{false, true} {
		t.Run(fmt.Sprintf("implicit=%v", implicit), func(t *testing.T) {
			e := newEnv(t)
			srvTLS, pool := testCert(t, "relay.test")
			rs, port := startRemotes(t, remoteOpts{tls: srvTLS, implicit: implicit}, "127.0.0.7")
			rs[0].user, rs[0].pass = "smarthost-user", "s3cret"
			e.dns.add(t, "relay.test. A 127.0.0.7")
			// MX records that must not be used.
			e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
			e.dns.add(t, "mx.remote.test. A 127.0.0.2")
			o := e.opts(25)
			o.RootCAs = pool
			o.Relay = &Relay{Host: fmt.Sprintf("relay.test:%d", port), Username: "smarthost-user", Password: "s3cret", ImplicitTLS: implicit}
			q := New(e.st, o)
			run(t, q)
			submit(t, q, "alice@local.test", testBody, "a@remote.test", "b@elsewhere.test")
			waitFor(t, "delivery", queueEmpty(t, e.st))
			txns := rs[0].transactions()
			if len(txns) != 1 || !slices.Equal(txns[0].to, []string{"a@remote.test", "b@elsewhere.test"}) {
				t.Fatalf("relay transactions %+v", txns)
			}
			if !txns[0].tls || txns[0].authUser != "smarthost-user" {
				t.Fatalf("relayed without TLS or AUTH: %+v", txns[0])
			}
		})
	}
}

func TestSmarthostBadPasswordDefers(t *testing.T) {
	e := newEnv(t)
	srvTLS, pool := testCert(t, "relay.test")
	rs, port := startRemotes(t, remoteOpts{tls: srvTLS}, "127.0.0.7")
	rs[0].user, rs[0].pass = "u", "right"
	e.dns.add(t, "relay.test. A 127.0.0.7")
	o := e.opts(25)
	o.RootCAs = pool
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour
	o.Relay = &Relay{Host: fmt.Sprintf("relay.test:%d", port), Username: "u", Password: "wrong"}
	q := New(e.st, o)
	run(t, q)
	res := submit(t, q, "alice@local.test", testBody, "a@remote.test")
	waitFor(t, "a deferral", func() bool {
		m, err := e.st.QueueGet(context.Background(), res.QueueID)
		return err == nil && m.Recipients[0].State == store.RcptDeferred
	})
	m, _ := e.st.QueueGet(context.Background(), res.QueueID)
	if !strings.Contains(m.Recipients[0].LastError, "authentication failed") {
		t.Fatalf("recipient %+v", m.Recipients[0])
	}
}

// A DSN for a remote sender (mail relayed for a trusted network) is
// itself queued and delivered with the null reverse path.
func TestRemoteSenderGetsDSN(t *testing.T) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2", "127.0.0.3")
	e.dns.add(t, "remote.test. A 127.0.0.2")
	e.dns.add(t, "sender.test. A 127.0.0.3")
	rs[0].setRcpt(func(string) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "unknown") })
	q := New(e.st, e.opts(port))
	run(t, q)
	submit(t, q, "bob@sender.test", testBody, "a@remote.test")
	waitFor(t, "the DSN at the sender's server", func() bool { return len(rs[1].transactions()) == 1 })
	tx := rs[1].transactions()[0]
	if tx.from != "" || !slices.Equal(tx.to, []string{"bob@sender.test"}) {
		t.Fatalf("DSN envelope %q %q", tx.from, tx.to)
	}
	h := parseDSN(t, tx.data).rcpt(t, "a@remote.test")
	if h.Get("Status") != "5.1.1" {
		t.Fatalf("DSN %v", h)
	}
	waitFor(t, "queue empty", queueEmpty(t, e.st))
}
