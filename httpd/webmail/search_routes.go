package webmail

import "net/http"

// searchForm is the advanced search form's fields.
type searchForm struct{}

// routesSearch registers the search page.
func (h *Handler) routesSearch(mux *http.ServeMux) {}
