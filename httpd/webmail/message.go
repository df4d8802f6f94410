package webmail

import "net/http"

// routesMessage registers the message view and its parts.
func (h *Handler) routesMessage(mux *http.ServeMux) {}
