package webmail

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mailserver/mailserver/store"
)

// Live updates: Server-Sent Events (HTML Living Standard §9.2) at
// /webmail/events, fed by store.Watch. Each stream has a bounded queue;
// a client too slow to keep up has its stream dropped (event "reload"
// first when possible) and the browser's EventSource reconnects and
// reloads what it shows, so memory never grows with a stalled client.
const (
	// eventHeartbeat keeps proxies and the browser from timing the
	// stream out, and is when an expired session is noticed.
	eventHeartbeat = 25 * time.Second
	// eventWriteTimeout bounds one write to the stream.
	eventWriteTimeout = 30 * time.Second
	// eventRetryMillis is the reconnection delay the browser is told.
	eventRetryMillis = 3000
)

// routesEvents registers the live event stream.
func (h *Handler) routesEvents(mux *http.ServeMux) {
	mux.HandleFunc("GET /webmail/events", h.requireUser(h.serveEvents))
}

// eventQueue is one stream's pending store events, bounded: push never
// blocks (it runs on the store's committer) and reports overflow instead.
type eventQueue struct {
	mu       sync.Mutex
	max      int
	events   []store.Event
	overflow bool
	wake     chan struct{} // one pending signal
}

func newEventQueue(max int) *eventQueue {
	return &eventQueue{max: max, wake: make(chan struct{}, 1)}
}

// push adds e; beyond max the queue is marked overflowed and drops e.
func (q *eventQueue) push(e store.Event) {
	q.mu.Lock()
	if len(q.events) >= q.max {
		q.overflow = true
	} else {
		q.events = append(q.events, e)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take returns the pending events and whether the queue overflowed.
func (q *eventQueue) take() ([]store.Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ev, over := q.events, q.overflow
	q.events = nil
	return ev, over
}

// changeEvent is the data of an SSE "change" event.
type changeEvent struct {
	Kinds     []string `json:"kinds"`     // "new", "flags", "expunge", "mailboxes"
	Mailboxes []uint64 `json:"mailboxes"` // the mailboxes that changed
}

var eventKindNames = map[store.EventKind]string{
	store.EventNew: "new", store.EventFlags: "flags", store.EventExpunge: "expunge",
	store.EventMailboxCreated: "mailboxes", store.EventMailboxDeleted: "mailboxes", store.EventMailboxRenamed: "mailboxes",
}

// summarize folds events into one change event.
func summarize(events []store.Event) changeEvent {
	var c changeEvent
	kinds, boxes := map[string]bool{}, map[uint64]bool{}
	for _, e := range events {
		if k := eventKindNames[e.Kind]; k != "" && !kinds[k] {
			kinds[k] = true
			c.Kinds = append(c.Kinds, k)
		}
		if !boxes[e.MailboxID] {
			boxes[e.MailboxID] = true
			c.Mailboxes = append(c.Mailboxes, e.MailboxID)
		}
	}
	return c
}

// serveEvents streams the user's changes: "unread" (INBOX's unread
// count, first at once and after every change), "change" (what changed),
// "reload" (events were lost: reload everything), "logout" (the session
// ended). Comments are heartbeats.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request, s *Session) {
	rc := http.NewResponseController(w)
	// The stream outlives the server's read and write timeouts; each
	// write gets its own deadline instead.
	rc.SetReadDeadline(time.Time{})
	q := newEventQueue(h.o.EventBuffer)
	cancel := h.o.Store.Watch(s.UserID, q.push)
	defer cancel()

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("X-Accel-Buffering", "no")
	write := func(format string, args ...any) bool {
		rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	ctx := r.Context()
	if !write("retry: %d\n\n", eventRetryMillis) || !h.writeUnread(ctx, s, write) {
		return
	}
	heartbeat := time.NewTicker(eventHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.closed:
			return
		case <-s.Ended():
			write("event: logout\ndata: ended\n\n")
			return
		case <-heartbeat.C:
			if h.sessions.expire(s) {
				write("event: logout\ndata: expired\n\n")
				return
			}
			if !write(": ping\n\n") {
				return
			}
		case <-q.wake:
			events, over := q.take()
			if over {
				// Too slow: drop the stream rather than buffer more.
				write("event: reload\ndata: overflow\n\n")
				return
			}
			if len(events) == 0 {
				continue
			}
			b, err := json.Marshal(summarize(events))
			if err != nil {
				return
			}
			if !write("event: change\ndata: %s\n\n", b) || !h.writeUnread(ctx, s, write) {
				return
			}
		}
	}
}

// writeUnread sends INBOX's unread count.
func (h *Handler) writeUnread(ctx context.Context, s *Session, write func(string, ...any) bool) bool {
	inbox, err := h.o.Store.MailboxByName(ctx, s.UserID, "INBOX")
	if err != nil {
		h.log.Debug("webmail: events: INBOX", "err", err)
		return true
	}
	return write("event: unread\ndata: %d\n\n", inbox.Unseen)
}
