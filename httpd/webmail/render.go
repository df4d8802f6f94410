package webmail

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// templateFS holds the page templates: part-*.html are shared (the layout,
// partials), every other file is one page named after it without .html.
//
//go:embed templates
var templateFS embed.FS

// templates are the parsed pages, each with the shared templates.
type templates struct {
	pages map[string]*template.Template
}

// templateFuncs are the helpers every template may use.
var templateFuncs = template.FuncMap{
	"sizeText": sizeText,
	"dateText": func(t time.Time) string { return t.Local().Format("2006-01-02 15:04") },
	"isoDate":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"listArgs": listArgs,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

func parseTemplates() (*templates, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var shared, pages []string
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "part-") {
			shared = append(shared, f)
		} else {
			pages = append(pages, f)
		}
	}
	base, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, shared...)
	if err != nil {
		return nil, fmt.Errorf("webmail: templates: %w", err)
	}
	t := &templates{pages: make(map[string]*template.Template)}
	for _, f := range pages {
		c, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if c, err = c.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("webmail: template %s: %w", f, err)
		}
		t.pages[strings.TrimSuffix(path.Base(f), ".html")] = c
	}
	return t, nil
}

// Page is what every page template gets: the layout's fields and the
// page's own Data.
type Page struct {
	Title string // the page's title; the layout prefixes "(N) " for unread mail
	// CSRF is the session's token, for every form (field csrf) and for
	// the scripts (meta csrf-token).
	CSRF      string
	User      string // the logged-in address; "" on the login page
	Unread    uint32 // unread messages in INBOX
	ShowAdmin bool   // the nav links the admin pages
	Nav       string // which nav entry is current: "mail", "compose", "settings", "admin"
	Search    string // the search box's text (on the search page)
	Data      any
}

// TitleText is the document title: "(N) " first when INBOX has unread mail.
func (p *Page) TitleText() string {
	if p.Unread > 0 {
		return fmt.Sprintf("(%d) %s", p.Unread, p.Title)
	}
	return p.Title
}

// titled lets a page's data give the page title.
type titled interface{ PageTitle() string }

// navved lets a page's data say which nav entry is current.
type navved interface{ PageNav() string }

// render writes the page name with data inside the layout. sess may be
// nil (the login page).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, sess *Session, name string, data any) {
	h.renderStatus(w, r, sess, http.StatusOK, name, data)
}

// renderStatus is render with a status code.
func (h *Handler) renderStatus(w http.ResponseWriter, r *http.Request, sess *Session, code int, name string, data any) {
	t := h.tmpl.pages[name]
	if t == nil {
		h.serverError(w, r, fmt.Errorf("no template %q", name))
		return
	}
	p := &Page{Title: "Webmail", Data: data, Nav: "mail"}
	if d, ok := data.(titled); ok {
		p.Title = d.PageTitle()
	}
	if d, ok := data.(navved); ok {
		p.Nav = d.PageNav()
	}
	if r.URL.Path == "/webmail/search" {
		p.Search = r.URL.Query().Get("q")
	}
	if sess != nil {
		p.CSRF = sess.CSRF
		p.User = sess.Address
		p.ShowAdmin = h.isAdmin(r, sess)
		if inbox, err := h.o.Store.MailboxByName(r.Context(), sess.UserID, "INBOX"); err == nil {
			p.Unread = inbox.Unseen
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.serverError(w, r, fmt.Errorf("template %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// sizeText is a size for people: 512 B, 12 KB, 3.4 MB.
func sizeText(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%d KB", (n+500)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
}

// listView is what the list template needs: the page's CSRF token and
// the mailbox page's data.
type listView struct {
	CSRF string
	*mailboxData
}

func listArgs(p *Page, d *mailboxData) listView { return listView{CSRF: p.CSRF, mailboxData: d} }
