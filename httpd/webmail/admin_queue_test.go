package webmail

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// TestAdminQueue: the queue page lists a queued message, its page shows
// the recipients, retry makes it due now, bounce (confirmed) fails it
// and returns a DSN to the sender, delete (confirmed) drops it.
func TestAdminQueue(t *testing.T) {
	e, ta := newAdminEnv(t)
	ctx := context.Background()
	alice := e.client().mustLogin("alice@example.test")
	first := queueOne(t, ta, "far@remote.test")
	second := queueOne(t, ta, "other@remote.test")

	resp, body := alice.get("/webmail/admin/queue")
	wantStatus(t, "queue page", resp, body, http.StatusOK)
	for _, want := range []string{fmt.Sprintf(`data-queue-id="%d"`, first), "far@remote.test: queued", "other@remote.test", "2 queued messages, 2 recipients pending"} {
		if !strings.Contains(body, want) {
			t.Fatalf("queue page lacks %q:\n%s", want, body)
		}
	}
	firstPath := fmt.Sprintf("/webmail/admin/queue/%d", first)
	resp, body = alice.get(firstPath)
	wantStatus(t, "message page", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-address="far@remote.test" data-state="queued"`) || !strings.Contains(body, "alice@example.test") ||
		!strings.Contains(body, "<dt>Subject</dt><dd>queued</dd>") || !strings.Contains(body, "<dt>To</dt><dd>far@remote.test</dd>") {
		t.Fatalf("message page:\n%s", body)
	}

	// Retry: due now.
	m, _ := ta.QueueShow(ctx, first)
	m.Recipients[0].NextAttempt = e.h.now().Add(3600e9)
	if _, err := e.st.QueueUpdate(ctx, first, func(q *store.QueuedMessage) (*store.Submission, error) {
		q.Recipients[0].NextAttempt = m.Recipients[0].NextAttempt
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	resp, body = alice.post(firstPath+"/retry", nil)
	loc := wantRedirect(t, "retry", resp, body, "/webmail/admin/queue?")
	if _, body := alice.get(loc); !strings.Contains(body, fmt.Sprintf("Message %d will be retried now.", first)) {
		t.Fatalf("queue page after retry:\n%s", body)
	}
	if m, _ := ta.QueueShow(ctx, first); m.Recipients[0].NextAttempt.After(e.h.now()) {
		t.Fatalf("next attempt after retry: %v", m.Recipients[0].NextAttempt)
	}

	// Retry all.
	resp, body = alice.post("/webmail/admin/queue/retry-all", nil)
	loc = wantRedirect(t, "retry all", resp, body, "/webmail/admin/queue?")
	if _, body := alice.get(loc); !strings.Contains(body, "2 queued messages will be retried now.") {
		t.Fatalf("queue page after retry all:\n%s", body)
	}

	// Bounce: asks first.
	resp, body = alice.post(firstPath+"/bounce", nil)
	wantStatus(t, "unconfirmed bounce", resp, body, http.StatusOK)
	if !strings.Contains(body, "Return message") {
		t.Fatalf("bounce confirmation:\n%s", body)
	}
	if m, _ := ta.QueueShow(ctx, first); !m.Recipients[0].State.Pending() {
		t.Fatal("an unconfirmed bounce bounced")
	}
	inboxBefore := e.mailbox(e.alice, "INBOX").Messages
	resp, body = alice.post(firstPath+"/bounce", form("confirm", "yes"))
	wantRedirect(t, "bounce", resp, body, "/webmail/admin/queue?")
	if m, err := ta.QueueShow(ctx, first); err == nil && m.Recipients[0].State.Pending() {
		t.Fatalf("still pending after bounce: %+v", m.Recipients)
	}
	if n := e.mailbox(e.alice, "INBOX").Messages; n != inboxBefore+1 {
		t.Fatalf("alice's INBOX has %d messages after the bounce, want %d (the DSN)", n, inboxBefore+1)
	}

	// Delete: asks first, then drops without a DSN.
	secondPath := fmt.Sprintf("/webmail/admin/queue/%d", second)
	resp, body = alice.post(secondPath+"/delete", nil)
	wantStatus(t, "unconfirmed delete", resp, body, http.StatusOK)
	if _, err := ta.QueueShow(ctx, second); err != nil {
		t.Fatalf("an unconfirmed delete deleted: %v", err)
	}
	resp, body = alice.post(secondPath+"/delete", form("confirm", "yes"))
	wantRedirect(t, "delete", resp, body, "/webmail/admin/queue?")
	if _, err := ta.QueueShow(ctx, second); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if n := e.mailbox(e.alice, "INBOX").Messages; n != inboxBefore+1 {
		t.Fatalf("a deleted message sent a DSN (%d messages)", n)
	}

	resp, body = alice.get(secondPath)
	wantStatus(t, "page of a deleted message", resp, body, http.StatusNotFound)
	resp, body = alice.post(secondPath+"/retry", nil)
	wantStatus(t, "retry of a deleted message", resp, body, http.StatusNotFound)
	resp, body = alice.get("/webmail/admin/queue/abc")
	wantStatus(t, "page of a non-ID", resp, body, http.StatusNotFound)
	resp, body = alice.post(secondPath+"/explode", nil)
	wantStatus(t, "unknown action", resp, body, http.StatusNotFound)
}
