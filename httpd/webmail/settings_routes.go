package webmail

import "net/http"

// This file is a stub: its owner (webcompose) replaces it.

// settingsStore is what the settings need of the store (password,
// vacation script, spam preference). Declared by its owner.
type settingsStore interface{}

// routesSettings registers the settings pages.
func (h *Handler) routesSettings(mux *http.ServeMux) {}
