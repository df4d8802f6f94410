package store

import "testing"

// TestClaimRecent: the first unclaimed UID advances only for a claiming
// caller, and the count of unclaimed messages follows deliveries, claims
// and expunges.
func TestClaimRecent(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	for range 3 {
		deliver(t, s, "a\r\n", u)
	}
	in := inbox(t, s, u)
	if in.Recent != 3 {
		t.Fatalf("Recent %d, want 3", in.Recent)
	}
	if first, err := s.ClaimRecent(ctx, u.ID, in.ID, 3, false); err != nil || first != 1 {
		t.Fatalf("read-only: %d %v", first, err)
	}
	if first, err := s.ClaimRecent(ctx, u.ID, in.ID, 2, true); err != nil || first != 1 {
		t.Fatalf("claim 1..2: %d %v", first, err)
	}
	if n := inbox(t, s, u).Recent; n != 1 {
		t.Errorf("Recent %d after claiming 1..2, want 1", n)
	}
	if first, err := s.ClaimRecent(ctx, u.ID, in.ID, 2, true); err != nil || first != 3 {
		t.Fatalf("second claim: %d %v, want 3 (nothing left up to 2)", first, err)
	}
	if _, err := s.Expunge(ctx, u.ID, in.ID, ExpungeOptions{UIDs: []uint32{1, 3}}); err != nil {
		t.Fatal(err)
	}
	if n := inbox(t, s, u).Recent; n != 0 {
		t.Errorf("Recent %d after expunging the unclaimed one, want 0", n)
	}
	deliver(t, s, "b\r\n", u)
	if first, err := s.ClaimRecent(ctx, u.ID, in.ID, 4, true); err != nil || first != 3 {
		t.Fatalf("claim 3..4: %d %v", first, err)
	}
	if n := inbox(t, s, u).Recent; n != 0 {
		t.Errorf("Recent %d, want 0", n)
	}
}
