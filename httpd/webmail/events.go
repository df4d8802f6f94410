package webmail

import "net/http"

// routesEvents registers the live event stream.
func (h *Handler) routesEvents(mux *http.ServeMux) {}
