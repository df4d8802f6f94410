package webmail

import (
	"fmt"
	"strings"
	"testing"
)

func TestMailboxListShowsMessages(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, "INBOX", "From: Carol <carol@example.org>\nTo: alice@example.test\nSubject: =?utf-8?q?H=C3=A9llo?=\nDate: Mon, 1 Dec 2026 10:00:00 +0000\nMessage-ID: <a@x>\n\nbody\n")
	e.deliver(e.alice, "INBOX", "From: dave@example.org\nSubject: second <b>\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nhi\n--x--\n", `\Seen`, `\Flagged`)
	c := e.client().mustLogin("alice@example.test")
	r, body := c.get("/webmail/")
	if r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	inbox := e.mailbox(e.alice, "INBOX")
	for _, want := range []string{`id="message-list"`,
		fmt.Sprintf(`<tr data-uid="1" data-key="1" data-mailbox-id="%d" class="unread"`, inbox.ID),
		fmt.Sprintf(`<tr data-uid="2" data-key="2" data-mailbox-id="%d" class=" flagged"`, inbox.ID),
		"Héllo", "Carol", "second &lt;b&gt;", `aria-label="Has attachment"`, `data-mailbox="INBOX"`, `<span class="unread">1</span>`,
		"<title>(1) INBOX</title>"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %q", want)
		}
	}
	// Newest first.
	if strings.Index(body, `data-uid="2"`) > strings.Index(body, `data-uid="1"`) {
		t.Error("not newest first")
	}
}

func TestMailboxListPaged(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.PageSize = 10 })
	for i := 1; i <= 25; i++ {
		e.deliver(e.alice, "INBOX", fmt.Sprintf("From: x@example.org\nSubject: msg %d\n\nb\n", i))
	}
	c := e.client().mustLogin("alice@example.test")
	inbox := e.mailbox(e.alice, "INBOX")
	_, body := c.get(fmt.Sprintf("/webmail/mailbox/%d?page=2", inbox.ID))
	if n := strings.Count(body, "<tr data-uid="); n != 5 {
		t.Fatalf("last page has %d rows", n)
	}
	if !strings.Contains(body, "21–25 of 25") || !strings.Contains(body, `data-uid="5"`) || strings.Contains(body, `data-uid="6"`) {
		t.Errorf("wrong last page:\n%s", body)
	}
	_, body = c.get(fmt.Sprintf("/webmail/mailbox/%d?size=100000", inbox.ID))
	if n := strings.Count(body, "<tr data-uid="); n != 25 {
		t.Fatalf("size capped page has %d rows", n)
	}
}
