package webmail

import (
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
)

// authVerdict is the message view's summary of the server's own
// Authentication-Results field (RFC 8601), written by smtpd at
// delivery: one verdict per method.
type authVerdict struct {
	Checked bool // a field of ours was found
	DKIM    string
	SPF     string
	DMARC   string
	// Domain is what DMARC evaluated (the From domain), for the label.
	Domain string
}

// verdicts are the classes the view shows: "pass", "fail" or "none".
func verdictClass(v authres.ResultValue) string {
	switch v {
	case authres.ResultPass:
		return "pass"
	case authres.ResultFail, authres.ResultSoftFail, authres.ResultPermError, authres.ResultPolicy:
		return "fail"
	case authres.ResultTempError:
		return "temperror"
	case "":
		return "none"
	default:
		return string(v)
	}
}

// authVerdictOf reads the topmost Authentication-Results field whose
// authserv-id is ours: smtpd removes fields with our id that arrive with
// a message (RFC 8601 §5) and adds its own on top, so others' fields, and
// ours from before, are not believed. Several DKIM results: pass if any
// passed.
func authVerdictOf(h textproto.Header, authservID string) authVerdict {
	var v authVerdict
	if authservID == "" {
		return v
	}
	fields := h.FieldsByKey("Authentication-Results")
	for fields.Next() {
		id, results, err := authres.Parse(fields.Value())
		if err != nil || !strings.EqualFold(id, authservID) {
			continue
		}
		v.Checked = true
		v.DKIM, v.SPF, v.DMARC = "none", "none", "none"
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DKIMResult:
				if c := verdictClass(r.Value); v.DKIM != "pass" {
					v.DKIM = c
				}
			case *authres.SPFResult:
				v.SPF = verdictClass(r.Value)
			case *authres.DMARCResult:
				v.DMARC = verdictClass(r.Value)
				v.Domain = r.From
			}
		}
		return v
	}
	return v
}
