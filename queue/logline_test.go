package queue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// TestDNSErrorNamesConfiguredResolver: a failed MX lookup through the
// configured resolver names that resolver, not the system's.
func TestDNSErrorNamesConfiguredResolver(t *testing.T) {
	e := newEnv(t)
	e.dns.setServfail("broken.test")
	o := e.opts(25)
	o.RetryInitial, o.RetryMax = time.Hour, time.Hour
	q := New(e.st, o)
	run(t, q)
	res := submit(t, q, "alice@local.test", testBody, "a@broken.test")
	var r store.QueuedRecipient
	waitFor(t, "a deferral", func() bool {
		m, err := e.st.QueueGet(context.Background(), res.QueueID)
		if err != nil {
			return false
		}
		r = m.Recipients[0]
		return r.State == store.RcptDeferred
	})
	if !strings.Contains(r.LastError, "on "+e.dns.addr+":") {
		t.Fatalf("last error %q does not name the configured resolver %s", r.LastError, e.dns.addr)
	}
}

// TestDeliveryLineNamesTLS: the delivery log line says which TLS version
// carried the message, or tls=none.
func TestDeliveryLineNamesTLS(t *testing.T) {
	e := newEnv(t)
	srvTLS, _ := testCert(t, "mx.remote.test")
	tlsRemote, port := startRemotes(t, remoteOpts{tls: srvTLS}, "127.0.0.2")
	plain := startRemoteAt(t, "127.0.0.3", port)
	e.dns.add(t, "secure.test. MX 10 mx.secure.test.")
	e.dns.add(t, "mx.secure.test. A 127.0.0.2")
	e.dns.add(t, "plain.test. MX 10 mx.plain.test.")
	e.dns.add(t, "mx.plain.test. A 127.0.0.3")
	logs := &logBuffer{t: t}
	o := e.opts(port)
	o.Logger = logs.logger()
	q := New(e.st, o)
	run(t, q)
	submit(t, q, "alice@local.test", testBody, "a@secure.test", "b@plain.test")
	waitFor(t, "delivery", queueEmpty(t, e.st))
	if len(tlsRemote[0].transactions()) != 1 || len(plain.transactions()) != 1 {
		t.Fatal("not delivered to both remotes")
	}
	var secure, clear string
	for _, l := range strings.Split(logs.String(), "\n") {
		switch {
		case strings.Contains(l, "msg=delivery") && strings.Contains(l, "to=a@secure.test"):
			secure = l
		case strings.Contains(l, "msg=delivery") && strings.Contains(l, "to=b@plain.test"):
			clear = l
		}
	}
	if !strings.Contains(secure, " tls=TLS1.3 ") {
		t.Errorf("delivery over STARTTLS logged as %q, want tls=TLS1.3", secure)
	}
	if !strings.Contains(clear, " tls=none ") {
		t.Errorf("plaintext delivery logged as %q, want tls=none", clear)
	}
}
