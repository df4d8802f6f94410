package webmail

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mailserver/mailserver/store"
)

// adminFailure turns the error of an Admin call about the kind ("domain",
// "user", "alias", "message") named name into the status and the message
// the page shows. An unexpected error is logged, and the page says only
// that it failed (internal text never reaches the browser).
func (h *Handler) adminFailure(r *http.Request, kind, name string, err error) (int, string) {
	switch {
	case errors.Is(err, store.ErrExists):
		return http.StatusConflict, fmt.Sprintf("The %s %s already exists.", kind, name)
	case errors.Is(err, store.ErrNoSuchDomain):
		return http.StatusBadRequest, fmt.Sprintf("The domain of %s is not a local domain: add the domain first.", name)
	case errors.Is(err, store.ErrInvalidAddress) && kind == "domain":
		return http.StatusBadRequest, fmt.Sprintf("%q is not a valid domain name (such as example.com).", name)
	case errors.Is(err, store.ErrInvalidAddress):
		return http.StatusBadRequest, fmt.Sprintf("%q is not a valid e-mail address (such as alice@example.com).", name)
	case errors.Is(err, store.ErrDomainInUse):
		return http.StatusConflict, fmt.Sprintf("The domain %s still has users or aliases: delete them first.", name)
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, fmt.Sprintf("There is no %s %s (any more).", kind, name)
	case errors.Is(err, store.ErrNoSpace):
		return http.StatusInsufficientStorage, "The server's disk is full: nothing was changed."
	}
	h.log.Warn("webmail: admin action failed", "path", r.URL.Path, "kind", kind, "name", name, "err", err)
	return http.StatusInternalServerError, "That failed because of an internal error; nothing may have changed. The server log has the details."
}
