package webmail

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEveryHandlerNeedsSession asks every route without a session: pages
// redirect to the login form, everything else is refused, and nothing of
// the mail shows.
func TestEveryHandlerNeedsSession(t *testing.T) {
	e := newTestEnv(t)
	uid := e.deliver(e.alice, "INBOX", "From: x@example.org\nSubject: secret subject\n\nsecret body\n")
	inbox := e.mailbox(e.alice, "INBOX")
	msg := fmt.Sprintf("/webmail/message/%d/%d", inbox.ID, uid)
	gets := []string{"/webmail/", fmt.Sprintf("/webmail/mailbox/%d", inbox.ID), msg, msg + "/frame", msg + "/part/1",
		msg + "/raw", "/webmail/folders", "/webmail/search?q=secret", "/webmail/events"}
	c := e.client()
	for _, p := range gets {
		r, body := c.get(p)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/webmail/login" {
			t.Errorf("GET %s without session: %s %q", p, r.Status, r.Header.Get("Location"))
		}
		if strings.Contains(body, "secret") {
			t.Errorf("GET %s without session shows the mail", p)
		}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/webmail/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	if r, _ := c.do(req); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("event stream without session: %s", r.Status)
	}
	posts := []string{"/webmail/logout", "/webmail/messages", "/webmail/folders/create", "/webmail/folders/rename", "/webmail/folders/delete"}
	for _, p := range posts {
		r, _ := c.post(p, url.Values{"csrf": {"x"}, "mailbox": {fmt.Sprint(inbox.ID)}, "uid": {fmt.Sprint(uid)}, "op": {"delete"}, "name": {"New"}})
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s without session: %s", p, r.Status)
		}
	}
	if got := e.mailbox(e.alice, "INBOX").Messages; got != 1 {
		t.Fatalf("a refused request changed the mailbox: %d messages", got)
	}
}

// TestIsolation: alice cannot read, move, flag or delete bob's message by
// naming its mailbox ID and UID.
func TestIsolation(t *testing.T) {
	e := newTestEnv(t)
	uid := e.deliver(e.bob, "INBOX", "From: x@example.org\nSubject: bob's secret\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nsecret text\n--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=secret.pdf\n\n%PDF\n--b--\n")
	bobInbox := e.mailbox(e.bob, "INBOX")
	// Mailbox IDs and UIDs are per user: alice's own message has the
	// same numbers, and naming them shows hers.
	if own := e.deliver(e.alice, "INBOX", "From: y@example.org\nSubject: alice's own\n\nmine\n"); own != uid || e.mailbox(e.alice, "INBOX").ID != bobInbox.ID {
		t.Logf("numbers differ: alice's %d, bob's %d", own, uid)
	}
	c := e.client().mustLogin("alice@example.test")
	msg := fmt.Sprintf("/webmail/message/%d/%d", bobInbox.ID, uid)
	for _, p := range []string{msg, msg + "/frame", msg + "/part/2", msg + "/raw",
		fmt.Sprintf("/webmail/mailbox/%d", bobInbox.ID), fmt.Sprintf("/webmail/search?q=secret&mailbox=%d", bobInbox.ID),
		"/webmail/search?q=secret"} {
		r, body := c.get(p)
		if strings.Contains(body, "secret") && !strings.Contains(body, `value="secret"`) {
			t.Errorf("GET %s: alice sees bob's mail (%s)", p, r.Status)
		}
		if strings.Contains(body, "bob&#39;s secret") || strings.Contains(body, "%PDF") {
			t.Errorf("GET %s: alice sees bob's mail", p)
		}
	}
	if _, page := c.get(msg); !strings.Contains(page, "alice&#39;s own") {
		t.Error("alice's own message not shown under its numbers")
	}
	// Acting on those numbers acts on alice's own message only.
	for _, op := range []string{"read", "flag", "delete", "move"} {
		for _, sel := range []url.Values{
			{"mailbox": {fmt.Sprint(bobInbox.ID)}, "uid": {fmt.Sprint(uid)}},
			{"uid": {fmt.Sprintf("%d:%d", bobInbox.ID, uid)}},
		} {
			sel.Set("op", op)
			sel.Set("dest", "Archive")
			c.post("/webmail/messages", sel)
		}
	}
	after := e.mailbox(e.bob, "INBOX")
	if after.Messages != 1 || after.Unseen != 1 {
		t.Fatalf("bob's INBOX changed by alice: %+v", after)
	}
	msgs, err := e.st.GetMessages(t.Context(), e.bob.ID, bobInbox.ID, []uint32{uid})
	if err != nil || len(msgs) != 1 || len(msgs[0].Flags) != 0 {
		t.Fatalf("bob's message flags changed: %v %v", msgs, err)
	}
}
