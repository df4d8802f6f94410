package webmail

import "net/http"

// composeStore is what compose needs of the store beyond Store's other
// parts.
type composeStore interface{}

// routesCompose registers compose, reply, forward, drafts and sending.
func (h *Handler) routesCompose(mux *http.ServeMux) {}
