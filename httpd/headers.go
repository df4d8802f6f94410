package httpd

import "net/http"

// Security headers of every HTTPS response.
const (
	// hstsValue: one year (RFC 6797 §6.1.1), without includeSubDomains,
	// which would bind names this server does not serve.
	hstsValue = "max-age=31536000"
	// cspValue allows nothing but the landing page's own form: no
	// scripts, styles, images or frames, and no framing by others.
	cspValue = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

// secureHeaders sets the headers every HTTPS response carries. HSTS
// (RFC 6797 §7.2: only over secure transport) only once a CA-issued
// certificate is in place: with the self-signed one it would make
// browsers refuse the site outright instead of warning.
func (s *Site) secureHeaders(h http.Header) {
	if s.o.TrustedCert != nil && s.o.TrustedCert() {
		h.Set("Strict-Transport-Security", hstsValue)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", cspValue)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}
