package store

import (
	"fmt"
	"sync"
	"testing"
)

// WatchAll sees every user's changes, and copies and moves name their
// source mailbox and both special uses (what the spam learner reads).
func TestWatchAllAndSources(t *testing.T) {
	s := openTest(t)
	a := mustUser(t, s, "alice@example.test")
	b := mustUser(t, s, "bob@example.test")
	var mu sync.Mutex
	var got []string
	cancel := s.WatchAll(func(e Event) {
		if e.Kind != EventNew {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("u%d %s %q src=%v %q", e.UserID, e.Mailbox, e.SpecialUse, e.SourceMailboxID != 0, e.SourceSpecialUse))
	})
	deliver(t, s, "a\r\n", a, b)
	in := inbox(t, s, a)
	if _, err := s.Move(ctx, a.ID, in.ID, []uint32{1}, "Junk"); err != nil {
		t.Fatal(err)
	}
	junk, err := s.MailboxByName(ctx, a.ID, "Junk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Copy(ctx, a.ID, junk.ID, []uint32{1}, "INBOX"); err != nil {
		t.Fatal(err)
	}
	cancel()
	deliver(t, s, "b\r\n", b)
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		fmt.Sprintf("u%d INBOX \"\" src=false \"\"", a.ID),
		fmt.Sprintf("u%d INBOX \"\" src=false \"\"", b.ID),
		fmt.Sprintf("u%d Junk \"\\\\Junk\" src=true \"\"", a.ID),
		fmt.Sprintf("u%d INBOX \"\" src=true \"\\\\Junk\"", a.ID),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events\n%q\nwant\n%q", got, want)
	}
}

func TestSetSpamToInbox(t *testing.T) {
	s := openTest(t)
	mustUser(t, s, "alice@example.test")
	if err := s.SetSpamToInbox(ctx, "Alice@Example.test", true); err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByAddress(ctx, "alice@example.test")
	if err != nil || !u.SpamToInbox {
		t.Fatalf("%+v %v", u, err)
	}
	routes, _, err := s.Resolve(ctx, "alice@example.test")
	if err != nil || len(routes) != 1 || routes[0].Local == nil || !routes[0].Local.SpamToInbox {
		t.Fatalf("Resolve: %+v %v", routes, err)
	}
	if err := s.SetSpamToInbox(ctx, "nobody@example.test", true); err == nil {
		t.Fatal("no error for an unknown user")
	}
}
