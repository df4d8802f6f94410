package webmail

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mailserver/mailserver/store"
)

// listRow is one message of the message list.
type listRow struct {
	MailboxID  uint64
	Mailbox    string // the folder's name, shown in search results
	Key        string // the selection value: "UID", or "MAILBOX:UID" in search results
	UID        uint32
	From       string
	FromAddr   string
	To         string
	Subject    string
	Date       time.Time
	Size       int64
	Seen       bool
	Flagged    bool
	Answered   bool
	Draft      bool
	Attachment bool
	// Thread: the number of messages of its conversation on this page
	// when grouped (shown on the first of them), and whether this row
	// continues a conversation shown above it.
	Thread    int
	InThread  bool
	threadKey string
}

// listPage is one page of a mailbox's messages, newest first.
type listPage struct {
	Rows    []listRow
	Page    int // 0-based
	Pages   int
	Total   int
	First   int // 1-based position of the first row
	Last    int
	Threads bool
}

// messagePage builds page (0-based, newest first) of a mailbox's message
// list from the store's message records and each message's header
// section (cached by body). Only the messages of the page are read.
func (h *Handler) messagePage(ctx context.Context, userID, mailboxID uint64, page, size int, threads bool) (*listPage, error) {
	uids, err := h.o.Store.UIDs(ctx, userID, mailboxID)
	if err != nil {
		return nil, err
	}
	return h.rowsPage(ctx, userID, mailboxID, uids, page, size, threads)
}

// rowsPage is messagePage for a given set of UIDs (ascending): a search
// result, or the whole mailbox.
func (h *Handler) rowsPage(ctx context.Context, userID, mailboxID uint64, uids []uint32, page, size int, threads bool) (*listPage, error) {
	total := len(uids)
	pages := max(1, (total+size-1)/size)
	page = min(max(page, 0), pages-1)
	hi := total - page*size
	lo := max(0, hi-size)
	sel := uids[lo:hi]
	// Bodies of the records found stay readable while their headers are
	// read, however another client expunges meanwhile.
	release := h.o.Store.HoldBodies()
	defer release()
	msgs, err := h.o.Store.GetMessages(ctx, userID, mailboxID, sel)
	if err != nil {
		return nil, err
	}
	rows := make([]listRow, 0, len(msgs))
	for i := len(msgs) - 1; i >= 0; i-- { // newest first
		rows = append(rows, h.row(nil, &msgs[i], false))
		rows[len(rows)-1].MailboxID = mailboxID
	}
	if threads {
		rows = groupThreads(rows)
	}
	p := &listPage{Rows: rows, Page: page, Pages: pages, Total: total, Threads: threads}
	if total > 0 {
		p.First, p.Last = total-hi+1, total-lo
	}
	return p, nil
}

// row is the list row of a message; with qualified (search results) its
// selection key names the mailbox too.
func (h *Handler) row(mb *store.Mailbox, m *store.Message, qualified bool) listRow {
	row := listRow{Key: strconv.FormatUint(uint64(m.UID), 10), UID: m.UID, Size: m.Size, Date: m.InternalDate,
		Seen: m.HasFlag(`\Seen`), Flagged: m.HasFlag(`\Flagged`),
		Answered: m.HasFlag(`\Answered`), Draft: m.HasFlag(`\Draft`)}
	if mb != nil {
		row.MailboxID, row.Mailbox = mb.ID, mb.Name
		if qualified {
			row.Key = strconv.FormatUint(mb.ID, 10) + ":" + row.Key
		}
	}
	env, err := h.envelope(m.BodyID)
	if err != nil {
		h.log.Warn("webmail: message header", "uid", m.UID, "err", err)
		env = &envelope{}
	}
	row.From, row.FromAddr, row.To, row.Subject, row.Attachment = env.From, env.FromAddr, env.To, env.Subject, env.Attachment
	if !env.Date.IsZero() {
		row.Date = env.Date
	}
	row.threadKey = env.threadKey()
	if row.threadKey == "" {
		row.threadKey = fmt.Sprintf("uid:%d", m.UID)
	}
	return row
}

// groupThreads orders rows (newest first) so that each conversation's
// messages follow its newest one, newest first within it; conversations
// keep the order of their newest message.
func groupThreads(rows []listRow) []listRow {
	order := []string{}
	groups := map[string][]listRow{}
	for _, r := range rows {
		if _, ok := groups[r.threadKey]; !ok {
			order = append(order, r.threadKey)
		}
		groups[r.threadKey] = append(groups[r.threadKey], r)
	}
	out := make([]listRow, 0, len(rows))
	for _, k := range order {
		g := groups[k]
		for i := range g {
			if i == 0 {
				g[i].Thread = len(g)
			} else {
				g[i].InThread = true
			}
		}
		out = append(out, g...)
	}
	return out
}
