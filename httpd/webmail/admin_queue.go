package webmail

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/mailserver/mailserver/store"
)

// adminQueueRow is one queued message as the pages show it.
type adminQueueRow struct {
	store.QueuedMessage
	Age     string // "3h0m0s"
	Sender  string // "<>" for the null sender
	Pending int
	Next    string // the next attempt, relative: "now", "in 5m0s"; "" when none is pending
}

// adminQueueData is the queue page's data.
type adminQueueData struct {
	adminPage
	Messages []adminQueueRow
	Pending  int
}

// adminQueueMessageData is the page of one queued message.
type adminQueueMessageData struct {
	adminPage
	Message adminQueueRow
	Rcpts   []adminQueueRcpt
	Fields  []adminField // the header fields that say what the message is, decoded
	Header  string       // the whole header section, as queued
}

// queueSummaryFields are the header fields the message page shows.
var queueSummaryFields = []string{"From", "To", "Cc", "Subject", "Date", "Message-ID"}

// queueHeader fills the message's header fields into d; a header that
// cannot be read is logged and left out (the envelope is what counts).
func (h *Handler) queueHeader(r *http.Request, id uint64, d *adminQueueMessageData) {
	raw, err := h.o.Admin.QueueHeader(r.Context(), id)
	if err != nil {
		h.log.Info("webmail admin: queued message header", "id", id, "err", err)
		return
	}
	d.Header = string(raw)
	hdr, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(raw, "\r\n"...))))
	if err != nil {
		return
	}
	for _, k := range queueSummaryFields {
		if v := hdr.Get(k); v != "" {
			d.Fields = append(d.Fields, adminField{k, decodeWords(v)})
		}
	}
}

// adminQueueRcpt is one recipient of a queued message.
type adminQueueRcpt struct {
	store.QueuedRecipient
	StateText   string
	Pending     bool
	LastAttempt string
	NextAttempt string
}

func (h *Handler) queueRow(m store.QueuedMessage) adminQueueRow {
	now := h.now()
	row := adminQueueRow{QueuedMessage: m, Age: now.Sub(m.Created).Round(time.Second).String(), Sender: m.Sender}
	if m.Sender == "" {
		row.Sender = "<>"
	}
	for _, r := range m.Recipients {
		if r.State.Pending() {
			row.Pending++
		}
	}
	if next, ok := m.NextAttempt(); ok {
		row.Next = untilText(next, now)
	}
	return row
}

// untilText is when t comes, relative to now.
func untilText(t, now time.Time) string {
	if !t.After(now) {
		return "now"
	}
	return "in " + t.Sub(now).Round(time.Second).String()
}

func (h *Handler) adminQueue(w http.ResponseWriter, r *http.Request, s *Session) {
	h.showQueue(w, r, s, http.StatusOK, &adminQueueData{adminPage: adminPage{Notice: notice(r)}})
}

func (h *Handler) showQueue(w http.ResponseWriter, r *http.Request, s *Session, code int, d *adminQueueData) {
	d.Title, d.Section = "Queue", "queue"
	msgs, err := h.o.Admin.QueueList(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, m := range msgs {
		row := h.queueRow(m)
		d.Pending += row.Pending
		d.Messages = append(d.Messages, row)
	}
	h.renderStatus(w, r, s, code, "admin_queue", d)
}

// queueID reads the {id} of the path; 0 if it is not one.
func queueID(r *http.Request) uint64 {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		return 0
	}
	return id
}

func (h *Handler) adminQueueShow(w http.ResponseWriter, r *http.Request, s *Session) {
	id := queueID(r)
	var m *store.QueuedMessage
	err := store.ErrNotFound
	if id != 0 {
		m, err = h.o.Admin.QueueShow(r.Context(), id)
	}
	if err != nil {
		code, msg := h.adminFailure(r, "queued message", r.PathValue("id"), err)
		h.showQueue(w, r, s, code, &adminQueueData{adminPage: adminPage{Error: msg}})
		return
	}
	now := h.now()
	d := &adminQueueMessageData{adminPage: adminPage{Title: fmt.Sprintf("Queued message %d", m.ID), Section: "queue", Notice: notice(r)},
		Message: h.queueRow(*m)}
	for _, rc := range m.Recipients {
		x := adminQueueRcpt{QueuedRecipient: rc, StateText: string(rc.State), Pending: rc.State.Pending()}
		if !rc.LastAttempt.IsZero() {
			x.LastAttempt = rc.LastAttempt.Local().Format("2006-01-02 15:04:05")
		}
		if x.Pending {
			x.NextAttempt = untilText(rc.NextAttempt, now)
		}
		d.Rcpts = append(d.Rcpts, x)
	}
	h.queueHeader(r, id, d)
	h.render(w, r, s, "admin_queue_message", d)
}

func (h *Handler) adminQueueAction(w http.ResponseWriter, r *http.Request, s *Session) {
	id := queueID(r)
	action := r.PathValue("action")
	ids := strconv.FormatUint(id, 10)
	var do func() error
	switch action {
	case "retry":
		do = func() error { return h.o.Admin.QueueRetry(r.Context(), id) }
	case "bounce":
		if !h.confirmed(w, r, s, &adminConfirmData{
			adminPage: adminPage{Title: "Bounce message", Section: "queue"},
			Question:  "Return message " + ids + " to its sender?",
			Detail:    "Every recipient not yet delivered fails now, and the sender gets a delivery status notification (none for a null sender). This cannot be undone.",
			Button:    "Bounce message",
			Cancel:    "/webmail/admin/queue/" + ids,
		}) {
			return
		}
		do = func() error { return h.o.Admin.QueueBounce(r.Context(), id) }
	case "delete":
		if !h.confirmed(w, r, s, &adminConfirmData{
			adminPage: adminPage{Title: "Delete message", Section: "queue"},
			Question:  "Delete message " + ids + " from the queue?",
			Detail:    "It is not delivered to the recipients still pending, and the sender is not told. This cannot be undone.",
			Button:    "Delete message",
			Cancel:    "/webmail/admin/queue/" + ids,
		}) {
			return
		}
		do = func() error { return h.o.Admin.QueueDelete(r.Context(), id) }
	default:
		http.NotFound(w, r)
		return
	}
	err := store.ErrNotFound
	if id != 0 {
		err = do()
	}
	if err != nil {
		code, msg := h.adminFailure(r, "queued message", r.PathValue("id"), err)
		h.showQueue(w, r, s, code, &adminQueueData{adminPage: adminPage{Error: msg}})
		return
	}
	h.log.Info("webmail admin: queue "+action, "admin", s.Address, "id", id)
	redirectDone(w, r, "/webmail/admin/queue", "queue-"+action, ids)
}

func (h *Handler) adminQueueRetryAll(w http.ResponseWriter, r *http.Request, s *Session) {
	n, err := h.o.Admin.QueueRetryAll(r.Context())
	if err != nil {
		code, msg := h.adminFailure(r, "queue", "", err)
		h.showQueue(w, r, s, code, &adminQueueData{adminPage: adminPage{Error: msg}})
		return
	}
	h.log.Info("webmail admin: queue retry all", "admin", s.Address, "messages", n)
	redirectDone(w, r, "/webmail/admin/queue", "queue-retry-all", strconv.Itoa(n))
}
