package webmail

import (
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/mailserver/mailserver/store"
)

// Password rules of the form.
const (
	minPasswordChars = 8
)

// changePassword sets a new password after checking the current one
// through the shared login throttle (store.Authenticate, protocol
// "webmail"), then ends the user's other webmail sessions.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, s *Session) {
	old, pw, again := r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("new2")
	fail := func(code int, msg string) { h.showSettings(w, r, s, code, "password", "", msg, nil) }
	switch {
	case old == "" || pw == "":
		fail(http.StatusBadRequest, "Enter your current password and the new one.")
		return
	case pw != again:
		fail(http.StatusUnprocessableEntity, "The new passwords do not match.")
		return
	case utf8.RuneCountInString(pw) < minPasswordChars:
		fail(http.StatusUnprocessableEntity, "The new password must have at least 8 characters.")
		return
	case len(pw) > maxPasswordLen || len(old) > maxPasswordLen || !utf8.ValidString(pw):
		fail(http.StatusUnprocessableEntity, "The new password is too long or not valid text.")
		return
	}
	ctx := r.Context()
	u, err := h.o.Store.Authenticate(ctx, store.Login{Protocol: "webmail", Remote: remoteAddr(r), Username: s.Address, Password: old})
	switch {
	case errors.Is(err, store.ErrThrottled):
		fail(http.StatusTooManyRequests, "Too many failed attempts from your network. Wait a few minutes, then try again.")
		return
	case errors.Is(err, store.ErrAuthFailed):
		fail(http.StatusForbidden, "The current password is wrong.")
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	if u.ID != s.UserID {
		fail(http.StatusForbidden, "The current password is wrong.")
		return
	}
	if err := h.o.Store.SetPassword(ctx, s.Address, pw); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.sessions.EndUser(s.UserID, s.ID)
	h.log.Info("webmail: password changed", "user", s.Address, "remote", remoteAddr(r))
	h.showSettings(w, r, s, http.StatusOK, "password", "Your password is changed. Your other webmail sessions have ended.", "", nil)
}
