package webmail

import "net/http"

// This file is a stub: its owner (webadmin) replaces it.

// Admin runs the administration pages' operations. Declared by its owner.
type Admin interface{}

// routesAdmin registers the administration pages.
func (h *Handler) routesAdmin(mux *http.ServeMux) {}

// isAdmin reports whether the session's user may see the admin pages
// (the layout's nav link).
func (h *Handler) isAdmin(r *http.Request, s *Session) bool { return false }
