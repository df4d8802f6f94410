package webmail

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"
)

// Limits (Options fields of the same name; zero takes these).
const (
	// DefaultMaxFormBytes bounds the body of an ordinary form post.
	DefaultMaxFormBytes = 1 << 20
	// DefaultMaxUploadBytes bounds a multipart post (compose with
	// attachments); cmd sets it from the message size limit.
	DefaultMaxUploadBytes = 50 << 20
	// DefaultPageSize is the message list's page; MaxPageSize caps
	// what a request may ask for.
	DefaultPageSize = 50
	MaxPageSize     = 200
	// DefaultEventBuffer is how many events a live stream may have
	// pending before it is dropped (the browser reconnects and reloads).
	DefaultEventBuffer = 256
	// envelopeCacheSize: message list entries kept parsed (a few
	// hundred bytes each).
	envelopeCacheSize = 20000
)

// Options configures the webmail.
type Options struct {
	Store Store
	// Submitter sends mail through the submission path (webcompose);
	// nil: sending is off.
	Submitter Submitter
	// Admin runs the administration pages (webadmin); nil: no admin pages.
	Admin Admin
	// Hostname is the server's name: the authserv-id of the
	// Authentication-Results fields it writes (only those are believed).
	Hostname string
	Logger   *slog.Logger
	// InsecureCookies drops the Secure attribute of cookies. Only for
	// tests over plain HTTP; the webmail is served over HTTPS.
	InsecureCookies bool
	// SessionIdle, SessionLifetime: a session ends after this long unused,
	// and at the latest this long after login.
	SessionIdle, SessionLifetime time.Duration
	// MaxSessionsPerUser: beyond, a login ends the user's oldest session.
	MaxSessionsPerUser int
	// MaxFormBytes, MaxUploadBytes: request body limits (see the defaults).
	MaxFormBytes, MaxUploadBytes int64
	// PageSize: messages per page of the message list.
	PageSize int
	// EventBuffer: pending live events per stream before it is dropped.
	EventBuffer int
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Handler is the webmail, an http.Handler for the paths under /webmail/.
type Handler struct {
	o        Options
	log      *slog.Logger
	sessions *sessions
	mux      *http.ServeMux
	tmpl     *templates
	// envelopes caches the message list's header fields by body.
	envelopes *envelopeCache
	sanitizer *bluemonday.Policy
	now       func() time.Time

	closeOnce sync.Once
	closed    chan struct{} // closed by Close: event streams return
}

// New returns the webmail for o.
func New(o Options) (*Handler, error) {
	if o.Store == nil {
		return nil, errors.New("webmail: Options.Store is nil")
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.SessionIdle, DefaultSessionIdle)
	def(&o.SessionLifetime, DefaultSessionLifetime)
	if o.MaxSessionsPerUser <= 0 {
		o.MaxSessionsPerUser = DefaultMaxSessionsPerUser
	}
	if o.MaxFormBytes <= 0 {
		o.MaxFormBytes = DefaultMaxFormBytes
	}
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	o.PageSize = min(o.PageSize, MaxPageSize)
	if o.EventBuffer <= 0 {
		o.EventBuffer = DefaultEventBuffer
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	h := &Handler{o: o, log: log, now: now, tmpl: tmpl, closed: make(chan struct{}),
		envelopes: newEnvelopeCache(envelopeCacheSize), sanitizer: newSanitizer(),
		sessions: newSessions(o.SessionIdle, o.SessionLifetime, o.MaxSessionsPerUser, now)}
	h.mux = http.NewServeMux()
	h.routes(h.mux)
	return h, nil
}

// EndUserSessions ends every session of the user except the one with ID
// except ("" for none): after a password change from elsewhere, or when
// the user is deleted.
func (h *Handler) EndUserSessions(userID uint64, except string) {
	h.sessions.EndUser(userID, except)
}

// Close ends every session and returns every live event stream, so that
// the HTTP server's graceful shutdown does not wait for them.
func (h *Handler) Close() {
	h.closeOnce.Do(func() { close(h.closed) })
	h.sessions.endAll()
}

// ServeHTTP sets the webmail's security headers, refuses state-changing
// requests without their CSRF token, and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w.Header())
	if !strings.HasPrefix(r.URL.Path, "/webmail/") {
		if r.URL.Path == "/webmail" {
			http.Redirect(w, r, "/webmail/", http.StatusMovedPermanently)
			return
		}
		http.NotFound(w, r)
		return
	}
	if !safeMethod(r.Method) && !h.checkCSRF(w, r) {
		return
	}
	h.mux.ServeHTTP(w, r)
}

// safeMethod: the methods that change nothing and need no CSRF token.
func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// requireUser wraps a handler that needs a session: without one, a page
// request goes to the login page and anything else gets 401.
func (h *Handler) requireUser(fn func(w http.ResponseWriter, r *http.Request, s *Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			if r.Method == http.MethodGet && !strings.Contains(r.Header.Get("Accept"), "text/event-stream") &&
				r.Header.Get("X-Requested-With") == "" {
				http.Redirect(w, r, "/webmail/login", http.StatusSeeOther)
				return
			}
			http.Error(w, "401 not logged in", http.StatusUnauthorized)
			return
		}
		fn(w, r, s)
	}
}

// serverError logs err and answers 500 without its text.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Warn("webmail: request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "500 internal server error", http.StatusInternalServerError)
}
