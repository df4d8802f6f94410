package store

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestSubmitFilterDeliveries covers what Sieve delivery asks of Submit:
// a created mailbox (subscribed), a missing one falling back to INBOX,
// one copy per mailbox, and flags.
func TestSubmitFilterDeliveries(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "carol@example.test")
	res, err := s.Submit(ctx, &Submission{
		Body: NewBody([]byte("Subject: x\r\n\r\nhi\r\n")),
		Local: []LocalDelivery{
			{UserID: u.ID, Mailbox: "Lists/Go", Create: true, OrInbox: true, Flags: []string{`\Flagged`, "work"}},
			{UserID: u.ID, Mailbox: "Missing", OrInbox: true, Flags: []string{`\Seen`}},
			{UserID: u.ID, Mailbox: "INBOX"},
			{UserID: u.ID, Mailbox: "bad//name", OrInbox: true},
			{UserID: u.ID, Mailbox: "Missing"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Local[:4] {
		if r.Err != nil {
			t.Fatalf("delivery %d: %v", i, r.Err)
		}
	}
	if res.Local[4].Err == nil {
		t.Fatal("a missing mailbox without OrInbox was delivered to")
	}
	inb := inbox(t, s, u)
	if res.Local[1].MailboxID != inb.ID || res.Local[2] != res.Local[1] || res.Local[3] != res.Local[1] {
		t.Fatalf("fallbacks: %+v (INBOX is %d)", res.Local, inb.ID)
	}
	if inb.Messages != 1 {
		t.Fatalf("INBOX has %d messages, want one copy", inb.Messages)
	}
	msgs, err := s.ListMessages(ctx, u.ID, inb.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(msgs[0].Flags, []string{`\Seen`}) {
		t.Fatalf("INBOX flags %v", msgs[0].Flags)
	}
	mb, err := s.MailboxByName(ctx, u.ID, "Lists/Go")
	if err != nil {
		t.Fatal(err)
	}
	if !mb.Subscribed || mb.Messages != 1 {
		t.Fatalf("created mailbox: %+v", mb)
	}
	if _, err := s.MailboxByName(ctx, u.ID, "Lists"); err != nil {
		t.Fatalf("parent level: %v", err)
	}
	msgs, err = s.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(msgs[0].Flags, []string{`\Flagged`, "work"}) {
		t.Fatalf("Lists/Go flags %v", msgs[0].Flags)
	}
	if rep, err := s.Verify(ctx); err != nil || rep.ProblemCount > 0 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

// TestVacationMemory: a reply is stored once per (handle, sender) and
// period, also when deliveries race, and again after the period.
func TestVacationMemory(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "dave@example.test")
	base := time.Now()
	reply := func(now time.Time, handle string) *Submission {
		return &Submission{
			Body:     NewBody([]byte("Subject: Auto: x\r\n\r\naway\r\n")),
			Local:    []LocalDelivery{{UserID: u.ID}},
			Vacation: &VacationMemory{UserID: u.ID, Handle: handle, Sender: "Eve@Remote.test", Now: now, Until: now.Add(time.Hour)},
		}
	}
	var wg sync.WaitGroup
	results := make([]*SubmitResult, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Submit(ctx, &Submission{
				Body: NewBody([]byte("Subject: x\r\n\r\nhi\r\n")), Local: []LocalDelivery{{UserID: u.ID}},
				Also: []*Submission{reply(base, "h1")},
			})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = r
		}()
	}
	wg.Wait()
	sent := 0
	for _, r := range results {
		if r != nil && !r.Also[0].Suppressed {
			sent++
		}
	}
	if sent != 1 {
		t.Fatalf("%d replies stored by concurrent deliveries, want 1", sent)
	}
	if got := inbox(t, s, u).Messages; got != 8+1 {
		t.Fatalf("INBOX has %d messages, want 8 deliveries and 1 reply", got)
	}
	check := func(now time.Time, handle string, want bool) {
		t.Helper()
		r, err := s.Submit(ctx, reply(now, handle))
		if err != nil {
			t.Fatal(err)
		}
		if r.Suppressed == want {
			t.Fatalf("at %v handle %s: suppressed=%v", now.Sub(base), handle, r.Suppressed)
		}
	}
	check(base.Add(30*time.Minute), "h1", false)
	check(base.Add(30*time.Minute), "h2", true) // another handle
	check(base.Add(61*time.Minute), "h1", true) // expired
	check(base.Add(62*time.Minute), "h1", false)
	if rep, err := s.Verify(ctx); err != nil || rep.ProblemCount > 0 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	// Deleting the user deletes the memory with the account.
	if err := s.DeleteUser(ctx, u.Address); err != nil {
		t.Fatal(err)
	}
	u = mustUser(t, s, "dave@example.test")
	r, err := s.Submit(ctx, reply(base.Add(62*time.Minute), "h1"))
	if err != nil || r.Suppressed {
		t.Fatalf("after re-creating the user: %v %+v", err, r)
	}
}
