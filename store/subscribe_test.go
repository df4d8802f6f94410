package store

import "testing"

// TestUnsubscribeNotSubscribed: UNSUBSCRIBE of a name that is not (or no
// longer) subscribed succeeds (RFC 9051 §6.3.8 leaves it to the server;
// Dovecot answers OK), for existing and absent mailboxes alike.
func TestUnsubscribeNotSubscribed(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	if _, err := s.CreateMailbox(ctx, u.ID, "Work", ""); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Work", "Gone/Away", "Trash"} {
		if err := s.Unsubscribe(ctx, u.ID, name); err != nil {
			t.Fatalf("unsubscribe %q: %v", name, err)
		}
		if err := s.Unsubscribe(ctx, u.ID, name); err != nil {
			t.Fatalf("unsubscribe %q again: %v", name, err)
		}
	}
	subs, err := s.Subscriptions(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range subs {
		if n == "Trash" || n == "Work" {
			t.Fatalf("still subscribed to %q: %v", n, subs)
		}
	}
	if err := s.Unsubscribe(ctx, u.ID, "a//b"); err == nil {
		t.Fatal("an invalid name is still an error")
	}
}
