package store

import (
	"errors"
	"testing"
	"time"
)

func TestQueueStorage(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	now := time.Now()
	later := now.Add(time.Hour)
	sub := &Submission{
		Body:  NewBody([]byte("Subject: out\r\n\r\nhello\r\n")),
		Local: []LocalDelivery{{UserID: u.ID}},
		Outbound: &QueuedMessage{Sender: "alice@example.test", Ret: "HDRS", Recipients: []QueuedRecipient{
			{Address: "a@remote.test", State: RcptQueued, NextAttempt: now},
			{Address: "b@remote.test", State: RcptQueued, NextAttempt: now, Notify: []string{"FAILURE"}},
		}},
	}
	res, err := s.Submit(ctx, sub)
	if err != nil || res.QueueID == 0 {
		t.Fatalf("submit: %+v %v", res, err)
	}
	if due, ok, _ := s.QueueNextDue(ctx); !ok || !due.Equal(time.Unix(0, now.UnixNano())) {
		t.Fatalf("next due %v %v", due, ok)
	}
	if list, _ := s.QueueDue(ctx, now.Add(-time.Second), 10); len(list) != 0 {
		t.Fatalf("due too early: %v", list)
	}
	list, err := s.QueueDue(ctx, now, 10)
	if err != nil || len(list) != 1 || list[0].BodyID == 0 || list[0].Size != 23 {
		t.Fatalf("due: %+v %v", list, err)
	}
	// The local copy and the queue share one body.
	in := inbox(t, s, u)
	msgs, _ := s.ListMessages(ctx, u.ID, in.ID, 1, 0)
	if msgs[0].BodyID != list[0].BodyID {
		t.Fatal("body not shared between local copy and queue")
	}
	// a delivered, b deferred an hour; a DSN lands in the same transaction.
	dsn := &Submission{Body: NewBody([]byte("Subject: delayed\r\n\r\n")), Local: []LocalDelivery{{UserID: u.ID}}}
	m, err := s.QueueUpdate(ctx, res.QueueID, func(m *QueuedMessage) (*Submission, error) {
		m.Recipients[0].State = RcptDelivered
		m.Recipients[1].State, m.Recipients[1].NextAttempt, m.Recipients[1].Attempts = RcptDeferred, later, 1
		return dsn, nil
	})
	if err != nil || m == nil {
		t.Fatalf("update: %v", err)
	}
	if due, _, _ := s.QueueNextDue(ctx); !due.Equal(time.Unix(0, later.UnixNano())) {
		t.Fatalf("next due after defer %v", due)
	}
	if in := inbox(t, s, u); in.Messages != 2 {
		t.Fatalf("DSN not delivered with the update: %d", in.Messages)
	}
	// A failing update changes nothing.
	boom := errors.New("boom")
	if _, err := s.QueueUpdate(ctx, res.QueueID, func(m *QueuedMessage) (*Submission, error) {
		m.Recipients[1].State = RcptFailed
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	got, _ := s.QueueGet(ctx, res.QueueID)
	if got.Recipients[1].State != RcptDeferred {
		t.Fatalf("failed update leaked: %+v", got.Recipients[1])
	}
	// Last pending recipient fails: the entry leaves the queue.
	m, err = s.QueueUpdate(ctx, res.QueueID, func(m *QueuedMessage) (*Submission, error) {
		m.Recipients[1].State = RcptFailed
		return nil, nil
	})
	if err != nil || m != nil {
		t.Fatalf("final update: %+v %v", m, err)
	}
	if all, _ := s.QueueList(ctx); len(all) != 0 {
		t.Fatalf("queue not empty: %+v", all)
	}
	if _, ok, _ := s.QueueNextDue(ctx); ok {
		t.Fatal("due index not empty")
	}
	// A recipient never scheduled (zero NextAttempt) is due at once.
	res, _ = s.Submit(ctx, &Submission{Body: NewBody([]byte("x\r\n")), Outbound: &QueuedMessage{
		Recipients: []QueuedRecipient{{Address: "z@remote.test", State: RcptQueued}}}})
	if due, _ := s.QueueDue(ctx, time.Now(), 10); len(due) != 1 || due[0].ID != res.QueueID {
		t.Fatalf("unscheduled entry not due: %+v", due)
	}
	s.QueueDelete(ctx, res.QueueID)
	// QueueDelete drops entry and body.
	res, _ = s.Submit(ctx, &Submission{Body: NewBody([]byte("x\r\n")), Outbound: &QueuedMessage{
		Recipients: []QueuedRecipient{{Address: "c@remote.test", State: RcptQueued}}}})
	if err := s.QueueDelete(ctx, res.QueueID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QueueGet(ctx, res.QueueID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted entry: %v", err)
	}
	s.Expunge(ctx, u.ID, in.ID, ExpungeOptions{})
	assertNoBodies(t, s)
}
