package webmail

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// flagsOf is a message's flags in the store.
func (e *testEnv) flagsOf(u *store.User, mailbox string, uid uint32) []string {
	e.t.Helper()
	msgs, err := e.st.GetMessages(context.Background(), u.ID, e.mailbox(u, mailbox).ID, []uint32{uid})
	if err != nil || len(msgs) != 1 {
		e.t.Fatalf("message %s/%d: %v %v", mailbox, uid, msgs, err)
	}
	return msgs[0].Flags
}

func TestActFlags(t *testing.T) {
	e := newTestEnv(t)
	u1 := e.deliver(e.alice, "INBOX", "Subject: one\n\nx\n")
	u2 := e.deliver(e.alice, "INBOX", "Subject: two\n\nx\n")
	inbox := e.mailbox(e.alice, "INBOX")
	c := e.client().mustLogin("alice@example.test")
	act := func(op string, uids ...uint32) *http.Response {
		v := url.Values{"mailbox": {fmt.Sprint(inbox.ID)}, "op": {op}, "back": {fmt.Sprintf("/webmail/mailbox/%d", inbox.ID)}}
		for _, u := range uids {
			v.Add("uid", fmt.Sprint(u))
		}
		r, _ := c.post("/webmail/messages", v)
		return r
	}
	if r := act("read", u1, u2); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("read: %s", r.Status)
	}
	if e.mailbox(e.alice, "INBOX").Unseen != 0 {
		t.Fatal("not marked read")
	}
	act("unread", u2)
	act("flag", u1)
	if f := e.flagsOf(e.alice, "INBOX", u1); strings.Join(f, " ") != `\Flagged \Seen` && strings.Join(f, " ") != `\Seen \Flagged` {
		t.Errorf("u1 flags %v", f)
	}
	if f := e.flagsOf(e.alice, "INBOX", u2); len(f) != 0 {
		t.Errorf("u2 flags %v", f)
	}
	act("unflag", u1)
	if f := e.flagsOf(e.alice, "INBOX", u1); len(f) != 1 {
		t.Errorf("u1 flags after unflag %v", f)
	}
	if r := act("explode", u1); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "notice=Unknown") {
		t.Errorf("unknown op: %s %q", r.Status, r.Header.Get("Location"))
	}
	// The page's script posts with the header token and wants a status.
	req, _ := http.NewRequest("POST", e.srv.URL+"/webmail/messages", strings.NewReader(url.Values{"mailbox": {fmt.Sprint(inbox.ID)}, "op": {"flag"}, "uid": {fmt.Sprint(u2)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", c.csrf)
	req.Header.Set("X-Requested-With", "fetch")
	if r, _ := c.do(req); r.StatusCode != http.StatusNoContent {
		t.Errorf("fetch flag: %s", r.Status)
	}
	if f := e.flagsOf(e.alice, "INBOX", u2); len(f) != 1 || f[0] != `\Flagged` {
		t.Errorf("u2 flags %v", f)
	}
}

func TestActMoveAndDelete(t *testing.T) {
	e := newTestEnv(t)
	u1 := e.deliver(e.alice, "INBOX", "Subject: one\n\nx\n")
	u2 := e.deliver(e.alice, "INBOX", "Subject: two\n\nx\n")
	e.deliver(e.alice, "INBOX", "Subject: three\n\nx\n")
	inbox := e.mailbox(e.alice, "INBOX")
	c := e.client().mustLogin("alice@example.test")
	post := func(v url.Values) *http.Response {
		r, _ := c.post("/webmail/messages", v)
		return r
	}
	post(url.Values{"mailbox": {fmt.Sprint(inbox.ID)}, "op": {"move"}, "dest": {"Archive"}, "uid": {fmt.Sprint(u1)}})
	if e.mailbox(e.alice, "Archive").Messages != 1 || e.mailbox(e.alice, "INBOX").Messages != 2 {
		t.Fatal("move did not move")
	}
	r := post(url.Values{"mailbox": {fmt.Sprint(inbox.ID)}, "op": {"move"}, "dest": {"Nowhere"}, "uid": {fmt.Sprint(u2)}})
	if !strings.Contains(r.Header.Get("Location"), "notice=There+is+no+folder") {
		t.Errorf("move to a missing folder: %q", r.Header.Get("Location"))
	}
	// Delete moves to Trash; deleting there removes for good.
	post(url.Values{"uid": {fmt.Sprintf("%d:%d", inbox.ID, u2)}, "op": {"delete"}})
	trash := e.mailbox(e.alice, "Trash")
	if trash.Messages != 1 || e.mailbox(e.alice, "INBOX").Messages != 1 {
		t.Fatalf("delete: trash %d, inbox %d", trash.Messages, e.mailbox(e.alice, "INBOX").Messages)
	}
	post(url.Values{"mailbox": {fmt.Sprint(trash.ID)}, "op": {"delete"}, "uid": {"1"}})
	if e.mailbox(e.alice, "Trash").Messages != 0 {
		t.Fatal("delete in Trash kept the message")
	}
	// Bad selections.
	if r := post(url.Values{"mailbox": {fmt.Sprint(inbox.ID)}, "op": {"read"}, "uid": {"abc"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad uid: %s", r.Status)
	}
	many := make([]string, maxSelection+1)
	for i := range many {
		many[i] = fmt.Sprint(i + 1)
	}
	if r := post(url.Values{"mailbox": {fmt.Sprint(inbox.ID)}, "op": {"read"}, "uid": {strings.Join(many, ",")}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("too many: %s", r.Status)
	}
}

func TestFolders(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	r, _ := c.post("/webmail/folders/create", url.Values{"name": {"Projects"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatal(r.Status)
	}
	c.post("/webmail/folders/create", url.Values{"name": {"2026"}, "parent": {"Projects"}})
	e.mailbox(e.alice, "Projects/2026")
	r, _ = c.post("/webmail/folders/create", url.Values{"name": {"Projects"}})
	if !strings.Contains(r.Header.Get("Location"), "exists") {
		t.Errorf("duplicate: %q", r.Header.Get("Location"))
	}
	c.post("/webmail/folders/rename", url.Values{"name": {"Projects"}, "new": {"Work"}})
	e.mailbox(e.alice, "Work/2026")
	e.deliver(e.alice, "Work", "Subject: x\n\nx\n")
	r, _ = c.post("/webmail/folders/delete", url.Values{"name": {"Work"}})
	if !strings.Contains(r.Header.Get("Location"), "confirm") {
		t.Errorf("unconfirmed delete: %q", r.Header.Get("Location"))
	}
	c.post("/webmail/folders/delete", url.Values{"name": {"Work"}, "confirm": {"yes"}})
	if _, err := e.st.MailboxByName(context.Background(), e.alice.ID, "Work"); err == nil {
		t.Error("Work not deleted")
	}
	r, _ = c.post("/webmail/folders/delete", url.Values{"name": {"Trash"}, "confirm": {"yes"}})
	if !strings.Contains(r.Header.Get("Location"), "special") {
		t.Errorf("special folder delete: %q", r.Header.Get("Location"))
	}
	e.mailbox(e.alice, "Trash")
	_, page := c.get("/webmail/folders")
	if !strings.Contains(page, `data-mailbox="Work/2026"`) {
		t.Error("folder page lacks the subfolder")
	}
}

func TestSearchPage(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, "INBOX", "From: Carol <carol@example.org>\nSubject: quarterly report\n\nnumbers inside\n")
	e.deliver(e.alice, "Archive", "From: dave@example.org\nSubject: lunch\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nthe caf=C3=A9 at noon\n", `\Flagged`)
	e.deliver(e.bob, "INBOX", "From: carol@example.org\nSubject: bob's quarterly report\n\nx\n")
	c := e.client().mustLogin("alice@example.test")
	count := func(q string) int {
		r, page := c.get("/webmail/search?" + q)
		if r.StatusCode != 200 {
			t.Fatalf("search %s: %s", q, r.Status)
		}
		return strings.Count(page, "<tr data-uid=")
	}
	for q, want := range map[string]int{
		"q=quarterly": 1, "q=café": 1, "from=carol": 1, "subject=lunch": 1, "body=numbers": 1,
		"flag=flagged": 1, "flag=unread": 2, "q=nothing-like-this": 0, "q=report&from=dave": 0,
		"since=2000-01-01&before=2999-12-31": 2, "before=2000-01-01": 0,
	} {
		if got := count(q); got != want {
			t.Errorf("search %s: %d hits, want %d", q, got, want)
		}
	}
	archive := e.mailbox(e.alice, "Archive")
	if got := count(fmt.Sprintf("q=lunch&mailbox=%d", archive.ID)); got != 1 {
		t.Errorf("in Archive: %d", got)
	}
	if got := count(fmt.Sprintf("q=lunch&mailbox=%d", e.mailbox(e.alice, "INBOX").ID)); got != 0 {
		t.Errorf("in INBOX: %d", got)
	}
	_, page := c.get("/webmail/search?since=yesterday")
	if !strings.Contains(page, "Dates are written like") {
		t.Error("bad date not explained")
	}
	// Results act across folders ("MAILBOX:UID" keys).
	_, page = c.get("/webmail/search?q=report")
	if !strings.Contains(page, fmt.Sprintf(`value="%d:1"`, e.mailbox(e.alice, "INBOX").ID)) {
		t.Error("search result without qualified key")
	}
}

func TestRequestLimits(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.MaxFormBytes = 1000; o.MaxUploadBytes = 5000 })
	c := e.client().mustLogin("alice@example.test")
	r, _ := c.post("/webmail/folders/create", url.Values{"name": {strings.Repeat("x", 2000)}})
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("big form: %s", r.Status)
	}
	body := "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + c.csrf + "\r\n--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n" + strings.Repeat("y", 10000) + "\r\n--b--\r\n"
	req, _ := http.NewRequest("POST", e.srv.URL+"/webmail/folders/create", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	if r, _ := c.do(req); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("big upload: %s", r.Status)
	}
	r, _ = c.get("/webmail/search?q=" + strings.Repeat("x", maxSearchText+1))
	if r.StatusCode != 200 {
		t.Errorf("long search: %s", r.Status)
	}
}

// TestMarkUnreadFromView: "mark unread" in the message view leaves it
// unread (the view is not shown again, which would mark it read).
func TestMarkUnreadFromView(t *testing.T) {
	e := newTestEnv(t)
	uid := e.deliver(e.alice, "INBOX", "Subject: one\n\nx\n")
	inbox := e.mailbox(e.alice, "INBOX")
	c := e.client().mustLogin("alice@example.test")
	view := fmt.Sprintf("/webmail/message/%d/%d", inbox.ID, uid)
	c.get(view)
	if e.mailbox(e.alice, "INBOX").Unseen != 0 {
		t.Fatal("opening did not mark read")
	}
	r, _ := c.post("/webmail/messages", url.Values{"mailbox": {fmt.Sprint(inbox.ID)}, "uid": {fmt.Sprint(uid)}, "op": {"unread"}, "back": {view}})
	loc := r.Header.Get("Location")
	if strings.HasPrefix(loc, "/webmail/message/") {
		t.Fatalf("back to the view: %q", loc)
	}
	c.get(loc)
	// The page's live refresh of a view does not mark read either.
	req, _ := http.NewRequest("GET", e.srv.URL+view, nil)
	req.Header.Set("X-Requested-With", "fetch")
	c.do(req)
	if e.mailbox(e.alice, "INBOX").Unseen != 1 {
		t.Fatal("marked read again")
	}
}
