package webmail

import "net/http"

// This file is a stub: its owner (webcompose) replaces it.

// Submitter sends a message through the submission path (sender rules,
// size limit, DKIM, queue). Declared by its owner.
type Submitter interface{}

// composeStore is what compose needs of the store beyond Store's other
// parts. Declared by its owner.
type composeStore interface{}

// routesCompose registers compose, reply, forward, drafts and sending.
func (h *Handler) routesCompose(mux *http.ServeMux) {}
