package webmail

import "net/http"

// routes registers every path. Each area has its own file with its own
// routesXxx; patterns carry their method, so the mux answers 405 itself.
func (h *Handler) routes(mux *http.ServeMux) {
	mux.Handle("GET /webmail/static/", h.static())
	mux.HandleFunc("GET /webmail/login", h.loginPage)
	mux.HandleFunc("POST /webmail/login", h.login)
	mux.HandleFunc("POST /webmail/logout", h.requireUser(h.logout))
	h.routesRead(mux)     // read_routes.go: folders, lists, messages
	h.routesAct(mux)      // act_routes.go: flags, move, delete, folders
	h.routesSearch(mux)   // search_routes.go
	h.routesEvents(mux)   // events.go: live updates
	h.routesCompose(mux)  // compose_routes.go (webcompose)
	h.routesSettings(mux) // settings_routes.go (webcompose)
	h.routesAdmin(mux)    // admin_routes.go (webadmin)
}
