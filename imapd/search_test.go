package imapd

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/mailserver/mailserver/store"
)

func TestSearch(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2025, 6, d, 12, 0, 0, 0, time.UTC) }
	msgs := []string{
		"From: Ann <ann@example.org>\r\nTo: alice@example.test\r\nCc: carl@example.org\r\nSubject: Quarterly report\r\nDate: Sun, 01 Jun 2025 10:00:00 +0000\r\nX-Tag: blue\r\n\r\nNumbers are up.\r\n",
		"From: Bob <bob@example.org>\r\nTo: alice@example.test\r\nSubject: =?iso-8859-1?q?Caf=E9?= tonight\r\nDate: Tue, 03 Jun 2025 10:00:00 +0000\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSee you at the caf=E9, d=E9j=E0 vu.\r\n",
		"From: Ann <ann@example.org>\r\nTo: alice@example.test\r\nBcc: hidden@example.org\r\nSubject: photos\r\nDate: Thu, 05 Jun 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nHoliday pictures attached.\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+U3VubnkgYmVhY2g8L2I+\r\n--b1\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b1--\r\n",
		"From: Dan <dan@example.org>\r\nTo: alice@example.test\r\nSubject: no date header\r\n\r\n" + strings.Repeat("padding line\r\n", 200),
	}
	c := e.client("alice@example.test", nil)
	for i, m := range msgs {
		appendMsg(t, c, "INBOX", m, &imap.AppendOptions{Time: day(2 * (i + 1))}) // internal dates 2, 4, 6, 8 June
	}
	inbox := mailboxID(t, e, "INBOX")
	e.st.StoreFlags(ctx, e.alice.ID, inbox, []uint32{1, 2}, store.FlagsAdd, []string{store.FlagSeen}, store.StoreFlagsOptions{})
	e.st.StoreFlags(ctx, e.alice.ID, inbox, []uint32{2}, store.FlagsAdd, []string{store.FlagFlagged, "$Important"}, store.StoreFlagsOptions{})
	e.st.StoreFlags(ctx, e.alice.ID, inbox, []uint32{4}, store.FlagsAdd, []string{store.FlagDeleted, store.FlagAnswered, store.FlagDraft}, store.StoreFlagsOptions{})
	rc := e.rawLogin("alice@example.test")
	rc.ok("SELECT INBOX")

	for _, tc := range []struct{ query, want string }{
		{"ALL", "1 2 3 4"},
		{"SEEN", "1 2"}, {"UNSEEN", "3 4"}, {"FLAGGED", "2"}, {"UNFLAGGED", "1 3 4"},
		{"DELETED", "4"}, {"UNDELETED", "1 2 3"}, {"ANSWERED", "4"}, {"UNANSWERED", "1 2 3"},
		{"DRAFT", "4"}, {"UNDRAFT", "1 2 3"}, {"KEYWORD $important", "2"}, {"UNKEYWORD $Important", "1 3 4"},
		{"RECENT", "1 2 3 4"}, {"NEW", "3 4"}, {"OLD", ""}, // recent here: this IMAP4rev1 session selected them first
		{"FROM ann", "1 3"}, {"TO alice", "1 2 3 4"}, {"CC carl", "1"}, {"BCC hidden", "3"},
		{"SUBJECT café", "2"}, {"SUBJECT REPORT", "1"}, {`HEADER X-Tag ""`, "1"}, {"HEADER X-Tag BLUE", "1"},
		{"BODY holiday", "3"}, {"BODY beach", "3"}, {"BODY déjà", "2"}, {"BODY report", ""}, {"TEXT report", "1"},
		{"TEXT ann@", "1 3"},
		{"SINCE 4-Jun-2025", "2 3 4"}, {"BEFORE 4-Jun-2025", "1"}, {"ON 6-Jun-2025", "3"},
		{"SENTSINCE 3-Jun-2025", "2 3"}, {"SENTBEFORE 3-Jun-2025", "1"}, {"SENTON 5-Jun-2025", "3"},
		{"LARGER 1000", "4"}, {"SMALLER 200", "1"},
		{"2:3", "2 3"}, {"3:*", "3 4"}, {"UID 2,4", "2 4"}, {"UID 3:*", "3 4"},
		{"NOT SEEN", "3 4"}, {"OR FLAGGED DELETED", "2 4"}, {"OR (FROM ann SEEN) DRAFT", "1 4"},
		{"NOT (OR FROM ann FROM bob)", "4"}, {"SEEN NOT FLAGGED", "1"},
		{"CHARSET UTF-8 BODY déjà", "2"},
	} {
		u := rc.ok("SEARCH " + tc.query)
		want := "* SEARCH"
		if tc.want != "" {
			want += " " + tc.want
		}
		if len(u) != 1 || u[0] != want {
			t.Errorf("SEARCH %s: %q, want %q", tc.query, u, want)
		}
	}

	// UID SEARCH and ESEARCH return options; SAVE and $.
	if u := rc.ok("UID SEARCH FROM ann"); u[0] != "* SEARCH 1 3" {
		t.Errorf("UID SEARCH: %q", u)
	}
	if u := rc.ok("SEARCH RETURN (MIN MAX COUNT) UNDELETED"); u[0] != `* ESEARCH (TAG "T`+itoa(uint32(rc.tag))+`") MIN 1 MAX 3 COUNT 3` {
		t.Errorf("ESEARCH: %q", u)
	}
	rc.ok("SEARCH RETURN (SAVE) FROM ann")
	if u := rc.ok("FETCH $ (UID)"); len(u) != 2 {
		t.Errorf("FETCH $: %q", u)
	}
	if u := rc.ok("UID SEARCH UID $ SEEN"); u[0] != "* SEARCH 1" {
		t.Errorf("SEARCH UID $: %q", u)
	}
	if _, tagged := rc.cmd("SEARCH CHARSET KOI8-R ALL"); !strings.Contains(tagged, "BADCHARSET") {
		t.Errorf("unknown charset: %s", tagged)
	}

	// The go-imap client agrees.
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Body: []string{"beach"}}, {Larger: 1000}}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if got := data.AllUIDs(); !slices.Equal(got, []imap.UID{3, 4}) {
		t.Errorf("client UID SEARCH: %v", got)
	}
}
