package store

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// verifyFixture is a store with two users, shared bodies, copies,
// expunges, flags, a multi-chunk body and queued mail.
func verifyFixture(t *testing.T) (*Store, *User, *User) {
	t.Helper()
	s := openTest(t)
	alice := mustUser(t, s, "alice@example.test")
	bob := mustUser(t, s, "bob@example.test")
	deliver(t, s, "Subject: both\r\n\r\nhello\r\n", alice, bob)
	big := "Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef\r\n", 3*ChunkSize/18+5)
	deliver(t, s, big, alice)
	fill(t, s, alice, 50, 300, 20)
	in := inbox(t, s, alice)
	if _, err := s.Copy(ctx, alice.ID, in.ID, []uint32{1, 2, 3}, "Archive"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StoreFlags(ctx, alice.ID, in.ID, []uint32{4, 5}, FlagsAdd, []string{FlagDeleted, "Work"}, StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge(ctx, alice.ID, in.ID, ExpungeOptions{OnlyDeleted: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimRecent(ctx, alice.ID, in.ID, 10, true); err != nil {
		t.Fatal(err)
	}
	_, err := s.Submit(ctx, &Submission{Body: NewBody([]byte("Subject: out\r\n\r\nbye\r\n")),
		Local:    []LocalDelivery{{UserID: bob.ID, Mailbox: "Sent", Flags: []string{FlagSeen}}},
		Outbound: &QueuedMessage{Sender: "bob@example.test", Recipients: []QueuedRecipient{{Address: "x@remote.test", State: RcptQueued}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Submit(ctx, &Submission{Body: NewBody([]byte("Subject: later\r\n\r\nbye\r\n")),
		Outbound: &QueuedMessage{Sender: "bob@example.test", Recipients: []QueuedRecipient{
			{Address: "y@remote.test", State: RcptDeferred, NextAttempt: time.Now().Add(time.Hour)}}}})
	if err != nil {
		t.Fatal(err)
	}
	return s, alice, bob
}

func mustVerifyOK(t *testing.T, s *Store) *VerifyReport {
	t.Helper()
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify found %d problems in a healthy store:\n%s", rep.ProblemCount, strings.Join(rep.Problems, "\n"))
	}
	return rep
}

func TestVerifyHealthy(t *testing.T) {
	s, _, _ := verifyFixture(t)
	rep := mustVerifyOK(t, s)
	if rep.Users != 2 || rep.Messages < 50 || rep.Queued != 2 || rep.Chunks <= rep.Bodies {
		t.Fatalf("report counts look wrong: %+v", rep)
	}
	// Offline, on the file, once closed.
	path := s.Path()
	if _, err := VerifyFile(ctx, path); err == nil || !strings.Contains(err.Error(), ErrLocked.Error()) {
		t.Fatalf("VerifyFile of an open database: %v, want ErrLocked", err)
	}
	s.Close()
	rep2, err := VerifyFile(ctx, path)
	if err != nil || !rep2.OK() || rep2.Messages != rep.Messages {
		t.Fatalf("offline verify: %v %+v", err, rep2)
	}
}

// TestVerifyFindsCorruption damages a healthy database in one way at a
// time and checks that verify names the damage.
func TestVerifyFindsCorruption(t *testing.T) {
	type damage struct {
		name string
		// apply damages the database in a write transaction.
		apply func(t *testing.T, tx *bolt.Tx, alice, bob *User)
		want  string // a substring of the problem reported
	}
	firstMsg := func(t *testing.T, tx *bolt.Tx, u *User, mbox string) (*bolt.Bucket, *mailboxRecord, []byte, messageRecord) {
		acct, _ := account(tx, u.ID)
		m, err := getMailboxByName(acct, mbox)
		if err != nil {
			t.Fatal(err)
		}
		msgs := acct.Bucket(msgBucketKey(m.ID))
		k, v := msgs.Cursor().First()
		rec, err := decodeMessage(v)
		if err != nil {
			t.Fatal(err)
		}
		return msgs, m, append([]byte(nil), k...), rec
	}
	editBody := func(t *testing.T, tx *bolt.Tx, id uint64, fn func(*bodyRecord)) {
		b := tx.Bucket(bucketBodies)
		rec, err := decodeBody(b.Get(u64(id)))
		if err != nil {
			t.Fatal(err)
		}
		fn(&rec)
		if err := b.Put(u64(id), rec.encode()); err != nil {
			t.Fatal(err)
		}
	}
	editMailbox := func(t *testing.T, tx *bolt.Tx, u *User, name string, fn func(*mailboxRecord)) {
		acct, _ := account(tx, u.ID)
		m, err := getMailboxByName(acct, name)
		if err != nil {
			t.Fatal(err)
		}
		fn(m)
		if err := putMailbox(acct, m); err != nil {
			t.Fatal(err)
		}
	}
	bigBody := func(t *testing.T, tx *bolt.Tx) uint64 {
		var id uint64
		tx.Bucket(bucketBodies).ForEach(func(k, v []byte) error {
			if rec, _ := decodeBody(v); rec.chunks >= 3 {
				id = be64(k)
			}
			return nil
		})
		if id == 0 {
			t.Fatal("no multi-chunk body")
		}
		return id
	}
	cases := []damage{
		{"reference count too high", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			_, _, _, rec := firstMsg(t, tx, a, "INBOX")
			editBody(t, tx, rec.bodyID, func(r *bodyRecord) { r.refs++ })
		}, "reference count 4, but 3 messages"},
		{"reference count too low", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			_, _, _, rec := firstMsg(t, tx, a, "INBOX")
			editBody(t, tx, rec.bodyID, func(r *bodyRecord) { r.refs-- })
		}, "reference count 2, but 3 messages"},
		{"missing middle chunk", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			tx.Bucket(bucketChunks).Delete(chunkKey(bigBody(t, tx), 1))
		}, "chunks 1 to 1 are missing"},
		{"missing last chunk", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			id := bigBody(t, tx)
			rec, _ := decodeBody(tx.Bucket(bucketBodies).Get(u64(id)))
			tx.Bucket(bucketChunks).Delete(chunkKey(id, rec.chunks-1))
		}, "are missing"},
		{"truncated chunk", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			id := bigBody(t, tx)
			tx.Bucket(bucketChunks).Put(chunkKey(id, 1), make([]byte, 100))
		}, "chunk 1 has 100 bytes"},
		{"orphan chunk", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			tx.Bucket(bucketChunks).Put(chunkKey(999999, 0), []byte("x"))
		}, "body 999999, which does not exist"},
		{"usage off by one byte", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			acct, _ := account(tx, a.ID)
			addUsage(acct, 1, 0)
		}, "usage says"},
		{"usage off by one message", func(t *testing.T, tx *bolt.Tx, _, b *User) {
			acct, _ := account(tx, b.ID)
			addUsage(acct, 0, -1)
		}, "usage says"},
		{"UID not below UIDNEXT", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			editMailbox(t, tx, a, "INBOX", func(m *mailboxRecord) { m.UIDNext = 10 })
		}, "is not below UIDNEXT 10"},
		{"message count", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			editMailbox(t, tx, a, "Archive", func(m *mailboxRecord) { m.Messages++ })
		}, "record says 4 messages, it holds 3"},
		{"unseen count", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			editMailbox(t, tx, a, "INBOX", func(m *mailboxRecord) { m.Unseen-- })
		}, "unseen"},
		{"recent count", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			editMailbox(t, tx, a, "INBOX", func(m *mailboxRecord) { m.Recent++ })
		}, `\Recent`},
		{"duplicate UIDVALIDITY", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			acct, _ := account(tx, a.ID)
			in, _ := getMailboxByName(acct, "INBOX")
			editMailbox(t, tx, a, "Sent", func(m *mailboxRecord) { m.UIDValidity = in.UIDValidity })
		}, "is also that of"},
		{"modseq above HIGHESTMODSEQ", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			msgs, m, k, rec := firstMsg(t, tx, a, "INBOX")
			rec.modSeq = m.HighestModSeq + 5
			msgs.Put(k, rec.encode())
		}, "above HIGHESTMODSEQ"},
		{"message size differs from body", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			msgs, _, k, rec := firstMsg(t, tx, a, "Archive")
			rec.size++
			msgs.Put(k, rec.encode())
		}, "its body"},
		{"message whose body is gone", func(t *testing.T, tx *bolt.Tx, _, b *User) {
			_, _, _, rec := firstMsg(t, tx, b, "Sent")
			tx.Bucket(bucketBodies).Delete(u64(rec.bodyID))
		}, "is missing"},
		{"keyword outside the mailbox's set", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			msgs, _, k, rec := firstMsg(t, tx, a, "Archive")
			rec.flags.keywords = append(rec.flags.keywords, "Unlisted")
			msgs.Put(k, rec.encode())
		}, `keyword "Unlisted"`},
		{"unreferenced body not in bodygc", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			putBody(tx, NewBody([]byte("lost")), 0)
		}, "not listed in bodygc"},
		{"queue entry missing from the due index", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			c := tx.Bucket(bucketQueueDue).Cursor()
			k, _ := c.First()
			c.Delete()
			_ = k
		}, "missing from the due index"},
		{"stale due index entry", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			tx.Bucket(bucketQueueDue).Put(dueKey(time.Now(), 777), nil)
		}, "matches no queued message"},
		{"mailbox name mapped to nothing", func(t *testing.T, tx *bolt.Tx, a, _ *User) {
			acct, _ := account(tx, a.ID)
			acct.Bucket([]byte("mboxnames")).Put([]byte("Ghost"), u64(4242))
		}, `mboxnames "Ghost" names no mailbox`},
		{"account without user", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			tx.Bucket(bucketAccounts).CreateBucket(u64(9999))
		}, "account 9999: no user"},
		{"cache of a deleted body", func(t *testing.T, tx *bolt.Tx, _, _ *User) {
			tx.Bucket(bucketBodyCache).Put(u64(888888), []byte("x"))
		}, "names no body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, alice, bob := verifyFixture(t)
			err := s.db.Update(func(tx *bolt.Tx) error {
				c.apply(t, tx, alice, bob)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range rep.Problems {
				found = found || strings.Contains(p, c.want)
			}
			if !found {
				t.Fatalf("verify did not report %q; it reported %d problems:\n%s", c.want, rep.ProblemCount, strings.Join(rep.Problems, "\n"))
			}
		})
	}
}

// TestVerifyBboltCheck: damage below the store's level (a B+tree page
// whose type is garbage) is reported through bbolt's own check, offline.
func TestVerifyBboltCheck(t *testing.T) {
	s, _, _ := verifyFixture(t)
	path := s.Path()
	s.Close()
	// The root page of the chunks bucket (several pages, so its root
	// is a page of its own, reachable).
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	var root int64
	db.View(func(tx *bolt.Tx) error {
		root = int64(tx.Bucket(bucketChunks).Root())
		return nil
	})
	pageSize := int64(db.Info().PageSize)
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Page header: id u64, flags u16 (bbolt's page layout).
	hdr := make([]byte, 10)
	if _, err := f.ReadAt(hdr, root*pageSize); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint64(hdr) != uint64(root) {
		t.Fatalf("page %d has id %d", root, binary.LittleEndian.Uint64(hdr))
	}
	binary.LittleEndian.PutUint16(hdr[8:], 0x40)
	if _, err := f.WriteAt(hdr[8:10], root*pageSize+8); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || !strings.HasPrefix(rep.Problems[0], "bbolt: ") {
		t.Fatalf("damaged page %d not reported by bbolt's check: %+v", root, rep)
	}
}
