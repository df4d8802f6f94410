package webmail

import (
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"net/url"
)

// loginCookie carries the login form's token: before login there is no
// session to hold one, so the form and the cookie must agree (double
// submit; the cookie is SameSite=Strict and HttpOnly).
const loginCookie = "webmail_login"

// maxMultipartMemory is how much of a multipart form is kept in memory;
// the rest goes to temporary files (net/http).
const maxMultipartMemory = 8 << 20

// checkCSRF is the one CSRF check, for every request that is not GET or
// HEAD: the request must come from this origin (Origin and
// Sec-Fetch-Site, where the browser sends them) and carry the token of
// its session (or, for the login form, of its login cookie) in the header
// X-CSRF-Token or the form field csrf. It also bounds the request body.
// It answers the request and returns false when the check fails.
func (h *Handler) checkCSRF(w http.ResponseWriter, r *http.Request) bool {
	if !sameOrigin(r) {
		http.Error(w, "403 cross-origin request refused", http.StatusForbidden)
		return false
	}
	multipart := false
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && ct == "multipart/form-data" {
		multipart = true
	}
	limit := h.o.MaxFormBytes
	if multipart {
		limit = h.o.MaxUploadBytes
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		var err error
		if multipart {
			err = r.ParseMultipartForm(maxMultipartMemory)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				http.Error(w, "413 request too large", http.StatusRequestEntityTooLarge)
			} else {
				http.Error(w, "400 bad form", http.StatusBadRequest)
			}
			return false
		}
		token = r.PostFormValue("csrf")
	}
	var want string
	if r.URL.Path == "/webmail/login" {
		if c, err := r.Cookie(loginCookie); err == nil {
			want = c.Value
		}
	} else {
		s := h.session(r)
		if s == nil {
			http.Error(w, "401 not logged in", http.StatusUnauthorized)
			return false
		}
		want = s.CSRF
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		http.Error(w, "403 missing or wrong CSRF token", http.StatusForbidden)
		return false
	}
	return true
}

// sameOrigin reports whether the browser says the request comes from this
// site. Requests without the headers (non-browser clients) pass: the
// token decides.
func sameOrigin(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	switch site {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	if o == "null" {
		// Sent for a page whose referrer policy is no-referrer (Fetch
		// §3.1), and by opaque origins such as a sandboxed frame: only
		// believed with the browser's word that it is same-origin.
		return site == "same-origin"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}
