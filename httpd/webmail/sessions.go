package webmail

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// Session defaults (Options.SessionIdle, Options.SessionLifetime,
// Options.MaxSessionsPerUser).
const (
	DefaultSessionIdle        = 30 * time.Minute
	DefaultSessionLifetime    = 12 * time.Hour
	DefaultMaxSessionsPerUser = 32
)

// sessionCookie is the session's cookie; its path keeps it off the rest
// of the site.
const (
	sessionCookie = "webmail_session"
	cookiePath    = "/webmail/"
)

// Session is one logged-in browser.
type Session struct {
	ID      string // the cookie value: 256 random bits
	UserID  uint64
	Address string // the user's address, as stored
	// CSRF is the token every state-changing request of this session
	// must carry.
	CSRF    string
	Created time.Time

	mu       sync.Mutex
	lastSeen time.Time
	ended    chan struct{} // closed when the session ends (SSE streams stop)
	once     sync.Once
}

// Ended is closed when the session is logged out or expires.
func (s *Session) Ended() <-chan struct{} { return s.ended }

func (s *Session) end() { s.once.Do(func() { close(s.ended) }) }

// sessions is the server-side session table.
type sessions struct {
	idle, lifetime time.Duration
	perUser        int
	now            func() time.Time

	mu     sync.Mutex
	byID   map[string]*Session
	byUser map[uint64]map[string]*Session
}

func newSessions(idle, lifetime time.Duration, perUser int, now func() time.Time) *sessions {
	return &sessions{idle: idle, lifetime: lifetime, perUser: perUser, now: now,
		byID: make(map[string]*Session), byUser: make(map[uint64]map[string]*Session)}
}

// randomToken is 256 random bits, base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for the user. Beyond perUser sessions the
// oldest of that user ends.
func (t *sessions) create(userID uint64, address string) *Session {
	now := t.now()
	s := &Session{ID: randomToken(), UserID: userID, Address: address, CSRF: randomToken(),
		Created: now, lastSeen: now, ended: make(chan struct{})}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now)
	m := t.byUser[userID]
	if m == nil {
		m = make(map[string]*Session)
		t.byUser[userID] = m
	}
	for len(m) >= t.perUser {
		var oldest *Session
		for _, o := range m {
			if oldest == nil || o.Created.Before(oldest.Created) {
				oldest = o
			}
		}
		t.removeLocked(oldest)
	}
	m[s.ID] = s
	t.byID[s.ID] = s
	return s
}

// expired reports whether s is past its idle timeout or lifetime.
func (t *sessions) expired(s *Session, now time.Time) bool {
	s.mu.Lock()
	last := s.lastSeen
	s.mu.Unlock()
	return now.Sub(last) > t.idle || now.Sub(s.Created) > t.lifetime
}

// get returns the live session of id and marks it used, or nil.
func (t *sessions) get(id string) *Session {
	if id == "" {
		return nil
	}
	now := t.now()
	t.mu.Lock()
	s := t.byID[id]
	if s != nil && t.expired(s, now) {
		t.removeLocked(s)
		s = nil
	}
	t.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		s.lastSeen = now
		s.mu.Unlock()
	}
	return s
}

// expire ends s if it is past its idle timeout or lifetime, without
// counting as use (a page left open with its event stream does not keep
// the session alive), and reports whether it did.
func (t *sessions) expire(s *Session) bool {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.expired(s, now) {
		return false
	}
	if t.byID[s.ID] == s {
		t.removeLocked(s)
	}
	return true
}

// end ends one session.
func (t *sessions) end(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.byID[id]; s != nil {
		t.removeLocked(s)
	}
}

// EndUser ends every session of the user except the one with ID except
// ("" for none): after a password change, or when the user is deleted.
func (t *sessions) EndUser(userID uint64, except string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, s := range t.byUser[userID] {
		if id != except {
			t.removeLocked(s)
		}
	}
}

// endAll ends every session (shutdown: event streams return).
func (t *sessions) endAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.byID {
		t.removeLocked(s)
	}
}

func (t *sessions) removeLocked(s *Session) {
	delete(t.byID, s.ID)
	if m := t.byUser[s.UserID]; m != nil {
		delete(m, s.ID)
		if len(m) == 0 {
			delete(t.byUser, s.UserID)
		}
	}
	s.end()
}

// sweepLocked drops expired sessions; called on every login, so the
// table stays bounded by the sessions of the last lifetime.
func (t *sessions) sweepLocked(now time.Time) {
	for _, s := range t.byID {
		if t.expired(s, now) {
			t.removeLocked(s)
		}
	}
}

// count is the number of sessions (tests, metrics).
func (t *sessions) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.byID)
}

// setCookie sets (or, with value "" and maxAge -1, clears) a cookie of the
// webmail path.
func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: cookiePath, MaxAge: maxAge,
		Secure: !h.o.InsecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

// session returns the request's live session, or nil.
func (h *Handler) session(r *http.Request) *Session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return h.sessions.get(c.Value)
}
