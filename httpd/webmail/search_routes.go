package webmail

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/mailserver/mailserver/store"
)

// Search limits: the longest search text, and the most hits shown (the
// newest).
const (
	maxSearchText = 500
	maxSearchHits = 5000
)

// searchForm is the search form's fields, as the page shows them again.
type searchForm struct {
	Q       string // anywhere: header fields or text
	Mailbox uint64 // 0: every folder
	From    string
	To      string
	Subject string
	Body    string
	Since   string // YYYY-MM-DD, inclusive
	Before  string // YYYY-MM-DD, inclusive (the day is included)
	Flag    string // "", "unread", "read", "flagged", "unflagged", "answered"
}

// routesSearch registers the search page.
func (h *Handler) routesSearch(mux *http.ServeMux) {
	mux.HandleFunc("GET /webmail/search", h.requireUser(h.serveSearch))
}

// parseSearchForm reads the query; bad dates are a user error.
func parseSearchForm(q url.Values) (*searchForm, *store.SearchCriteria, error) {
	f := &searchForm{Q: q.Get("q"), From: q.Get("from"), To: q.Get("to"), Subject: q.Get("subject"),
		Body: q.Get("body"), Since: q.Get("since"), Before: q.Get("before"), Flag: q.Get("flag")}
	f.Mailbox, _ = strconv.ParseUint(q.Get("mailbox"), 10, 64)
	for _, v := range []string{f.Q, f.From, f.To, f.Subject, f.Body} {
		if len(v) > maxSearchText {
			return f, nil, &userError{"The search text is too long."}
		}
	}
	c := &store.SearchCriteria{Text: f.Q, From: f.From, To: f.To, Subject: f.Subject, Body: f.Body}
	day := func(s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, time.Local)
		if err != nil {
			return t, &userError{"Dates are written like 2026-01-31."}
		}
		return t, nil
	}
	var err error
	if c.Since, err = day(f.Since); err != nil {
		return f, nil, err
	}
	if c.Before, err = day(f.Before); err != nil {
		return f, nil, err
	}
	if !c.Before.IsZero() {
		c.Before = c.Before.AddDate(0, 0, 1)
	}
	switch f.Flag {
	case "unread":
		c.NotFlags = []string{`\Seen`}
	case "read":
		c.Flags = []string{`\Seen`}
	case "flagged":
		c.Flags = []string{`\Flagged`}
	case "unflagged":
		c.NotFlags = []string{`\Flagged`}
	case "answered":
		c.Flags = []string{`\Answered`}
	case "":
	default:
		return f, nil, &userError{"Unknown flag to search for."}
	}
	return f, c, nil
}

// empty reports whether the form asks for nothing.
func (f *searchForm) empty() bool {
	return f.Q == "" && f.From == "" && f.To == "" && f.Subject == "" && f.Body == "" &&
		f.Since == "" && f.Before == "" && f.Flag == ""
}

// hit is one message found.
type hit struct {
	mailbox *store.Mailbox
	msg     store.Message
}

// serveSearch searches one folder or all of them (the store's
// SearchMessages) and lists the hits newest first, paged like a folder.
func (h *Handler) serveSearch(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx := r.Context()
	q := r.URL.Query()
	form, crit, err := parseSearchForm(q)
	folders, ferr := h.folders(ctx, s.UserID, 0)
	if ferr != nil {
		h.serverError(w, r, ferr)
		return
	}
	d := &mailboxData{Folders: folders, Search: form, Query: form.Q, Back: r.URL.RequestURI(),
		List: &listPage{Pages: 1}}
	if d.Query == "" {
		d.Query = "advanced search"
	}
	var ue *userError
	if errors.As(err, &ue) {
		d.Notice = ue.msg
		h.render(w, r, s, "search", d)
		return
	}
	if form.empty() {
		d.Query = ""
		h.render(w, r, s, "search", d)
		return
	}
	release := h.o.Store.HoldBodies()
	defer release()
	hits, err := h.search(ctx, s.UserID, form.Mailbox, crit)
	if errors.Is(err, store.ErrNoSuchMailbox) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	page, _ := strconv.Atoi(q.Get("page"))
	list, err := h.hitsPage(hits, page, h.pageSize(r))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.List = list
	if len(hits) == maxSearchHits {
		d.Notice = "Only the newest " + strconv.Itoa(maxSearchHits) + " messages found are shown."
	}
	nq := url.Values{}
	for k, v := range q {
		if k != "page" {
			nq[k] = v
		}
	}
	if list.Page > 0 {
		nq.Set("page", strconv.Itoa(list.Page-1))
		d.PrevURL = "/webmail/search?" + nq.Encode()
	}
	if list.Page+1 < list.Pages {
		nq.Set("page", strconv.Itoa(list.Page+1))
		d.NextURL = "/webmail/search?" + nq.Encode()
	}
	h.render(w, r, s, "search", d)
}

// search runs the criteria in one mailbox (mailboxID) or every one (0),
// newest first by arrival, at most maxSearchHits.
func (h *Handler) search(ctx context.Context, userID, mailboxID uint64, c *store.SearchCriteria) ([]hit, error) {
	var boxes []store.Mailbox
	if mailboxID != 0 {
		mb, err := h.o.Store.MailboxByID(ctx, userID, mailboxID)
		if err != nil {
			return nil, err
		}
		boxes = []store.Mailbox{*mb}
	} else {
		var err error
		if boxes, err = h.o.Store.Mailboxes(ctx, userID); err != nil {
			return nil, err
		}
	}
	var hits []hit
	for i := range boxes {
		mb := &boxes[i]
		uids, err := h.o.Store.SearchMessages(ctx, userID, mb.ID, c)
		if errors.Is(err, store.ErrNoSuchMailbox) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		if len(uids) > maxSearchHits {
			uids = uids[len(uids)-maxSearchHits:]
		}
		msgs, err := h.o.Store.GetMessages(ctx, userID, mb.ID, uids)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			hits = append(hits, hit{mailbox: mb, msg: m})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return b.msg.InternalDate.Compare(a.msg.InternalDate) })
	if len(hits) > maxSearchHits {
		hits = hits[:maxSearchHits]
	}
	return hits, nil
}

// hitsPage is one page of search hits as list rows.
func (h *Handler) hitsPage(hits []hit, page, size int) (*listPage, error) {
	total := len(hits)
	pages := max(1, (total+size-1)/size)
	page = min(max(page, 0), pages-1)
	lo := page * size
	hi := min(total, lo+size)
	p := &listPage{Page: page, Pages: pages, Total: total}
	if total > 0 {
		p.First, p.Last = lo+1, hi
	}
	for _, x := range hits[lo:hi] {
		p.Rows = append(p.Rows, h.row(x.mailbox, &x.msg, true))
	}
	return p, nil
}
