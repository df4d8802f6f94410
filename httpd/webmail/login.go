package webmail

import (
	"errors"
	"net"
	"net/http"
	"net/netip"

	"github.com/mailserver/mailserver/store"
)

// Field limits of the login form.
const (
	maxAddressLen  = 320
	maxPasswordLen = 1024
)

// loginData is the login page's data.
type loginData struct {
	Token   string // the login form's CSRF token
	Address string
	Error   string
}

// loginPage shows the login form, with a fresh login token in a cookie
// and in the form.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if h.session(r) != nil {
		http.Redirect(w, r, "/webmail/", http.StatusSeeOther)
		return
	}
	h.showLogin(w, r, http.StatusOK, "", "")
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, code int, address, msg string) {
	token := randomToken()
	h.setCookie(w, loginCookie, token, 3600)
	h.renderStatus(w, r, nil, code, "login", loginData{Token: token, Address: address, Error: msg})
}

// login checks the address and password through store.Authenticate (the
// throttle every protocol shares) and starts a session. A throttled
// client is told to wait: the throttle is per network and slows
// guessing, it never locks the account.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	address := r.PostFormValue("address")
	password := r.PostFormValue("password")
	if address == "" || password == "" || len(address) > maxAddressLen || len(password) > maxPasswordLen {
		h.showLogin(w, r, http.StatusBadRequest, truncate(address, maxAddressLen), "Enter your e-mail address and password.")
		return
	}
	u, err := h.o.Store.Authenticate(r.Context(), store.Login{
		Protocol: "webmail", Remote: remoteAddr(r), Username: address, Password: password,
	})
	switch {
	case errors.Is(err, store.ErrThrottled):
		h.showLogin(w, r, http.StatusTooManyRequests, address,
			"Too many failed logins from your network. Wait a few minutes, then try again.")
		return
	case errors.Is(err, store.ErrAuthFailed):
		h.showLogin(w, r, http.StatusUnauthorized, address, "Wrong address or password.")
		return
	case err != nil:
		if !errors.Is(err, store.ErrAuthUnavailable) {
			h.log.Warn("webmail: login", "err", err)
		}
		h.showLogin(w, r, http.StatusServiceUnavailable, address, "The server is busy. Try again in a moment.")
		return
	}
	// A new session ID on every login: a session ID planted before
	// login is never promoted (session fixation).
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.end(c.Value)
	}
	s := h.sessions.create(u.ID, u.Address)
	h.setCookie(w, sessionCookie, s.ID, 0)
	h.setCookie(w, loginCookie, "", -1)
	h.log.Info("webmail login", "user", u.Address, "remote", remoteAddr(r))
	http.Redirect(w, r, "/webmail/", http.StatusSeeOther)
}

// logout ends the session everywhere it is used.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s *Session) {
	h.sessions.end(s.ID)
	h.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/webmail/login", http.StatusSeeOther)
}

// remoteAddr is the client's address for the login throttle.
func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		// Never the zero Addr, which the throttle exempts (the CLI).
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
