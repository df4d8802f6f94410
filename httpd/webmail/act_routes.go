package webmail

import "net/http"

// routesAct registers the actions on messages and folders.
func (h *Handler) routesAct(mux *http.ServeMux) {}
