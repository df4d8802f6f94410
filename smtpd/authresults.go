package smtpd

import (
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/idna"

	"github.com/mailserver/mailserver/store"
)

// headerBlock is a message's header section as received, split into
// fields (RFC 5322 §2.2) by hand, so that a header go-message would
// refuse is still read for From: and forged Authentication-Results.
type headerBlock struct {
	raw    []byte
	fields []headerField
}

type headerField struct {
	name       string
	start, end int // raw[start:end] is the field with its CRLF
	colon      int // raw[colon] is the ':' after the name
}

// readHeaderBlock reads r up to the empty line that ends the header (or
// the end of input). Linear in the header's length.
func readHeaderBlock(r io.Reader) *headerBlock {
	br := bufio.NewReader(r)
	h := &headerBlock{}
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break // the empty line, or the end of input
		}
		start := len(h.raw)
		h.raw = append(h.raw, line...)
		if line[0] != ' ' && line[0] != '\t' {
			// Not a folded continuation (RFC 5322 §2.2.3): a new
			// field, or a line that is none and belongs to no field.
			if colon := bytes.IndexByte(line, ':'); colon > 0 {
				h.fields = append(h.fields, headerField{
					name: strings.TrimRight(string(line[:colon]), " \t"), start: start, colon: start + colon,
				})
			}
		}
		if n := len(h.fields); n > 0 {
			h.fields[n-1].end = len(h.raw)
		}
		if err != nil {
			break
		}
	}
	return h
}

// has reports whether the header has a field called name.
func (h *headerBlock) has(name string) bool {
	for _, f := range h.fields {
		if strings.EqualFold(f.name, name) {
			return true
		}
	}
	return false
}

// value returns a field's unfolded value.
func (h *headerBlock) value(f headerField) string {
	v := string(h.raw[f.colon+1 : f.end])
	v = strings.NewReplacer("\r\n", "", "\n", "").Replace(v)
	return strings.TrimSpace(v)
}

// fromDomains returns the distinct domains of the From: field(s)
// (RFC 7489 §6.6.1), lower case.
func (h *headerBlock) fromDomains() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if a, err := idna.Lookup.ToASCII(d); err == nil {
			d = a // DNS names are A-labels (RFC 5891); SMTPUTF8 mail has U-labels
		}
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	for _, f := range h.fields {
		if !strings.EqualFold(f.name, "From") {
			continue
		}
		v := h.value(f)
		list, err := parseMailboxes(v)
		if err != nil {
			// A From: our parser refuses may still be shown by mail
			// clients: every "@domain" in it counts.
			for _, d := range atDomains(v) {
				add(d)
			}
			continue
		}
		for _, a := range list {
			if at := strings.LastIndexByte(a, '@'); at >= 0 {
				add(a[at+1:])
			}
		}
	}
	return out
}

// atDomains returns the domain-looking runs after each '@' in s.
func atDomains(s string) []string {
	var out []string
	for {
		at := strings.IndexByte(s, '@')
		if at < 0 {
			return out
		}
		s = s[at+1:]
		n := 0
		for n < len(s) && (isLDH(s[n]) || s[n] == '.') {
			n++
		}
		if n > 0 {
			out = append(out, s[:n])
		}
	}
}

func isLDH(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// withoutForgedResults returns body without the Authentication-Results
// fields that carry our authserv-id (RFC 8601 §5: a sender must not be
// able to pass off results as ours), or body itself when there are none.
func withoutForgedResults(body *store.Body, h *headerBlock, authservID string) (*store.Body, int) {
	var drop []headerField
	for _, f := range h.fields {
		if strings.EqualFold(f.name, "Authentication-Results") && strings.EqualFold(authServID(h.value(f)), authservID) {
			drop = append(drop, f)
		}
	}
	if len(drop) == 0 {
		return body, 0
	}
	r := body.Reader()
	if _, err := io.CopyN(io.Discard, r, int64(len(h.raw))); err != nil {
		return body, 0
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return body, 0
	}
	out := make([]byte, 0, len(h.raw)+len(rest))
	pos := 0
	for _, f := range drop {
		out = append(out, h.raw[pos:f.start]...)
		pos = f.end
	}
	out = append(out, h.raw[pos:]...)
	out = append(out, rest...)
	return store.NewBody(out), len(drop)
}

// authServID is the authserv-id of an Authentication-Results value
// (RFC 8601 §2.2): a token or quoted string, after any comment.
func authServID(v string) string {
	v = strings.TrimSpace(skipComments(v))
	if strings.HasPrefix(v, `"`) {
		if end := strings.IndexByte(v[1:], '"'); end >= 0 {
			return v[1 : 1+end]
		}
		return v[1:]
	}
	if i := strings.IndexAny(v, "; \t("); i >= 0 {
		v = v[:i]
	}
	return v
}

// skipComments drops leading whitespace and (nested) comments.
func skipComments(v string) string {
	for {
		v = strings.TrimLeft(v, " \t")
		if !strings.HasPrefix(v, "(") {
			return v
		}
		depth := 0
		i := 0
		for ; i < len(v); i++ {
			if v[i] == '(' {
				depth++
			} else if v[i] == ')' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if i >= len(v) {
			return ""
		}
		v = v[i+1:]
	}
}

// authResultsField formats the Authentication-Results field (RFC 8601)
// for an outcome, one result per line.
func authResultsField(authservID string, o *authOutcome) string {
	var results []authres.Result
	sr := &authres.SPFResult{Value: spfValue(o.spf.result)}
	if o.spf.mailFrom != "" {
		sr.From = sanitizeValue(o.spf.mailFrom)
	} else {
		sr.Helo = sanitizeValue(o.spf.helo)
	}
	results = append(results, sr)
	if len(o.dkim) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, v := range o.dkim {
		r := &authres.DKIMResult{Value: dkimValue(v), Domain: sanitizeValue(v.Domain)}
		if v.Err != nil {
			r.Reason = sanitizeValue(strings.TrimPrefix(v.Err.Error(), "dkim: "))
		}
		results = append(results, r)
	}
	results = append(results, &authres.DMARCResult{Value: o.dmarc.value, From: sanitizeValue(o.dmarc.domain), Reason: o.dmarc.reason})
	var b strings.Builder
	b.WriteString("Authentication-Results: ")
	b.WriteString(authservID)
	for _, r := range results {
		// authres.Format of one result is "id; method=value params".
		s := authres.Format("x", []authres.Result{r})
		b.WriteString(";\r\n\t")
		b.WriteString(strings.TrimSpace(strings.TrimPrefix(s, "x; ")))
	}
	b.WriteString("\r\n")
	return b.String()
}

// sanitizeValue keeps what the sender controls (domains, addresses,
// library error texts) from breaking the field: no control characters,
// quotes or backslashes (authres quotes values but does not escape
// backslashes), at most 200 octets.
func sanitizeValue(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}
