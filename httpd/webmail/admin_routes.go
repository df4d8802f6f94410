package webmail

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mailserver/mailserver/store"
)

// The administration pages, under /webmail/admin/, for users whose
// store.User.Admin is set ("mailserver user add --admin", "user admin").
// The flag is read from the store on every request, so taking it away
// works at once, without a new login. Anyone else gets 403 and no Admin
// link in the nav; without a session, the login page (GET) or 401.
//
// Every change is a POST carrying the session's CSRF token (checked in
// ServeHTTP, csrf.go); a destructive one (deleting a domain, user or
// alias; bouncing or deleting queued mail) first answers with a
// confirmation page whose form repeats the request with confirm=yes.
// A successful change redirects (303) to the page that lists the result,
// with a notice; a failed one shows the form again with the error and
// what was typed (never the password).
//
// Paths:
//
//	GET  /webmail/admin/                          overview
//	GET  /webmail/admin/domains                   domains; add form
//	POST /webmail/admin/domains/add               name
//	POST /webmail/admin/domains/delete            name [confirm]
//	GET  /webmail/admin/domains/dns?domain=D[&check=1]   DNS records to publish [with their status]
//	GET  /webmail/admin/users                     users with quota and usage; add form
//	POST /webmail/admin/users/add                 address password password2 quota_mb quota_messages [admin]
//	GET  /webmail/admin/users/edit?address=A      one user: password, quota, admin, delete
//	POST /webmail/admin/users/password            address password password2
//	POST /webmail/admin/users/quota               address quota_mb quota_messages
//	POST /webmail/admin/users/admin               address admin=on|off
//	POST /webmail/admin/users/delete              address [confirm]
//	GET  /webmail/admin/aliases                   aliases; add form
//	POST /webmail/admin/aliases/add               address targets
//	POST /webmail/admin/aliases/delete            address [confirm]
//	GET  /webmail/admin/queue                     the outbound queue
//	POST /webmail/admin/queue/retry-all           every queued message due now
//	GET  /webmail/admin/queue/{id}                one queued message
//	POST /webmail/admin/queue/{id}/retry|bounce|delete   [confirm]
func (h *Handler) routesAdmin(mux *http.ServeMux) {
	if h.o.Admin == nil {
		return // no admin pages: 404
	}
	a := h.requireAdmin
	mux.HandleFunc("GET /webmail/admin/{$}", a(h.adminHome))
	mux.HandleFunc("GET /webmail/admin/domains", a(h.adminDomains))
	mux.HandleFunc("POST /webmail/admin/domains/add", a(h.adminDomainAdd))
	mux.HandleFunc("POST /webmail/admin/domains/delete", a(h.adminDomainDelete))
	mux.HandleFunc("GET /webmail/admin/domains/dns", a(h.adminDNS))
	mux.HandleFunc("GET /webmail/admin/users", a(h.adminUsers))
	mux.HandleFunc("POST /webmail/admin/users/add", a(h.adminUserAdd))
	mux.HandleFunc("GET /webmail/admin/users/edit", a(h.adminUserEdit))
	mux.HandleFunc("POST /webmail/admin/users/password", a(h.adminUserPassword))
	mux.HandleFunc("POST /webmail/admin/users/quota", a(h.adminUserQuota))
	mux.HandleFunc("POST /webmail/admin/users/admin", a(h.adminUserAdmin))
	mux.HandleFunc("POST /webmail/admin/users/delete", a(h.adminUserDelete))
	mux.HandleFunc("GET /webmail/admin/aliases", a(h.adminAliases))
	mux.HandleFunc("POST /webmail/admin/aliases/add", a(h.adminAliasAdd))
	mux.HandleFunc("POST /webmail/admin/aliases/delete", a(h.adminAliasDelete))
	mux.HandleFunc("GET /webmail/admin/queue", a(h.adminQueue))
	mux.HandleFunc("POST /webmail/admin/queue/retry-all", a(h.adminQueueRetryAll))
	mux.HandleFunc("GET /webmail/admin/queue/{id}", a(h.adminQueueShow))
	mux.HandleFunc("POST /webmail/admin/queue/{id}/{action}", a(h.adminQueueAction))
}

// isAdmin reports whether the session's user may see the admin pages
// (the layout's nav link): the flag as the store has it now.
func (h *Handler) isAdmin(r *http.Request, s *Session) bool {
	if h.o.Admin == nil {
		return false
	}
	u, err := h.o.Admin.User(r.Context(), s.Address)
	return err == nil && u.Admin && u.ID == s.UserID
}

// requireAdmin wraps an admin page: a session is needed (requireUser),
// and its user must be an administrator now.
func (h *Handler) requireAdmin(fn func(w http.ResponseWriter, r *http.Request, s *Session)) http.HandlerFunc {
	return h.requireUser(func(w http.ResponseWriter, r *http.Request, s *Session) {
		u, err := h.o.Admin.User(r.Context(), s.Address)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			h.serverError(w, r, fmt.Errorf("admin check of %s: %w", s.Address, err))
			return
		case u.Admin && u.ID == s.UserID:
			fn(w, r, s)
			return
		}
		h.log.Info("webmail: admin page refused", "user", s.Address, "path", r.URL.Path)
		h.renderStatus(w, r, s, http.StatusForbidden, "admin_forbidden", &adminPage{Title: "Administrators only"})
	})
}

// adminPage is what every admin page's data has: the layout's title and
// nav entry, the admin section for the sub-nav, and the notice of the
// change that led here or the error of the one that failed.
type adminPage struct {
	Title   string
	Section string // "home", "domains", "users", "aliases", "queue"
	Notice  string
	Error   string
}

func (p *adminPage) PageTitle() string { return p.Title + " · Administration" }
func (p *adminPage) PageNav() string   { return "admin" }

// adminNotices are the notices a redirect after a change names (query
// ok=CODE&what=SUBJECT): fixed texts, so a link cannot make the page
// say anything else.
var adminNotices = map[string]string{
	"domain-added":    "Added domain %s. Publish its DNS records (DNS link in the list).",
	"domain-deleted":  "Deleted domain %s.",
	"user-added":      "Added user %s.",
	"user-deleted":    "Deleted user %s and all their mail.",
	"password-set":    "Changed the password of %s; their webmail sessions have ended.",
	"quota-set":       "Changed the quota of %s.",
	"admin-on":        "%s is now an administrator.",
	"admin-off":       "%s is no longer an administrator.",
	"alias-added":     "Saved alias %s.",
	"alias-deleted":   "Deleted alias %s.",
	"queue-retry":     "Message %s will be retried now.",
	"queue-retry-all": "%s queued messages will be retried now.",
	"queue-bounce":    "Message %s was returned to its sender.",
	"queue-delete":    "Message %s was deleted from the queue.",
}

// notice is the notice of the redirect that led to r, or "".
func notice(r *http.Request) string {
	f, ok := adminNotices[r.URL.Query().Get("ok")]
	if !ok {
		return ""
	}
	return fmt.Sprintf(f, r.URL.Query().Get("what"))
}

// redirectDone answers a successful change: 303 to path with the notice.
func redirectDone(w http.ResponseWriter, r *http.Request, path, code, what string) {
	q := url.Values{"ok": {code}, "what": {what}}
	sep := "?"
	if u, err := url.Parse(path); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+q.Encode(), http.StatusSeeOther)
}
