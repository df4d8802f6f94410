package store

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// TestCompact: after 90 % of 20,000 messages are expunged, compact
// shrinks the file to well under half and everything left is intact.
func TestCompact(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	fill(t, s, u, 20000, 2000, 1000)
	in := inbox(t, s, u)
	uids, err := s.UIDs(ctx, u.ID, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	var drop, keep []uint32
	for i, uid := range uids {
		if i%10 == 0 {
			keep = append(keep, uid)
		} else {
			drop = append(drop, uid)
		}
	}
	for len(drop) > 0 {
		n := min(2000, len(drop))
		if _, err := s.Expunge(ctx, u.ID, in.ID, ExpungeOptions{UIDs: drop[:n]}); err != nil {
			t.Fatal(err)
		}
		drop = drop[n:]
	}
	kept, err := s.GetMessages(ctx, u.ID, in.ID, keep)
	if err != nil || len(kept) != len(keep) {
		t.Fatal(err)
	}
	bodies := map[uint32][]byte{}
	for _, m := range kept {
		if bodies[m.UID], err = s.ReadBodyBytes(m.BodyID); err != nil {
			t.Fatal(err)
		}
	}
	waitCollected(t, s)
	path := s.Path()
	if _, _, err := Compact(ctx, path, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("compact of an open database: %v, want ErrLocked", err)
	}
	s.Close()
	before, after, err := Compact(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("compact: %d → %d bytes", before, after)
	if fi, _ := os.Stat(path); fi.Size() != after || after*3 > before {
		t.Fatalf("compact: %d → %d bytes (file %d), want well under half", before, after, fi.Size())
	}
	r, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mustVerifyOK(t, r)
	rin := inbox(t, r, u)
	if rin.UIDValidity != in.UIDValidity || rin.UIDNext != in.UIDNext || rin.Messages != uint32(len(keep)) {
		t.Fatalf("mailbox after compact %+v, before %+v", rin, in)
	}
	got, err := r.GetMessages(ctx, u.ID, rin.ID, keep)
	if err != nil || len(got) != len(kept) {
		t.Fatalf("%d of %d messages after compact: %v", len(got), len(kept), err)
	}
	for i, m := range got {
		b, err := r.ReadBodyBytes(m.BodyID)
		if err != nil || !bytes.Equal(b, bodies[m.UID]) || m.ModSeq != kept[i].ModSeq || !slicesEqual(m.Flags, kept[i].Flags) {
			t.Fatalf("UID %d differs after compact (%v)", m.UID, err)
		}
	}
	// Sequences survive: the next message gets the next UID and a new body ID.
	res, err := r.Append(ctx, u.ID, "INBOX", NewBody([]byte("Subject: after\r\n\r\nx\r\n")), AppendOptions{})
	if err != nil || res.UID != in.UIDNext {
		t.Fatalf("append after compact: %+v %v, want UID %d", res, err, in.UIDNext)
	}
	mustVerifyOK(t, r)
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// waitCollected waits until the collector has deleted every unreferenced
// body.
func waitCollected(t *testing.T, s *Store) {
	t.Helper()
	for !s.bodies.idle() {
		runtimeGosched()
	}
}
