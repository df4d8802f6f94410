package webmail

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// sseEvent is one Server-Sent Event as read off the stream.
type sseEvent struct{ name, data string }

// openEvents opens the session's event stream; events arrive on the
// channel until the stream ends (then it is closed).
func (c *client) openEvents(t *testing.T) (<-chan sseEvent, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.e.srv.URL+"/webmail/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 100)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return ch, cancel
}

// next waits for the next event named name (others are skipped); the
// stream's end or a minute without it fails the test.
func next(t *testing.T, ch <-chan sseEvent, name string) sseEvent {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %q", name)
			}
			if ev.name == name {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event", name)
		}
	}
}

func TestEventsNewMail(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	ch, stop := c.openEvents(t)
	defer stop()
	if ev := next(t, ch, "unread"); ev.data != "0" {
		t.Fatalf("first unread count %q", ev.data)
	}
	inbox := e.mailbox(e.alice, "INBOX")
	e.deliver(e.bob, "INBOX", "From: x@example.org\nSubject: not alice's\n\nx\n")
	e.deliver(e.alice, "INBOX", "From: x@example.org\nSubject: new\n\nx\n")
	ev := next(t, ch, "change")
	if !strings.Contains(ev.data, `"new"`) || !strings.Contains(ev.data, `"mailboxes":[`) || !strings.Contains(ev.data, itoa(inbox.ID)) {
		t.Errorf("change event %q", ev.data)
	}
	if ev := next(t, ch, "unread"); ev.data != "1" {
		t.Errorf("unread after delivery %q", ev.data)
	}
	// A flag change by another client (the store directly, as IMAP does).
	if _, err := e.st.StoreFlags(context.Background(), e.alice.ID, inbox.ID, []uint32{1}, store.FlagsAdd, []string{`\Seen`}, store.StoreFlagsOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, ch, "change"); !strings.Contains(ev.data, `"flags"`) {
		t.Errorf("flag change event %q", ev.data)
	}
	if ev := next(t, ch, "unread"); ev.data != "0" {
		t.Errorf("unread after \\Seen %q", ev.data)
	}
	if _, err := e.st.Expunge(context.Background(), e.alice.ID, inbox.ID, store.ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := next(t, ch, "change"); !strings.Contains(ev.data, `"expunge"`) {
		t.Errorf("expunge event %q", ev.data)
	}
	// Logout ends the stream.
	c.post("/webmail/logout", nil)
	next(t, ch, "logout")
}

func TestEventsEndOnClose(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	ch, stop := c.openEvents(t)
	defer stop()
	next(t, ch, "unread")
	e.h.Close()
	for range ch { // the stream ends
	}
}

func TestEventQueueBounded(t *testing.T) {
	q := newEventQueue(3)
	for i := 0; i < 10; i++ {
		q.push(store.Event{Kind: store.EventNew, MailboxID: uint64(i)})
	}
	evs, over := q.take()
	if len(evs) != 3 || !over {
		t.Fatalf("queue kept %d events, overflow %v", len(evs), over)
	}
	q2 := newEventQueue(3)
	q2.push(store.Event{Kind: store.EventFlags})
	if evs, over := q2.take(); len(evs) != 1 || over {
		t.Fatalf("%d events, overflow %v", len(evs), over)
	}
	c := summarize([]store.Event{{Kind: store.EventNew, MailboxID: 1}, {Kind: store.EventNew, MailboxID: 1}, {Kind: store.EventFlags, MailboxID: 2}})
	if strings.Join(c.Kinds, ",") != "new,flags" || len(c.Mailboxes) != 2 {
		t.Fatalf("summary %+v", c)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
