package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestImportIdempotentWithInvariants(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "imp@example.test")
	var mu sync.Mutex
	var events []Event
	defer s.Watch(u.ID, func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })()

	date := time.Date(2020, 3, 4, 5, 6, 7, 8, time.UTC)
	batch := &ImportBatch{States: []ImportState{{Source: "imaps://x/INBOX", UIDValidity: 7, LastUID: 3}},
		Mailboxes: []ImportMailbox{{Name: "Empty/Child"}, {Name: "Bin", SpecialUse: `\Trash`}}}
	for i := range 5 {
		batch.Messages = append(batch.Messages, ImportMessage{Mailbox: "INBOX", Body: NewBody(fmt.Appendf(nil, "Subject: %d\n\nbody\n", i)),
			Flags: []string{`\Seen`, "$Label1"}, InternalDate: date})
	}
	batch.Messages = append(batch.Messages,
		ImportMessage{Mailbox: "Sent Items", SpecialUse: `\Sent`, Body: NewBody([]byte("Subject: sent\r\n\r\nx\r\n"))},
		ImportMessage{Mailbox: "Archive/2024", Body: NewBody([]byte("Subject: old\r\n\r\nx\r\n")), Flags: []string{`\Flagged`}},
		// the same octets again (LF vs CRLF): a duplicate
		ImportMessage{Mailbox: "INBOX", Body: NewBody([]byte("Subject: 0\r\n\r\nbody\r\n"))},
	)
	res, err := s.Import(ctx, u.ID, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 7 || res.Duplicates != 1 {
		t.Fatalf("first import: %+v, want 7 added, 1 duplicate", res)
	}
	inbox, err := s.MailboxByName(ctx, u.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if inbox.Messages != 5 || inbox.UIDNext != 6 || inbox.Unseen != 0 || !slices.Contains(inbox.Keywords, "$Label1") {
		t.Fatalf("INBOX after import: %+v", inbox)
	}
	msgs, err := s.ListMessages(ctx, u.ID, inbox.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		if m.UID != uint32(i+1) || !m.InternalDate.Equal(date) || !m.HasFlag(`\Seen`) || !m.HasFlag("$Label1") {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
	sent, err := s.MailboxByName(ctx, u.ID, "Sent")
	if err != nil || sent.Messages != 1 {
		t.Fatalf("special use \\Sent went elsewhere: %+v %v", sent, err)
	}
	if _, err := s.MailboxByName(ctx, u.ID, "Sent Items"); !errors.Is(err, ErrNoSuchMailbox) {
		t.Fatalf("Sent Items created although Sent has \\Sent: %v", err)
	}
	if mb, err := s.MailboxByName(ctx, u.ID, "Empty/Child"); err != nil || mb.Messages != 0 {
		t.Fatalf("empty mailbox: %+v %v", mb, err)
	}
	if _, err := s.MailboxByName(ctx, u.ID, "Bin"); !errors.Is(err, ErrNoSuchMailbox) {
		t.Fatalf("Bin created although Trash has \\Trash: %v", err)
	}
	arch, err := s.MailboxByName(ctx, u.ID, "Archive/2024")
	if err != nil || arch.Messages != 1 {
		t.Fatalf("Archive/2024: %+v %v", arch, err)
	}
	usage, err := s.Usage(ctx, u.ID)
	if err != nil || usage.Messages != 7 || usage.Bytes != res.Bytes {
		t.Fatalf("usage %+v (%v), want 7 messages, %d bytes", usage, err, res.Bytes)
	}
	states, err := s.ImportStates(ctx, u.ID)
	if err != nil || states["imaps://x/INBOX"].LastUID != 3 || states["imaps://x/INBOX"].UIDValidity != 7 {
		t.Fatalf("states %+v %v", states, err)
	}
	mu.Lock()
	var newUIDs []uint32
	for _, e := range events {
		if e.Kind == EventNew && e.MailboxID == inbox.ID {
			newUIDs = append(newUIDs, e.UIDs...)
			if e.ModSeq != inbox.HighestModSeq || e.Messages != 5 {
				t.Errorf("event %+v, mailbox %+v", e, inbox)
			}
		}
	}
	mu.Unlock()
	if !slices.Equal(newUIDs, []uint32{1, 2, 3, 4, 5}) {
		t.Fatalf("EventNew UIDs %v", newUIDs)
	}

	// Again: nothing added, nothing changed.
	res, err = s.Import(ctx, u.ID, batch)
	if err != nil || res.Added != 0 || res.Duplicates != 8 {
		t.Fatalf("second import: %+v %v", res, err)
	}
	again, _ := s.MailboxByName(ctx, u.ID, "INBOX")
	if again.HighestModSeq != inbox.HighestModSeq || again.UIDNext != inbox.UIDNext {
		t.Fatalf("a duplicate-only import changed INBOX: %+v then %+v", inbox, again)
	}

	// verify knows the import's keys, also for an expunged message and
	// a deleted folder.
	if err := s.DeleteMailbox(ctx, u.ID, "Archive/2024", false); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(ctx)
	if err != nil || rep.ProblemCount != 0 {
		t.Fatalf("verify after import: %+v %v", rep, err)
	}
}

func TestImportQuotaStoresNothing(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "q@example.test")
	if err := s.SetQuota(ctx, u.Address, Quota{MaxMessages: 2}); err != nil {
		t.Fatal(err)
	}
	batch := &ImportBatch{}
	for i := range 3 {
		batch.Messages = append(batch.Messages, ImportMessage{Mailbox: "New/Folder", Body: NewBody(fmt.Appendf(nil, "S: %d\r\n\r\n", i))})
	}
	if _, err := s.Import(ctx, u.ID, batch); !errors.Is(err, ErrOverQuota) {
		t.Fatalf("over quota: %v", err)
	}
	if _, err := s.MailboxByName(ctx, u.ID, "New/Folder"); !errors.Is(err, ErrNoSuchMailbox) {
		t.Fatalf("a failed import left its mailbox: %v", err)
	}
	if u, _ := s.Usage(ctx, u.ID); u.Messages != 0 {
		t.Fatalf("usage %+v", u)
	}
}

// BenchmarkImport: store.Import's cost per 10 KiB message in batches as
// the import command makes them (2,000 messages).
func BenchmarkImport(b *testing.B) {
	s := openTest(b)
	u := mustUser(b, s, "bench@example.test")
	body := make([]byte, 10<<10)
	for i := range body {
		body[i] = 'a' + byte(i%26)
		if i%76 == 75 {
			body[i] = '\n'
		}
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for n := 0; n < b.N; {
		batch := &ImportBatch{}
		for ; n < b.N && len(batch.Messages) < 2000; n++ {
			copy(body, fmt.Sprintf("Subject: %010d\n\n", n))
			batch.Messages = append(batch.Messages, ImportMessage{Mailbox: fmt.Sprintf("F%d", n%20), Body: ImportBody(body), Flags: []string{`\Seen`}})
		}
		if _, err := s.Import(ctx, u.ID, batch); err != nil {
			b.Fatal(err)
		}
	}
}

func TestImportBodyIsReadBody(t *testing.T) {
	for _, s := range []string{"", "\n", "a\nb\r\nc\r", "\r\n\n\r\r\n", strings.Repeat("line\n", 30000), strings.Repeat("x", ChunkSize) + "\n"} {
		want, err := ReadBody(strings.NewReader(s), 0)
		if err != nil {
			t.Fatal(err)
		}
		got := ImportBody([]byte(s))
		if !bytes.Equal(got.Bytes(), want.Bytes()) || got.Size() != want.Size() || len(got.chunks()) != len(want.chunks()) {
			t.Errorf("ImportBody(%.20q): %d bytes in %d chunks, ReadBody %d in %d", s, got.Size(), len(got.chunks()), want.Size(), len(want.chunks()))
		}
	}
}
