package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestMailboxKeywords: the keyword set grows with APPEND, StoreFlags, COPY
// and MOVE in the same transaction as the flags, each event says what it
// gained, removal keeps the set, and the set is bounded.
func TestMailboxKeywords(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	var mu sync.Mutex
	var got []string
	cancel := s.Watch(u.ID, func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if len(e.Keywords) > 0 {
			got = append(got, fmt.Sprintf("%d %s %v", e.Kind, e.Mailbox, e.Keywords))
		}
	})
	defer cancel()
	if _, err := s.Append(ctx, u.ID, "INBOX", NewBody([]byte("a\r\n")), AppendOptions{Flags: []string{`\Seen`, "$Label1"}}); err != nil {
		t.Fatal(err)
	}
	in := inbox(t, s, u)
	for _, f := range [][]string{{"junk", "$label1"}, {"Junk"}} {
		if _, err := s.StoreFlags(ctx, u.ID, in.ID, []uint32{1}, FlagsAdd, f, StoreFlagsOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.StoreFlags(ctx, u.ID, in.ID, []uint32{1}, FlagsRemove, []string{"junk"}, StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Copy(ctx, u.ID, in.ID, []uint32{1}, "Trash"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Move(ctx, u.ID, in.ID, []uint32{1}, "Archive"); err != nil {
		t.Fatal(err)
	}
	if kw := inbox(t, s, u).Keywords; !slices.Equal(kw, []string{"$Label1", "junk"}) {
		t.Errorf("INBOX keywords %v", kw)
	}
	trash, err := s.MailboxByName(ctx, u.ID, "Trash")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(trash.Keywords, []string{"$Label1"}) {
		t.Errorf("Trash keywords %v", trash.Keywords)
	}
	mu.Lock()
	want := []string{
		fmt.Sprintf("%d INBOX [$Label1]", EventNew),
		fmt.Sprintf("%d INBOX [junk]", EventFlags),
		fmt.Sprintf("%d Trash [$Label1]", EventNew),
		fmt.Sprintf("%d Archive [$Label1]", EventNew),
	}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	mu.Unlock()

	// The bound: a change that would pass it fails whole.
	var many []string
	for i := len(trash.Keywords); i < MaxMailboxKeywords; i++ {
		many = append(many, fmt.Sprintf("k%d", i))
	}
	for len(many) > 0 {
		n := min(len(many), 100)
		if _, err := s.StoreFlags(ctx, u.ID, trash.ID, []uint32{1}, FlagsSet, many[:n], StoreFlagsOptions{}); err != nil {
			t.Fatal(err)
		}
		many = many[n:]
	}
	_, err = s.StoreFlags(ctx, u.ID, trash.ID, []uint32{1}, FlagsAdd, []string{"one-more"}, StoreFlagsOptions{})
	if !errors.Is(err, ErrTooManyKeywords) {
		t.Fatalf("keyword %d: %v, want ErrTooManyKeywords", MaxMailboxKeywords+1, err)
	}
	if _, err := s.Append(ctx, u.ID, "Trash", NewBody([]byte("b\r\n")), AppendOptions{Flags: []string{"one-more"}}); !errors.Is(err, ErrTooManyKeywords) {
		t.Fatalf("APPEND past the bound: %v", err)
	}
	if trash, err = s.MailboxByName(ctx, u.ID, "Trash"); err != nil || len(trash.Keywords) != MaxMailboxKeywords {
		t.Errorf("Trash: %v keywords, %v", len(trash.Keywords), err)
	}
}

// TestMigrateKeywords: a schema-1 database (no keyword sets, no \Recent
// bookkeeping) gets its sets built from the messages when opened, and its
// messages count as claimed.
func TestMigrateKeywords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mail.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, s, "alice@example.test")
	if _, err := s.Append(ctx, u.ID, "INBOX", NewBody([]byte("a\r\n")), AppendOptions{Flags: []string{"$Forwarded", "NonJunk"}}); err != nil {
		t.Fatal(err)
	}
	in := inbox(t, s, u)
	s.Close()
	// Make it schema 1: version 1, mailbox record without keywords.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put([]byte("version"), u32(1)); err != nil {
			return err
		}
		acct := tx.Bucket(bucketAccounts).Bucket(u64(u.ID))
		r, err := getMailboxByID(acct, in.ID)
		if err != nil {
			return err
		}
		r.Keywords = nil
		return putMailbox(acct, r)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if kw := inbox(t, s, u).Keywords; !slices.Equal(kw, []string{"$Forwarded", "NonJunk"}) {
		t.Errorf("migrated keywords %v", kw)
	}
	// Messages from before the upgrade are not \Recent.
	if first, err := s.ClaimRecent(ctx, u.ID, in.ID, 1, false); err != nil || first != 2 || inbox(t, s, u).Recent != 0 {
		t.Errorf("migrated \\Recent: first unclaimed %d, %v, %d recent", first, err, inbox(t, s, u).Recent)
	}
}
