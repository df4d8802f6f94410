package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var ctx = context.Background()

func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustUser(t testing.TB, s *Store, addr string) *User {
	t.Helper()
	_, d, err := CanonicalAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddDomain(ctx, d); err != nil && !errors.Is(err, ErrExists) {
		t.Fatal(err)
	}
	u, err := s.AddUser(ctx, addr, "secret")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func deliver(t testing.TB, s *Store, body string, users ...*User) *SubmitResult {
	t.Helper()
	sub := &Submission{Body: NewBody([]byte(body))}
	for _, u := range users {
		sub.Local = append(sub.Local, LocalDelivery{UserID: u.ID})
	}
	res, err := s.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Local {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	return res
}

func inbox(t testing.TB, s *Store, u *User) *Mailbox {
	t.Helper()
	m, err := s.MailboxByName(ctx, u.ID, "inbox")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDomainsUsersAuth(t *testing.T) {
	s := openTest(t)
	s.sleep = func(context.Context, time.Duration) error { return nil } // login delays
	if _, err := s.AddUser(ctx, "alice@example.test", "pw"); !errors.Is(err, ErrNoSuchDomain) {
		t.Fatalf("user in unknown domain: %v", err)
	}
	if err := s.AddDomain(ctx, "Example.Test."); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDomain(ctx, "example.test"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate domain: %v", err)
	}
	for _, bad := range []string{"a%b@example.test", `"q"@example.test`, "a!b@example.test", "@example.test", "a@", "a@[127.0.0.1]", "a..b@example.test"} {
		if _, err := s.AddUser(ctx, bad, "pw"); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("AddUser(%q) = %v, want ErrInvalidAddress", bad, err)
		}
	}
	u, err := s.AddUser(ctx, "Alice@Example.test", "pw1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Address != "alice@example.test" {
		t.Fatalf("address %q", u.Address)
	}
	if _, err := s.AddUser(ctx, "alice@example.test", "x"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	ip := netip.MustParseAddr("192.0.2.1")
	if got, err := s.Authenticate(ctx, Login{Remote: ip, Username: "ALICE@example.test", Password: "pw1"}); err != nil || got.ID != u.ID {
		t.Fatalf("auth: %v %v", got, err)
	}
	if _, err := s.Authenticate(ctx, Login{Remote: ip, Username: "alice@example.test", Password: "wrong"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, Login{Remote: ip, Username: "nobody@example.test", Password: "pw1"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("unknown user: %v", err)
	}
	if err := s.SetPassword(ctx, "alice@example.test", "pw2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, Login{Remote: netip.Addr{}, Username: "alice@example.test", Password: "pw2"}); err != nil {
		t.Fatalf("new password: %v", err)
	}
	// The stored hash is argon2id, never the password.
	s.db.View(func(tx *bolt.Tx) error {
		r, err := getUser(tx, "alice@example.test")
		if err != nil || !strings.HasPrefix(r.Hash, "$argon2id$") || strings.Contains(r.Hash, "pw2") {
			t.Errorf("stored hash %q, %v", r.Hash, err)
		}
		return nil
	})
	users, err := s.Users(ctx)
	if err != nil || len(users) != 1 || users[0].Address != "alice@example.test" {
		t.Fatalf("users: %v %v", users, err)
	}
	if err := s.DeleteDomain(ctx, "example.test"); !errors.Is(err, ErrDomainInUse) {
		t.Fatalf("delete used domain: %v", err)
	}
	if err := s.DeleteUser(ctx, "alice@example.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Domains(ctx); len(d) != 0 {
		t.Fatalf("domains left: %v", d)
	}
}

func TestDefaultLoginDomain(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "mail.db"), &Options{DefaultLoginDomain: "example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := mustUser(t, s, "carol@example.test")
	if got, err := s.Authenticate(ctx, Login{Remote: netip.Addr{}, Username: "carol", Password: "secret"}); err != nil || got.ID != u.ID {
		t.Fatalf("short login: %v %v", got, err)
	}
	if _, err := openTest(t).Authenticate(ctx, Login{Username: "carol", Password: "secret"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("short login without a default domain: %v", err)
	}
}

// TestAuthCache: a repeated login is answered from the cache, and a
// password change makes the old password fail at once.
func TestAuthCache(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "dave@example.test")
	for range 2 {
		if _, err := s.Authenticate(ctx, Login{Remote: netip.Addr{}, Username: u.Address, Password: "secret"}); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.verified.entries) != 1 {
		t.Fatalf("%d cache entries", len(s.verified.entries))
	}
	if _, err := s.Authenticate(ctx, Login{Remote: netip.Addr{}, Username: u.Address, Password: "Secret"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("other password: %v", err)
	}
	if err := s.SetPassword(ctx, u.Address, "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, Login{Remote: netip.Addr{}, Username: u.Address, Password: "secret"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("old password after change: %v", err)
	}
	if _, err := s.Authenticate(ctx, Login{Remote: netip.Addr{}, Username: u.Address, Password: "new"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.Address); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, Login{Remote: netip.Addr{}, Username: u.Address, Password: "new"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("deleted user: %v", err)
	}
}

func TestResolve(t *testing.T) {
	s := openTest(t)
	alice := mustUser(t, s, "alice@example.test")
	bob := mustUser(t, s, "bob@example.test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddAlias(ctx, "team@example.test", []string{"alice@example.test", "bob@example.test", "carol@remote.test"}))
	must(s.AddAlias(ctx, "loop1@example.test", []string{"loop2@example.test"}))
	must(s.AddAlias(ctx, "loop2@example.test", []string{"loop1@example.test", "bob@example.test"}))
	route := func(addr string) string {
		rs, local, err := s.Resolve(ctx, addr)
		if err != nil {
			return "err:" + errors.Unwrap(err).Error()
		}
		if !local {
			return "nonlocal"
		}
		var parts []string
		for _, r := range rs {
			if r.Local != nil {
				parts = append(parts, fmt.Sprint("user:", r.Local.ID))
			} else {
				parts = append(parts, "remote:"+r.Remote)
			}
		}
		return strings.Join(parts, ",")
	}
	a, b := fmt.Sprint("user:", alice.ID), fmt.Sprint("user:", bob.ID)
	cases := map[string]string{
		"alice@example.test":      a,
		"ALICE@EXAMPLE.TEST.":     a,
		"alice+news@example.test": a,
		"team@example.test":       a + "," + b + ",remote:carol@remote.test",
		"team+x@example.test":     a + "," + b + ",remote:carol@remote.test",
		"loop1@example.test":      b,
		"nobody@example.test":     "err:" + ErrNotFound.Error(),
		"x@elsewhere.test":        "nonlocal",
	}
	for addr, want := range cases {
		if got := route(addr); got != want {
			t.Errorf("Resolve(%q) = %s, want %s", addr, got, want)
		}
	}
	must(s.AddAlias(ctx, "@example.test", []string{"bob@example.test"}))
	if got := route("nobody@example.test"); got != b {
		t.Errorf("catch-all: %s", got)
	}
	if got := route("alice@example.test"); got != a {
		t.Errorf("user beats catch-all: %s", got)
	}
	for _, trick := range []string{`"alice"@example.test`, "alice%remote.test@example.test", "@a:alice@example.test"} {
		if _, _, err := s.Resolve(ctx, trick); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("Resolve(%q) = %v, want invalid", trick, err)
		}
	}
	if ok, _ := s.MaySendAs(ctx, alice, "team@example.test"); !ok {
		t.Error("alice may send as team")
	}
	if ok, _ := s.MaySendAs(ctx, alice, "alice+x@example.test"); !ok {
		t.Error("alice may send as alice+x")
	}
	if ok, _ := s.MaySendAs(ctx, alice, "bob@example.test"); ok {
		t.Error("alice may not send as bob")
	}
	if ok, _ := s.MaySendAs(ctx, alice, "whatever@example.test"); ok {
		t.Error("catch-all gives no sending rights")
	}
	list, _ := s.Aliases(ctx)
	if len(list) != 4 {
		t.Errorf("aliases: %v", list)
	}
	must(s.DeleteAlias(ctx, "team@example.test"))
	if err := s.DeleteAlias(ctx, "team@example.test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func TestDefaultMailboxes(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	mbs, err := s.Mailboxes(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range mbs {
		if !m.Subscribed || m.UIDNext != 1 || m.UIDValidity == 0 {
			t.Errorf("mailbox %+v", m)
		}
		got[m.Name] = m.SpecialUse
	}
	want := map[string]string{"INBOX": "", "Sent": `\Sent`, "Drafts": `\Drafts`, "Trash": `\Trash`, "Junk": `\Junk`, "Archive": `\Archive`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("mailboxes %v, want %v", got, want)
	}
}

func TestDeliverSharedBodyAndRead(t *testing.T) {
	s := openTest(t)
	alice := mustUser(t, s, "alice@example.test")
	bob := mustUser(t, s, "bob@example.test")
	big := strings.Repeat("0123456789abcdef", ChunkSize/16*3) + "tail"
	res := deliver(t, s, "Subject: hi\nbare LF\r\n\r\n"+big, alice, bob)
	ma, _ := s.GetMessages(ctx, alice.ID, res.Local[0].MailboxID, []uint32{res.Local[0].UID})
	mb, _ := s.GetMessages(ctx, bob.ID, res.Local[1].MailboxID, []uint32{res.Local[1].UID})
	if len(ma) != 1 || len(mb) != 1 || ma[0].BodyID != mb[0].BodyID {
		t.Fatalf("body not shared: %v %v", ma, mb)
	}
	want := "Subject: hi\r\nbare LF\r\n\r\n" + big
	if ma[0].Size != int64(len(want)) {
		t.Fatalf("size %d, want %d", ma[0].Size, len(want))
	}
	r, err := s.OpenBody(ma[0].BodyID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	if string(got) != want {
		t.Fatal("body differs")
	}
	part := make([]byte, 10)
	if _, err := r.ReadAt(part, ChunkSize-5); err != nil || string(part) != want[ChunkSize-5:ChunkSize+5] {
		t.Fatalf("range across chunks: %q %v", part, err)
	}
	// Alice expunges: Bob's copy stays readable; Bob expunges: body freed.
	if _, err := s.Expunge(ctx, alice.ID, res.Local[0].MailboxID, ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadBodyBytes(mb[0].BodyID); err != nil {
		t.Fatalf("bob's copy: %v", err)
	}
	if _, err := s.Expunge(ctx, bob.ID, res.Local[1].MailboxID, ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	collectBodies(t, s)
	if _, err := s.OpenBody(mb[0].BodyID); !errors.Is(err, ErrNoSuchMessage) {
		t.Fatalf("body not freed: %v", err)
	}
	assertNoBodies(t, s)
}

// assertNoBodies checks that no body or chunk is left (every reference gone).
func assertNoBodies(t *testing.T, s *Store) {
	t.Helper()
	collectBodies(t, s)
	s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBodies, bucketChunks, bucketBodyCache, bucketBodyGC} {
			if n := tx.Bucket(b).Stats().KeyN; n != 0 {
				t.Errorf("%s: %d keys left", b, n)
			}
		}
		return nil
	})
}

func TestAppendFlagsCopyMoveExpunge(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	date := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	var uids []uint32
	for i := range 4 {
		r, err := s.Append(ctx, u.ID, "Drafts", NewBody([]byte(fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))),
			AppendOptions{Flags: []string{`\Draft`, "$Label1"}, InternalDate: date})
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, r.UID)
	}
	if !slices.Equal(uids, []uint32{1, 2, 3, 4}) {
		t.Fatalf("uids %v", uids)
	}
	drafts, _ := s.MailboxByName(ctx, u.ID, "Drafts")
	if drafts.Messages != 4 || drafts.Unseen != 4 || drafts.UIDNext != 5 {
		t.Fatalf("counters %+v", drafts)
	}
	msgs, _ := s.ListMessages(ctx, u.ID, drafts.ID, 1, 0)
	if len(msgs) != 4 || !msgs[0].InternalDate.Equal(date) || !slices.Equal(msgs[0].Flags, []string{`\Draft`, "$Label1"}) {
		t.Fatalf("messages %+v", msgs)
	}
	if _, err := s.Append(ctx, u.ID, "Nope", NewBody([]byte("x")), AppendOptions{}); !errors.Is(err, ErrNoSuchMailbox) {
		t.Fatalf("append to missing: %v", err)
	}

	// Flags: add, remove, set; modseq grows; counters follow.
	before := drafts.HighestModSeq
	res, err := s.StoreFlags(ctx, u.ID, drafts.ID, []uint32{1, 2, 99}, FlagsAdd, []string{`\seen`, `\Deleted`, "Work"}, StoreFlagsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 2 || !slices.Equal(res.Messages[0].Flags, []string{`\Seen`, `\Deleted`, `\Draft`, "$Label1", "Work"}) {
		t.Fatalf("after add: %+v", res.Messages)
	}
	if _, err := s.StoreFlags(ctx, u.ID, drafts.ID, []uint32{2}, FlagsRemove, []string{"$label1", `\Deleted`}, StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StoreFlags(ctx, u.ID, drafts.ID, []uint32{3}, FlagsSet, []string{`\Flagged`}, StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StoreFlags(ctx, u.ID, drafts.ID, []uint32{3}, FlagsAdd, []string{"bad flag"}, StoreFlagsOptions{}); err == nil {
		t.Fatal("flag with a space accepted")
	}
	drafts, _ = s.MailboxByName(ctx, u.ID, "Drafts")
	if drafts.Unseen != 2 || drafts.Deleted != 1 || drafts.HighestModSeq <= before {
		t.Fatalf("counters after flags %+v", drafts)
	}
	msgs, _ = s.GetMessages(ctx, u.ID, drafts.ID, []uint32{3, 2})
	if !slices.Equal(msgs[0].Flags, []string{`\Seen`, `\Draft`, "Work"}) || !slices.Equal(msgs[1].Flags, []string{`\Flagged`}) {
		t.Fatalf("flags %v / %v", msgs[0].Flags, msgs[1].Flags)
	}
	// CONDSTORE: message 3 changed after "before", so UNCHANGEDSINCE refuses it.
	cs, err := s.StoreFlags(ctx, u.ID, drafts.ID, []uint32{3, 4}, FlagsAdd, []string{"X"}, StoreFlagsOptions{UnchangedSince: before})
	if err != nil || !slices.Equal(cs.Modified, []uint32{3}) || len(cs.Messages) != 1 {
		t.Fatalf("unchangedsince: %+v %v", cs, err)
	}

	// Copy 1,2 to Archive; move 3 to Trash.
	cp, err := s.Copy(ctx, u.ID, drafts.ID, []uint32{2, 1, 77}, "Archive")
	if err != nil || !slices.Equal(cp.SrcUIDs, []uint32{1, 2}) || !slices.Equal(cp.DstUIDs, []uint32{1, 2}) {
		t.Fatalf("copy %+v %v", cp, err)
	}
	mv, err := s.Move(ctx, u.ID, drafts.ID, []uint32{3}, "Trash")
	if err != nil || !slices.Equal(mv.DstUIDs, []uint32{1}) {
		t.Fatalf("move %+v %v", mv, err)
	}
	if _, err := s.Copy(ctx, u.ID, drafts.ID, []uint32{1}, "Missing"); !errors.Is(err, ErrNoSuchMailbox) {
		t.Fatalf("copy to missing: %v", err)
	}
	ids, _ := s.UIDs(ctx, u.ID, drafts.ID)
	if !slices.Equal(ids, []uint32{1, 2, 4}) {
		t.Fatalf("drafts after move %v", ids)
	}
	if m, err := s.MessageBySeq(ctx, u.ID, drafts.ID, 3); err != nil || m.UID != 4 {
		t.Fatalf("seq 3: %+v %v", m, err)
	}
	// EXPUNGE removes only \Deleted (message 1); the copy in Archive stays.
	gone, err := s.Expunge(ctx, u.ID, drafts.ID, ExpungeOptions{OnlyDeleted: true})
	if err != nil || !slices.Equal(gone, []uint32{1}) {
		t.Fatalf("expunge %v %v", gone, err)
	}
	gone, err = s.Expunge(ctx, u.ID, drafts.ID, ExpungeOptions{UIDs: []uint32{4}})
	if err != nil || !slices.Equal(gone, []uint32{4}) {
		t.Fatalf("expunge uid 4: %v %v", gone, err)
	}
	// A new message never reuses an expunged UID.
	r, _ := s.Append(ctx, u.ID, "Drafts", NewBody([]byte("x\r\n")), AppendOptions{})
	if r.UID != 5 {
		t.Fatalf("uid after expunge %d", r.UID)
	}
	usage, _ := s.Usage(ctx, u.ID)
	if usage.Messages != 5 { // Drafts 2,5; Archive 1,2; Trash 1
		t.Fatalf("usage %+v", usage)
	}
	for _, name := range []string{"Drafts", "Archive", "Trash"} {
		if err := s.DeleteMailbox(ctx, u.ID, name, false); err != nil {
			t.Fatal(err)
		}
	}
	if usage, _ := s.Usage(ctx, u.ID); usage != (Usage{}) {
		t.Fatalf("usage after deleting all: %+v", usage)
	}
	assertNoBodies(t, s)
}

func TestMailboxHierarchy(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	for _, bad := range []string{"", "a//b", "/a", "a/", "a\x00b", "a\tb", "a*", "a%b", "#shared", "\xff"} {
		if _, err := s.CreateMailbox(ctx, u.ID, bad, ""); !errors.Is(err, ErrInvalidName) {
			t.Errorf("CreateMailbox(%q) = %v", bad, err)
		}
	}
	if _, err := s.CreateMailbox(ctx, u.ID, "Work/2026/Q4", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMailbox(ctx, u.ID, "Work", ""); !errors.Is(err, ErrMailboxExists) {
		t.Fatalf("parent was not created: %v", err)
	}
	if _, err := s.CreateMailbox(ctx, u.ID, "inbox", ""); !errors.Is(err, ErrMailboxExists) {
		t.Fatalf("inbox in lower case: %v", err)
	}
	if _, err := s.CreateMailbox(ctx, u.ID, "Flagged", `\Flagged`); err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, u.ID, "Work/2026"); err != nil {
		t.Fatal(err)
	}
	deliverTo := func(name string) {
		if _, err := s.Append(ctx, u.ID, name, NewBody([]byte("m\r\n")), AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deliverTo("Work/2026/Q4")
	q4, _ := s.MailboxByName(ctx, u.ID, "Work/2026/Q4")
	if err := s.RenameMailbox(ctx, u.ID, "Work", "Jobs/Old"); err != nil {
		t.Fatal(err)
	}
	names := func() []string {
		mbs, _ := s.Mailboxes(ctx, u.ID)
		var out []string
		for _, m := range mbs {
			out = append(out, m.Name)
		}
		return out
	}
	want := []string{"Archive", "Drafts", "Flagged", "INBOX", "Jobs", "Jobs/Old", "Jobs/Old/2026", "Jobs/Old/2026/Q4", "Junk", "Sent", "Trash"}
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("after rename: %v", got)
	}
	moved, _ := s.MailboxByName(ctx, u.ID, "Jobs/Old/2026/Q4")
	if moved.ID != q4.ID || moved.Messages != 1 || moved.UIDValidity != q4.UIDValidity {
		t.Fatalf("renamed mailbox lost identity: %+v vs %+v", moved, q4)
	}
	if subs, _ := s.Subscriptions(ctx, u.ID); !slices.Contains(subs, "Jobs/Old/2026") {
		t.Fatalf("subscription did not follow: %v", subs)
	}
	// Renaming INBOX moves its messages and leaves an empty INBOX.
	deliverTo("INBOX")
	deliverTo("INBOX")
	if err := s.RenameMailbox(ctx, u.ID, "INBOX", "Old Inbox"); err != nil {
		t.Fatal(err)
	}
	in, _ := s.MailboxByName(ctx, u.ID, "INBOX")
	old, _ := s.MailboxByName(ctx, u.ID, "Old Inbox")
	if in.Messages != 0 || old.Messages != 2 {
		t.Fatalf("INBOX rename: inbox %d, old %d", in.Messages, old.Messages)
	}
	if err := s.DeleteMailbox(ctx, u.ID, "INBOX", false); !errors.Is(err, ErrCannotDelete) {
		t.Fatalf("delete INBOX: %v", err)
	}
	// Non-recursive delete keeps children; recursive removes them.
	if err := s.DeleteMailbox(ctx, u.ID, "Jobs/Old", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MailboxByName(ctx, u.ID, "Jobs/Old/2026"); err != nil {
		t.Fatalf("child gone: %v", err)
	}
	if err := s.DeleteMailbox(ctx, u.ID, "Jobs", true); err != nil {
		t.Fatal(err)
	}
	want = []string{"Archive", "Drafts", "Flagged", "INBOX", "Junk", "Old Inbox", "Sent", "Trash"}
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("after deletes: %v", got)
	}
	// Re-created names get a new UIDVALIDITY.
	m2, err := s.CreateMailbox(ctx, u.ID, "Jobs/Old/2026/Q4", "")
	if err != nil || m2.UIDValidity == q4.UIDValidity {
		t.Fatalf("recreated: %+v %v", m2, err)
	}
}

func TestQuota(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	if err := s.SetQuota(ctx, u.Address, Quota{MaxBytes: 100, MaxMessages: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckQuota(ctx, u.ID, 101); !errors.Is(err, ErrExceedsQuota) {
		t.Fatalf("too large: %v", err)
	}
	body := NewBody([]byte(strings.Repeat("x", 40)))
	for range 2 {
		if _, err := s.Append(ctx, u.ID, "INBOX", body, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CheckQuota(ctx, u.ID, 10); !errors.Is(err, ErrOverQuota) || errors.Is(err, ErrExceedsQuota) {
		t.Fatalf("message count: %v", err)
	}
	res, err := s.Submit(ctx, &Submission{Body: body, Local: []LocalDelivery{{UserID: u.ID}}})
	if err != nil || !errors.Is(res.Local[0].Err, ErrOverQuota) {
		t.Fatalf("delivery over quota: %+v %v", res, err)
	}
	in := inbox(t, s, u)
	if _, err := s.Copy(ctx, u.ID, in.ID, []uint32{1}, "Archive"); !errors.Is(err, ErrOverQuota) {
		t.Fatalf("copy over quota: %v", err)
	}
	if in.Messages != 2 {
		t.Fatalf("inbox %d", in.Messages)
	}
}

func TestWatchEvents(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	other := mustUser(t, s, "bob@example.test")
	var mu sync.Mutex
	var got []string
	cancel := s.Watch(u.ID, func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%d %s %v %v n=%d o=%v", e.Kind, e.Mailbox, e.UIDs, e.Flags, e.Messages, e.Origin))
	})
	deliver(t, s, "a\r\n", u, other)
	in := inbox(t, s, u)
	octx := WithOrigin(ctx, "session-1")
	s.StoreFlags(octx, u.ID, in.ID, []uint32{1}, FlagsAdd, []string{`\Seen`}, StoreFlagsOptions{})
	s.Move(ctx, u.ID, in.ID, []uint32{1}, "Trash")
	cancel()
	deliver(t, s, "b\r\n", u)
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		fmt.Sprintf("%d INBOX [1] [] n=1 o=<nil>", EventNew),
		fmt.Sprintf("%d INBOX [1] [[\\Seen]] n=1 o=session-1", EventFlags),
		fmt.Sprintf("%d Trash [1] [] n=1 o=<nil>", EventNew),
		fmt.Sprintf("%d INBOX [1] [] n=0 o=<nil>", EventExpunge),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConcurrentDelivery: 50 goroutines deliver into one mailbox at once;
// every message is there, UIDs unique and ascending, and the commits were
// shared (fewer transactions than messages).
func TestConcurrentDelivery(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	const workers, each = 50, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[uint32]string{}
	txBefore := s.commits.Load()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf("Subject: %d-%d\r\n\r\nx\r\n", w, i)
				res := deliver(t, s, body, u)
				mu.Lock()
				if prev, dup := seen[res.Local[0].UID]; dup {
					t.Errorf("UID %d given to %q and %q", res.Local[0].UID, prev, body)
				}
				seen[res.Local[0].UID] = body
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	in := inbox(t, s, u)
	msgs, err := s.ListMessages(ctx, u.ID, in.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != workers*each || in.Messages != workers*each || in.UIDNext != workers*each+1 {
		t.Fatalf("%d messages, counter %d, uidnext %d", len(msgs), in.Messages, in.UIDNext)
	}
	for i, m := range msgs {
		if m.UID != uint32(i+1) {
			t.Fatalf("UID %d at %d", m.UID, i)
		}
		b, _ := s.ReadBodyBytes(m.BodyID)
		if string(b) != seen[m.UID] {
			t.Fatalf("UID %d body %q, want %q", m.UID, b, seen[m.UID])
		}
	}
	txs := s.commits.Load() - txBefore
	t.Logf("%d deliveries in %d write transactions", workers*each, txs)
	if txs >= workers*each {
		t.Errorf("%d commits for %d concurrent deliveries: no commit was shared", txs, workers*each)
	}
}

// TestBatchFailureIsolated: an operation that fails inside a shared commit
// does not fail its neighbours.
func TestBatchFailureIsolated(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "INBOX"
			if i%4 == 0 {
				name = "Missing"
			}
			_, errs[i] = s.Append(ctx, u.ID, name, NewBody([]byte("x\r\n")), AppendOptions{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i%4 == 0) != errors.Is(err, ErrNoSuchMailbox) {
			t.Errorf("append %d: %v", i, err)
		}
	}
	if in := inbox(t, s, u); in.Messages != 30 {
		t.Fatalf("%d messages", in.Messages)
	}
}

func TestReadBodyLimits(t *testing.T) {
	b, err := ReadBody(strings.NewReader("a\nb\r\nc\rd\n"), 0)
	if err != nil || string(b.Bytes()) != "a\r\nb\r\nc\rd\r\n" {
		t.Fatalf("%q %v", b.Bytes(), err)
	}
	if _, err := ReadBody(strings.NewReader(strings.Repeat("x", 101)), 100); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit: %v", err)
	}
	if b, err := ReadBody(strings.NewReader(strings.Repeat("x", 100)), 100); err != nil || b.Size() != 100 {
		t.Fatalf("exactly the limit: %v", err)
	}
	long := bytes.Repeat([]byte("y"), 200<<10)
	b, _ = ReadBody(bytes.NewReader(long), 0)
	if !bytes.Equal(b.Bytes(), long) || len(b.chunks()) != 4 {
		t.Fatalf("long line: %d chunks", len(b.chunks()))
	}
	orig := *b
	b.Prepend([]byte("Return-Path: <a@b>\n"))
	if !bytes.HasPrefix(b.Bytes(), []byte("Return-Path: <a@b>\r\nyyy")) || b.Size() != int64(len(long)+20) {
		t.Fatal("prepend")
	}
	if !bytes.Equal(orig.Bytes(), long) {
		t.Fatal("prepend changed a copy of the body")
	}
	chunks := b.chunks()
	var joined []byte
	for i, c := range chunks {
		if i > 0 && i < len(chunks)-1 && len(c) != ChunkSize {
			t.Fatalf("chunk %d has %d bytes", i, len(c))
		}
		joined = append(joined, c...)
	}
	if !bytes.Equal(joined, b.Bytes()) {
		t.Fatal("stored chunks differ from the body")
	}
}

func TestLockedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mail.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(path, &Options{LockTimeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
}

// TestSlowReaderDoesNotBlockWriters: a reader stopped halfway through a
// large body (a slow client) holds no transaction, so writers that grow
// the file (and remap it) still commit.
func TestSlowReaderDoesNotBlockWriters(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	big := strings.Repeat("z", 5<<20)
	res := deliver(t, s, big, u)
	msgs, _ := s.GetMessages(ctx, u.ID, res.Local[0].MailboxID, []uint32{res.Local[0].UID})
	r, err := s.OpenBody(msgs[0].BodyID)
	if err != nil {
		t.Fatal(err)
	}
	half := make([]byte, 2<<20)
	if _, err := io.ReadFull(r, half); err != nil {
		t.Fatal(err)
	}
	sizeBefore := fileSize(t, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 40 { // 40 × 2 MiB: the file must grow past its mapping
			deliver(t, s, strings.Repeat("w", 2<<20), u)
		}
	}()
	<-done // would hang if the half-read body pinned a transaction
	if fileSize(t, s) <= sizeBefore {
		t.Fatal("file did not grow")
	}
	rest, err := io.ReadAll(r)
	if err != nil || len(rest)+len(half) != len(big) {
		t.Fatalf("rest of body: %d bytes, %v", len(rest), err)
	}
}

func fileSize(t *testing.T, s *Store) int64 {
	var n int64
	s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// TestCloseWhileWriting: writers racing with Close either commit or get
// ErrClosed; none hangs.
func TestCloseWhileWriting(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, s, "alice@example.test")
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, err := s.Append(ctx, u.ID, "INBOX", NewBody([]byte("x\r\n")), AppendOptions{})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// TestPrependedBodyRanges stores a body with prepended header lines (chunk
// 0 shorter than ChunkSize) and reads every range across the boundaries.
func TestPrependedBodyRanges(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	var raw []byte
	for i := 0; len(raw) < 2*ChunkSize+1000; i++ {
		raw = append(raw, fmt.Sprintf("line %d\n", i)...)
	}
	body, err := ReadBody(bytes.NewReader(raw), 0)
	if err != nil {
		t.Fatal(err)
	}
	body.Prepend([]byte("Received: by test\r\n"))
	body.Prepend([]byte("Return-Path: <a@b>\n"))
	want := body.Bytes()
	res, err := s.Submit(ctx, &Submission{Body: body, Local: []LocalDelivery{{UserID: u.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := s.GetMessages(ctx, u.ID, res.Local[0].MailboxID, []uint32{res.Local[0].UID})
	if msgs[0].Size != int64(len(want)) || !bytes.HasPrefix(want, []byte("Return-Path: <a@b>\r\nReceived: by test\r\nline 0\r\n")) {
		t.Fatalf("size %d / %d, start %q", msgs[0].Size, len(want), want[:40])
	}
	r, err := s.OpenBody(msgs[0].BodyID)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int{0, 10, 38, 39, 40, ChunkSize - 1, ChunkSize + 38, ChunkSize + 39, 2*ChunkSize + 39, len(want) - 5} {
		buf := make([]byte, min(100, len(want)-off))
		if _, err := r.ReadAt(buf, int64(off)); err != nil && err != io.EOF {
			t.Fatalf("ReadAt %d: %v", off, err)
		}
		if !bytes.Equal(buf, want[off:off+len(buf)]) {
			t.Fatalf("ReadAt %d: %q, want %q", off, buf, want[off:off+len(buf)])
		}
	}
	all, _ := s.ReadBodyBytes(msgs[0].BodyID)
	if !bytes.Equal(all, want) {
		t.Fatal("whole body differs")
	}
	more, err := s.AppendBody([]byte("prefix"), msgs[0].BodyID)
	if err != nil || !bytes.Equal(more, append([]byte("prefix"), want...)) {
		t.Fatalf("AppendBody: %v", err)
	}
}
