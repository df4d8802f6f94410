package httpd

import (
	"io"
	"net/http"
	"strconv"
	"strings"
)

// MTA-STS policy defaults (RFC 8461 §3.2). Testing mode: senders report
// failures (TLS-RPT, RFC 8460) but still deliver, so a certificate
// problem costs no mail while the operator checks the reports.
const (
	DefaultMTASTSMode = "testing"
	// DefaultMTASTSMaxAge is one week, in seconds.
	DefaultMTASTSMaxAge = 604800
	// MaxMTASTSMaxAge is the largest max_age RFC 8461 §3.2 allows
	// (about one year).
	MaxMTASTSMaxAge = 31557600
)

// MTASTSModes are the policy modes of RFC 8461 §5.
var mtaSTSModes = []string{"testing", "enforce", "none"}

// ValidMTASTSMode reports whether mode is one of "testing", "enforce"
// and "none".
func ValidMTASTSMode(mode string) bool {
	for _, m := range mtaSTSModes {
		if mode == m {
			return true
		}
	}
	return false
}

// MTASTSPolicy is the text of the policy file served at
// https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 §3.2): key:
// value lines ending in CRLF, one "mx:" line for the hostname and each
// extra MX name (a name may start with "*." to match one label). It is
// the one source of the policy text: the _mta-sts TXT record's id is a
// digest of exactly what this returns, so the id changes whenever the
// served policy does.
func MTASTSPolicy(mode, hostname string, extraMX []string, maxAge int) string {
	var b strings.Builder
	b.WriteString("version: STSv1\r\n")
	b.WriteString("mode: " + mode + "\r\n")
	seen := map[string]bool{}
	for _, mx := range append([]string{hostname}, extraMX...) {
		mx = strings.ToLower(strings.TrimSuffix(mx, "."))
		if mx == "" || seen[mx] {
			continue
		}
		seen[mx] = true
		b.WriteString("mx: " + mx + "\r\n")
	}
	b.WriteString("max_age: " + strconv.Itoa(maxAge) + "\r\n")
	return b.String()
}

// serveMTASTS serves the policy (RFC 8461 §3.3: media type text/plain,
// over HTTPS at mta-sts.DOMAIN only; senders do not follow redirects).
func (s *Site) serveMTASTS(w http.ResponseWriter, r *request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.o.MTASTSPolicy)))
	io.WriteString(w, s.o.MTASTSPolicy)
}
