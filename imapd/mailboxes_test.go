package imapd

import (
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func TestListDefaultsAndSpecialUse(t *testing.T) {
	e := newTestEnv(t)
	c := e.client("alice@example.test", nil)

	// Thunderbird: LIST (SUBSCRIBED) "" "*" RETURN (SPECIAL-USE). The
	// default folders are subscribed by the store.
	list, err := c.List("", "*", &imap.ListOptions{SelectSubscribed: true, ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]imap.MailboxAttr{}
	for _, l := range list {
		if l.Delim != '/' {
			t.Errorf("%s: delimiter %q", l.Mailbox, l.Delim)
		}
		got[l.Mailbox] = l.Attrs
	}
	for name, use := range map[string]imap.MailboxAttr{"Sent": imap.MailboxAttrSent, "Drafts": imap.MailboxAttrDrafts,
		"Trash": imap.MailboxAttrTrash, "Junk": imap.MailboxAttrJunk, "Archive": imap.MailboxAttrArchive} {
		if !slices.Contains(got[name], use) || !slices.Contains(got[name], imap.MailboxAttrSubscribed) {
			t.Errorf("%s: attributes %v, want %s and \\Subscribed", name, got[name], use)
		}
	}
	if _, ok := got["INBOX"]; !ok {
		t.Errorf("INBOX not listed: %v", got)
	}

	// RETURN (SPECIAL-USE) with the SPECIAL-USE selection.
	list, err = c.List("", "*", &imap.ListOptions{SelectSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 5 {
		t.Errorf("LIST (SPECIAL-USE): %d mailboxes, want 5", len(list))
	}

	// CREATE-SPECIAL-USE.
	if err := c.Create("All Mail", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrAll}}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Bad", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{"\\Nonsense"}}).Wait(); err == nil || !strings.Contains(err.Error(), "USEATTR") {
		t.Errorf("CREATE with unknown USE: %v", err)
	}
	list, err = c.List("", "All Mail", nil).Collect()
	if err != nil || len(list) != 1 || !slices.Contains(list[0].Attrs, imap.MailboxAttrAll) {
		t.Errorf("All Mail: %+v %v", list, err)
	}
}

func TestMailboxCommands(t *testing.T) {
	e := newTestEnv(t)
	rc := e.rawLogin("alice@example.test")

	// LIST "" "": the delimiter.
	u := rc.ok(`LIST "" ""`)
	if len(u) != 1 || u[0] != `* LIST (\Noselect) "/" ""` {
		t.Errorf(`LIST "" "": %q`, u)
	}
	rc.ok(`CREATE Projects/2026/Q1`) // parents are created
	rc.ok(`CREATE "Reports/"`)       // trailing delimiter (RFC 9051 §6.3.4)
	if got := rc.no(`CREATE Projects`); !strings.Contains(got, "ALREADYEXISTS") {
		t.Errorf("CREATE existing: %s", got)
	}
	if got := rc.no(`CREATE inbox`); !strings.Contains(got, "ALREADYEXISTS") {
		t.Errorf("CREATE inbox: %s", got)
	}
	u = rc.ok(`LIST "" "Projects/%"`)
	if len(u) != 1 || u[0] != `* LIST (\HasChildren) "/" "Projects/2026"` {
		t.Errorf("LIST Projects/%%: %q", u)
	}
	u = rc.ok(`LIST "Projects/" "*"`)
	if len(u) != 2 {
		t.Errorf("LIST with reference: %q", u)
	}
	u = rc.ok(`LIST "" "inbox"`) // INBOX is case-insensitive
	if len(u) != 1 || !strings.HasSuffix(u[0], `"/" INBOX`) {
		t.Errorf("LIST inbox: %q", u)
	}
	u = rc.ok(`LIST "" "Reports"`)
	if len(u) != 1 || !strings.Contains(u[0], `\HasNoChildren`) {
		t.Errorf("LIST Reports: %q", u)
	}

	// RENAME moves children; subscriptions follow.
	rc.ok(`SUBSCRIBE Projects/2026`)
	rc.ok(`RENAME Projects Work`)
	u = rc.ok(`LIST "" "Work/*"`)
	if len(u) != 2 {
		t.Errorf("after rename: %q", u)
	}
	u = rc.ok(`LSUB "" "Work/*"`)
	if len(u) != 1 || !strings.Contains(u[0], `"Work/2026"`) {
		t.Errorf("LSUB after rename: %q", u)
	}
	if got := rc.no(`RENAME Nope Other`); !strings.Contains(got, "NONEXISTENT") {
		t.Errorf("RENAME missing: %s", got)
	}
	if got := rc.no(`RENAME Work Sent`); !strings.Contains(got, "ALREADYEXISTS") {
		t.Errorf("RENAME onto existing: %s", got)
	}

	// UNSUBSCRIBE; LIST-EXTENDED SUBSCRIBED with RECURSIVEMATCH.
	u = rc.ok(`LIST (SUBSCRIBED RECURSIVEMATCH) "" "Work"`)
	if len(u) != 1 || !strings.Contains(u[0], `CHILDINFO ("SUBSCRIBED")`) {
		t.Errorf("RECURSIVEMATCH: %q", u)
	}
	rc.ok(`UNSUBSCRIBE Work/2026`)
	if u := rc.ok(`LSUB "" "Work/*"`); len(u) != 0 {
		t.Errorf("LSUB after UNSUBSCRIBE: %q", u)
	}

	// DELETE keeps children; the parent lists as \Noselect.
	rc.ok(`DELETE Work`)
	u = rc.ok(`LIST "" "Work*"`)
	if len(u) != 3 || !strings.Contains(u[0], `\Noselect`) {
		t.Errorf("after DELETE of a parent: %q", u)
	}
	if got := rc.no(`SELECT Work`); !strings.Contains(got, "NONEXISTENT") {
		t.Errorf("SELECT deleted: %s", got)
	}
	if got := rc.no(`DELETE INBOX`); !strings.Contains(got, "CANNOT") {
		t.Errorf("DELETE INBOX: %s", got)
	}
	if got := rc.no(`DELETE Nope`); !strings.Contains(got, "NONEXISTENT") {
		t.Errorf("DELETE missing: %s", got)
	}

	// STATUS, and LIST-STATUS.
	e.deliver(e.alice, testMessage(1))
	e.deliver(e.alice, testMessage(2))
	u = rc.ok(`STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT)`)
	if len(u) != 1 || !strings.Contains(u[0], "MESSAGES 2") || !strings.Contains(u[0], "UNSEEN 2") ||
		!strings.Contains(u[0], "UIDNEXT 3") || !strings.Contains(u[0], "DELETED 0") || !strings.Contains(u[0], "SIZE ") {
		t.Errorf("STATUS: %q", u)
	}
	u = rc.ok(`LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN))`)
	if len(u) != 2 || !strings.HasPrefix(u[1], `* STATUS INBOX (MESSAGES 2 UNSEEN 2)`) {
		t.Errorf("LIST-STATUS: %q", u)
	}
	u = rc.ok(`LIST "" "%" RETURN (CHILDREN SUBSCRIBED)`)
	if len(grep(u, `\Subscribed`)) < 6 {
		t.Errorf("RETURN (SUBSCRIBED): %q", u)
	}

	// RENAME INBOX moves its messages and leaves INBOX empty.
	rc.ok(`RENAME INBOX Old`)
	u = rc.ok(`STATUS INBOX (MESSAGES)`)
	if !strings.Contains(u[0], "MESSAGES 0") {
		t.Errorf("INBOX after RENAME INBOX: %q", u)
	}
	u = rc.ok(`STATUS Old (MESSAGES)`)
	if !strings.Contains(u[0], "MESSAGES 2") {
		t.Errorf("Old after RENAME INBOX: %q", u)
	}
}

// Mailbox names in modified UTF-7 (IMAP4rev1) are stored as UTF-8.
func TestMailboxNamesUTF7(t *testing.T) {
	e := newTestEnv(t)
	rc := e.rawLogin("alice@example.test")
	rc.ok(`CREATE "Entw&APw-rfe"`) // Entwürfe
	if _, err := e.st.MailboxByName(t.Context(), e.alice.ID, "Entwürfe"); err != nil {
		t.Fatalf("stored name: %v", err)
	}
	u := rc.ok(`LIST "" "Entw*"`)
	if len(u) != 1 || !strings.HasSuffix(u[0], `"Entw&APw-rfe"`) {
		t.Errorf("LIST: %q", u)
	}
	rc.no(`CREATE "bad&-name-&Jjo"`) // invalid modified UTF-7
	rc.no("CREATE \"a//b\"")         // empty level
}
