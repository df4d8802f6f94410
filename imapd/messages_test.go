package imapd

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mailserver/mailserver/store"
)

func appendMsg(t *testing.T, c *imapclient.Client, mailbox, msg string, opts *imap.AppendOptions) *imap.AppendData {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(msg)), opts)
	if _, err := cmd.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("APPEND %s: %v", mailbox, err)
	}
	return data
}

func TestAppendFetch(t *testing.T) {
	e := newTestEnv(t)
	c := e.client("alice@example.test", nil)
	date := time.Date(2024, 3, 4, 5, 6, 7, 0, time.FixedZone("", 3600))
	msg := testMessage(1)
	data := appendMsg(t, c, "INBOX", msg, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft, "$Label1"}, Time: date})
	if data.UID != 1 || data.UIDValidity == 0 {
		t.Errorf("APPENDUID: %+v", data)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection: []*imap.FetchItemBodySection{
			{Peek: true},
			{Specifier: imap.PartSpecifierHeader, Peek: true},
			{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Subject", "From"}, Peek: true},
			{Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: []string{"Subject", "From", "To", "Date"}, Peek: true},
			{Specifier: imap.PartSpecifierText, Peek: true, Partial: &imap.SectionPartial{Offset: 5, Size: 7}},
			{Part: []int{1}, Peek: true},
		},
		BinarySection: []*imap.FetchItemBinarySection{{Part: []int{1}, Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.UID != 1 || m.RFC822Size != int64(len(msg)) || !m.InternalDate.Equal(date) {
		t.Errorf("UID %d size %d date %v", m.UID, m.RFC822Size, m.InternalDate)
	}
	if !slices.Contains(m.Flags, imap.FlagDraft) || !slices.Contains(m.Flags, "$Label1") || slices.Contains(m.Flags, imap.FlagSeen) {
		t.Errorf("flags %v", m.Flags)
	}
	if m.Envelope.Subject != "message 1" || m.Envelope.From[0].Addr() != "sender@example.org" || m.Envelope.MessageID != "m1@example.org" {
		t.Errorf("envelope %+v", m.Envelope)
	}
	if bs, ok := m.BodyStructure.(*imap.BodyStructureSinglePart); !ok || bs.Type != "text" || bs.Size != 20 {
		t.Errorf("body structure %#v", m.BodyStructure)
	}
	want := []string{
		msg,
		msg[:strings.Index(msg, "\r\n\r\n")+4],
		"From: Sender <sender@example.org>\r\nSubject: message 1\r\n\r\n",
		"Message-ID: <m1@example.org>\r\n\r\n",
		"of mess",
		"Body of message 1.\r\n",
	}
	for i, w := range want {
		if got := string(m.BodySection[i].Bytes); got != w {
			t.Errorf("section %d: %q, want %q", i, got, w)
		}
	}
	if got := string(m.BinarySection[0].Bytes); got != "Body of message 1.\r\n" {
		t.Errorf("BINARY[1]: %q", got)
	}

	// A non-PEEK fetch sets \Seen and reports it.
	msgs, err = c.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierText}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(msgs[0].Flags, imap.FlagSeen) || msgs[0].UID != 1 {
		t.Errorf("after BODY[TEXT]: flags %v uid %d", msgs[0].Flags, msgs[0].UID)
	}

	// APPEND to a missing mailbox: TRYCREATE.
	cmd := c.Append("Nope", 3, nil)
	cmd.Write([]byte("x\r\n"))
	cmd.Close()
	if _, err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "TRYCREATE") {
		t.Errorf("APPEND to a missing mailbox: %v", err)
	}
}

// Large bodies are streamed from the store in chunks.
func TestFetchLargeBody(t *testing.T) {
	e := newTestEnv(t)
	var sb strings.Builder
	sb.WriteString("Subject: big\r\n\r\n")
	for sb.Len() < 3<<20 {
		sb.WriteString("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n")
	}
	e.deliver(e.alice, sb.String())
	c := e.client("alice@example.test", nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{
		{Peek: true}, {Specifier: imap.PartSpecifierText, Peek: true, Partial: &imap.SectionPartial{Offset: 70000, Size: 10}},
	}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(msgs[0].BodySection[0].Bytes); got != sb.String() {
		t.Errorf("BODY[]: %d bytes, want %d", len(got), sb.Len())
	}
	text := sb.String()[len("Subject: big\r\n\r\n"):]
	if got := string(msgs[0].BodySection[1].Bytes); got != text[70000:70010] {
		t.Errorf("BODY[TEXT]<70000.10>: %q", got)
	}
}

func TestStoreCopyMoveExpunge(t *testing.T) {
	e := newTestEnv(t)
	for i := 1; i <= 5; i++ {
		e.deliver(e.alice, testMessage(i))
	}
	var expunged []uint32
	c := e.client("alice@example.test", &imapclient.UnilateralDataHandler{Expunge: func(seq uint32) { expunged = append(expunged, seq) }})
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}

	// STORE +FLAGS, -FLAGS, FLAGS, keywords, .SILENT.
	msgs, err := c.Store(imap.SeqSetNum(1, 2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen, "$Work"}}, nil).Collect()
	if err != nil || len(msgs) != 2 || !slices.Contains(msgs[0].Flags, "$Work") {
		t.Fatalf("STORE +FLAGS: %+v %v", msgs, err)
	}
	msgs, err = c.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{"$work"}}, nil).Collect()
	if err != nil || len(msgs) != 1 || msgs[0].UID != 2 || slices.Contains(msgs[0].Flags, "$Work") {
		t.Fatalf("UID STORE -FLAGS: %+v %v", msgs, err)
	}
	msgs, err = c.Store(imap.SeqSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsSet, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Collect()
	if err != nil || len(msgs) != 0 {
		t.Fatalf("STORE FLAGS.SILENT: %+v %v", msgs, err)
	}
	m, _ := e.st.GetMessages(context.Background(), e.alice.ID, mailboxID(t, e, "INBOX"), []uint32{3})
	if !m[0].HasFlag(store.FlagFlagged) {
		t.Errorf("flags of 3: %v", m[0].Flags)
	}

	// COPY with COPYUID; TRYCREATE for a missing target.
	cd, err := c.Copy(imap.SeqSet{{Start: 4, Stop: 0}}, "Archive").Wait() // 4:*
	if err != nil {
		t.Fatal(err)
	}
	if cd.SourceUIDs.String() != "4:5" || cd.DestUIDs.String() != "1:2" {
		t.Errorf("COPYUID %v %v", cd.SourceUIDs, cd.DestUIDs)
	}
	if _, err := c.Copy(imap.SeqSetNum(1), "Nope").Wait(); err == nil || !strings.Contains(err.Error(), "TRYCREATE") {
		t.Errorf("COPY to missing: %v", err)
	}

	// MOVE message 1 of 5: COPYUID and exactly one "* 1 EXPUNGE".
	md, err := c.Move(imap.SeqSetNum(1), "Trash").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if md.SourceUIDs.String() != "1" || md.DestUIDs.String() != "1" {
		t.Errorf("MOVE COPYUID %v %v", md.SourceUIDs, md.DestUIDs)
	}
	if !slices.Equal(expunged, []uint32{1}) {
		t.Errorf("MOVE expunges %v, want [1]", expunged)
	}

	// EXPUNGE removes \Deleted only: now UIDs 2..5 are seqs 1..4.
	expunged = nil
	if _, err := c.Store(imap.SeqSetNum(2, 4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	expunged, err = c.Expunge().Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(expunged, []uint32{4, 2}) {
		t.Errorf("EXPUNGE %v, want [4 2]", expunged)
	}
	// UID EXPUNGE removes only the given \Deleted messages.
	expunged = nil
	c.Store(imap.UIDSetNum(2, 4), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	expunged, err = c.UIDExpunge(imap.UIDSetNum(4)).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(expunged, []uint32{2}) {
		t.Errorf("UID EXPUNGE %v, want [2]", expunged)
	}
	if n := c.Mailbox().NumMessages; n != 1 {
		t.Errorf("client sees %d messages, want 1 (UID 2)", n)
	}

	// CLOSE expunges silently; UNSELECT does not.
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait(); *st.NumMessages != 1 {
		t.Errorf("after UNSELECT: %d messages", *st.NumMessages)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.UnselectAndExpunge().Wait(); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait(); *st.NumMessages != 0 {
		t.Errorf("after CLOSE: %d messages", *st.NumMessages)
	}
}

func mailboxID(t *testing.T, e *testEnv, name string) uint64 {
	t.Helper()
	mb, err := e.st.MailboxByName(context.Background(), e.alice.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return mb.ID
}

// EXAMINE is read-only: no STORE, EXPUNGE or MOVE, no implicit \Seen, and
// CLOSE removes nothing.
func TestExamineReadOnly(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, testMessage(1))
	e.st.StoreFlags(context.Background(), e.alice.ID, mailboxID(t, e, "INBOX"), []uint32{1}, store.FlagsAdd, []string{store.FlagDeleted}, store.StoreFlagsOptions{})
	rc := e.rawLogin("alice@example.test")
	_, tagged := rc.cmd("EXAMINE INBOX")
	if !strings.Contains(tagged, "[READ-ONLY]") {
		t.Errorf("EXAMINE: %s", tagged)
	}
	rc.no(`STORE 1 +FLAGS (\Seen)`)
	rc.no(`EXPUNGE`)
	rc.no(`MOVE 1 Trash`)
	u := rc.ok(`FETCH 1 (BODY[TEXT] FLAGS)`)
	if len(u) != 1 || strings.Contains(u[0], `\Seen`) {
		t.Errorf("FETCH after EXAMINE: %q", u)
	}
	rc.ok(`CLOSE`)
	if st, _ := e.st.MailboxByName(context.Background(), e.alice.ID, "INBOX"); st.Messages != 1 || st.Unseen != 1 {
		t.Errorf("after EXAMINE+CLOSE: %d messages, %d unseen", st.Messages, st.Unseen)
	}
}

func TestQuota(t *testing.T) {
	e := newTestEnv(t)
	if err := e.st.SetQuota(context.Background(), "alice@example.test", store.Quota{MaxMessages: 2}); err != nil {
		t.Fatal(err)
	}
	c := e.client("alice@example.test", nil)
	appendMsg(t, c, "INBOX", testMessage(1), nil)
	appendMsg(t, c, "INBOX", testMessage(2), nil)
	cmd := c.Append("INBOX", int64(len(testMessage(3))), nil)
	cmd.Write([]byte(testMessage(3)))
	cmd.Close()
	if _, err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "OVERQUOTA") {
		t.Errorf("APPEND over quota: %v", err)
	}
	c.Select("INBOX", nil).Wait()
	if _, err := c.Copy(imap.SeqSetNum(1), "Archive").Wait(); err == nil || !strings.Contains(err.Error(), "OVERQUOTA") {
		t.Errorf("COPY over quota: %v", err)
	}
	// The literal limit is the message size limit (APPENDLIMIT).
	rc := e.rawLogin("alice@example.test")
	if got := rc.no(`APPEND INBOX {26214401}`); !strings.Contains(got, "TOOBIG") {
		t.Errorf("APPEND over the limit: %s", got)
	}
}
