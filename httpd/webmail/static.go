package webmail

import (
	"embed"
	"io/fs"
	"net/http"
)

// staticFS holds the style sheet and the scripts, served as they are (no
// build step).
//
//go:embed static
var staticFS embed.FS

// static serves /webmail/static/: public (the login page needs them),
// cacheable for an hour.
func (h *Handler) static() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	files := http.StripPrefix("/webmail/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/webmail/static/" {
			http.NotFound(w, r) // no directory listing
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
