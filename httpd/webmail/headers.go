package webmail

import "net/http"

// Content-Security-Policy of webmail pages: scripts, styles and images
// only from here, no inline script, frames only of our own message URLs,
// and framed only by ourselves (the message frame).
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'"

// setPageHeaders sets the headers of every webmail response, replacing
// the site's stricter defaults where the webmail needs more (its own
// scripts, its message frame).
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-Content-Type-Options", "nosniff")
	// Same-origin: the browser's Origin header stays meaningful for the
	// CSRF check; nothing leaves for other sites (message links also
	// carry rel=noreferrer, and the frame has its own no-referrer).
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}
