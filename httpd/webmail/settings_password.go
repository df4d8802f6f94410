package webmail

import (
	"errors"
	"net/http"

	"github.com/mailserver/mailserver/store"
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
	case len(old) > maxPasswordLen:
		fail(http.StatusUnprocessableEntity, "The current password is too long.")
		return
	}
	// The same rules as a password an administrator sets (admin_password.go).
	if msg := checkNewPassword(pw, again, s.Address); msg != "" {
		fail(http.StatusUnprocessableEntity, msg)
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
