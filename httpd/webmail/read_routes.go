package webmail

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/mailserver/mailserver/store"
)

// routesRead registers the reading pages.
func (h *Handler) routesRead(mux *http.ServeMux) {
	mux.HandleFunc("GET /webmail/{$}", h.requireUser(h.serveInbox))
	mux.HandleFunc("GET /webmail/mailbox/{mbox}", h.requireUser(h.serveMailbox))
	h.routesMessage(mux) // message.go
}

// mailboxData is the mailbox page's data.
type mailboxData struct {
	Mailbox *store.Mailbox
	Folders []folder
	List    *listPage
	Query   string // a search's query text, "" for a mailbox listing
	Search  *searchForm
	PrevURL string
	NextURL string
	Notice  string
	Back    string // where an action on the list returns to
}

func (d *mailboxData) PageTitle() string {
	if d.Query != "" {
		return "Search: " + d.Query
	}
	if d.Mailbox == nil {
		return "Search"
	}
	return d.Mailbox.Name
}

// serveInbox is the start page: INBOX.
func (h *Handler) serveInbox(w http.ResponseWriter, r *http.Request, s *Session) {
	mb, err := h.o.Store.MailboxByName(r.Context(), s.UserID, "INBOX")
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.showMailbox(w, r, s, mb)
}

// serveMailbox is one mailbox's message list: ?page=N (0-based),
// ?threads=1 groups conversations.
func (h *Handler) serveMailbox(w http.ResponseWriter, r *http.Request, s *Session) {
	mb, ok := h.mailboxParam(w, r, s)
	if !ok {
		return
	}
	h.showMailbox(w, r, s, mb)
}

// mailboxParam is the user's mailbox named by the path value mbox (its
// ID); it answers 404 for a mailbox that is not the user's.
func (h *Handler) mailboxParam(w http.ResponseWriter, r *http.Request, s *Session) (*store.Mailbox, bool) {
	id, err := strconv.ParseUint(r.PathValue("mbox"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return nil, false
	}
	mb, err := h.o.Store.MailboxByID(r.Context(), s.UserID, id)
	if errors.Is(err, store.ErrNoSuchMailbox) {
		http.NotFound(w, r)
		return nil, false
	}
	if err != nil {
		h.serverError(w, r, err)
		return nil, false
	}
	return mb, true
}

func (h *Handler) showMailbox(w http.ResponseWriter, r *http.Request, s *Session, mb *store.Mailbox) {
	ctx := r.Context()
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	threads := r.URL.Query().Get("threads") == "1"
	list, err := h.messagePage(ctx, s.UserID, mb.ID, page, h.pageSize(r), threads)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	folders, err := h.folders(ctx, s.UserID, mb.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d := &mailboxData{Mailbox: mb, Folders: folders, List: list, Notice: r.URL.Query().Get("notice"),
		Back: r.URL.RequestURI()}
	base := "/webmail/mailbox/" + strconv.FormatUint(mb.ID, 10) + "?"
	if threads {
		base += "threads=1&"
	}
	if list.Page > 0 {
		d.PrevURL = base + "page=" + strconv.Itoa(list.Page-1)
	}
	if list.Page+1 < list.Pages {
		d.NextURL = base + "page=" + strconv.Itoa(list.Page+1)
	}
	h.render(w, r, s, "mailbox", d)
}

// pageSize is the request's ?size= within bounds, or the configured size.
func (h *Handler) pageSize(r *http.Request) int {
	if n, err := strconv.Atoi(r.URL.Query().Get("size")); err == nil && n > 0 {
		return min(n, MaxPageSize)
	}
	return h.o.PageSize
}
