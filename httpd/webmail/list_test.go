package webmail

import (
	"fmt"
	"regexp"
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

func TestMailboxListThreads(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, "INBOX", "From: a@example.org\nSubject: plan\nMessage-ID: <root@x>\n\nx\n")
	e.deliver(e.alice, "INBOX", "From: b@example.org\nSubject: other\nMessage-ID: <other@x>\n\nx\n")
	e.deliver(e.alice, "INBOX", "From: c@example.org\nSubject: Re: plan\nMessage-ID: <r1@x>\nIn-Reply-To: <root@x>\nReferences: <root@x>\n\nx\n")
	e.deliver(e.alice, "INBOX", "From: d@example.org\nSubject: Re: Re: plan\nMessage-ID: <r2@x>\nIn-Reply-To: <r1@x>\nReferences: <root@x> <r1@x>\n\nx\n")
	c := e.client().mustLogin("alice@example.test")
	inbox := e.mailbox(e.alice, "INBOX")
	_, body := c.get(fmt.Sprintf("/webmail/mailbox/%d?threads=1", inbox.ID))
	order := regexp.MustCompile(`<tr data-uid="(\d+)"`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, m := range order {
		got = append(got, m[1])
	}
	// The conversation of the newest message (4) first, with 3 and 1
	// under it, then 2.
	if strings.Join(got, ",") != "4,3,1,2" {
		t.Errorf("thread order %v", got)
	}
	if !strings.Contains(body, `title="Messages in this conversation">3</span>`) || strings.Count(body, "in-thread") != 2 {
		t.Errorf("thread marks missing")
	}
	_, body = c.get(fmt.Sprintf("/webmail/mailbox/%d", inbox.ID))
	if strings.Contains(body, "in-thread") {
		t.Error("grouped without asking")
	}
}
