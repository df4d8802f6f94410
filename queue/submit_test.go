package queue

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

func newTestQueue(t *testing.T) (*Queue, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(st, Options{Hostname: "mx.example.test"}), st
}

func TestSubmitRoutesOnce(t *testing.T) {
	ctx := context.Background()
	q, st := newTestQueue(t)
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	alice, _ := st.AddUser(ctx, "alice@example.test", "pw")
	bob, _ := st.AddUser(ctx, "bob@example.test", "pw")
	if err := st.AddAlias(ctx, "team@example.test", []string{"alice@example.test", "bob@example.test", "carol@remote.test"}); err != nil {
		t.Fatal(err)
	}
	env := &Envelope{From: "sender@else.test", Recipients: []Recipient{
		{Address: "alice@example.test"},
		{Address: "Alice+tag@example.test"},
		{Address: "team@example.test", Notify: []string{"FAILURE"}},
		{Address: "carol@remote.test"},
		{Address: "dave@remote.test"},
		{Address: "nobody@example.test"},
	}}
	body := store.NewBody([]byte("Subject: hi\r\n\r\nhello\r\n"))
	res, err := q.Submit(ctx, env, body)
	if err != nil {
		t.Fatal(err)
	}
	if res.Local != 2 || res.Remote != 2 || len(res.Failed) != 1 || !errors.Is(res.Failed[0].Err, store.ErrNotFound) {
		t.Fatalf("result %+v", res)
	}
	for _, u := range []*store.User{alice, bob} {
		in, _ := st.MailboxByName(ctx, u.ID, "INBOX")
		msgs, _ := st.ListMessages(ctx, u.ID, in.ID, 1, 0)
		if len(msgs) != 1 {
			t.Fatalf("%s has %d messages", u.Address, len(msgs))
		}
		b, _ := st.ReadBodyBytes(msgs[0].BodyID)
		if !strings.HasPrefix(string(b), "Return-Path: <sender@else.test>\r\nSubject: hi\r\n") {
			t.Fatalf("local copy %q", b)
		}
	}
	qm, err := st.QueueGet(ctx, res.QueueID)
	if err != nil {
		t.Fatal(err)
	}
	if len(qm.Recipients) != 2 || qm.Recipients[0].Address != "carol@remote.test" || qm.Recipients[0].ORcpt != "rfc822;team@example.test" {
		t.Fatalf("queued %+v", qm.Recipients)
	}
	b, _ := st.ReadBodyBytes(qm.BodyID)
	if string(b) != "Subject: hi\r\n\r\nhello\r\n" {
		t.Fatalf("queued body %q (must not carry Return-Path)", b)
	}
}

func TestSubmitLoop(t *testing.T) {
	q, _ := newTestQueue(t)
	hdr := strings.Repeat("Received: from a by b\r\n", MaxReceived+1)
	_, err := q.Submit(context.Background(), &Envelope{Recipients: []Recipient{{Address: "x@remote.test"}}}, store.NewBody([]byte(hdr+"\r\nbody\r\n")))
	if !errors.Is(err, ErrLoop) {
		t.Fatalf("loop: %v", err)
	}
}

// TestSubmitPreResolved: a recipient smtpd resolved at RCPT is routed
// with those routes, without a second lookup (here the address itself
// does not exist: only the routes say where it goes).
func TestSubmitPreResolved(t *testing.T) {
	ctx := context.Background()
	q, st := newTestQueue(t)
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	alice, _ := st.AddUser(ctx, "alice@example.test", "pw")
	env := &Envelope{From: "sender@else.test", Recipients: []Recipient{{
		Address: "gone@example.test", Resolved: true, Local: true,
		Routes: []store.Route{{Local: alice}, {Remote: "carol@remote.test"}},
	}}}
	res, err := q.Submit(ctx, env, store.NewBody([]byte("Subject: x\r\n\r\nbody\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	if res.Local != 1 || res.Remote != 1 || len(res.Failed) != 0 {
		t.Fatalf("result %+v, want one local copy and one remote recipient", res)
	}
	qm, err := st.QueueGet(ctx, res.QueueID)
	if err != nil {
		t.Fatal(err)
	}
	if len(qm.Recipients) != 1 || qm.Recipients[0].Address != "carol@remote.test" || qm.Recipients[0].ORcpt != "rfc822;gone@example.test" {
		t.Fatalf("queued recipients %+v", qm.Recipients)
	}
}
