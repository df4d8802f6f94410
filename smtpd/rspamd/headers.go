package rspamd

import (
	"fmt"
	"sort"
	"strings"
)

// Headers are the header fields rspamd's milter_headers module adds, for
// a delivered message: X-Spamd-Result (the verdict and every symbol),
// X-Spam-Score, and X-Spam: Yes when the action marks the message as
// spam. Each field ends in CRLF; long ones are folded (RFC 5322 §2.2.3).
func (r *Result) Headers() string {
	var b strings.Builder
	spam := r.IsSpam()
	b.WriteString(fmt.Sprintf("X-Spamd-Result: default: %s [%.2f / %.2f]", pyBool(spam), r.Score, r.RequiredScore))
	names := make([]string, 0, len(r.Symbols))
	for n := range r.Symbols {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := r.Symbols[n]
		b.WriteString(";\r\n\t")
		b.WriteString(headerSafe(n, 100))
		b.WriteString(fmt.Sprintf("(%.2f)", s.Score))
		if len(s.Options) > 0 {
			opts := make([]string, 0, len(s.Options))
			for _, o := range s.Options {
				opts = append(opts, headerSafe(o, 100))
			}
			if len(opts) > 5 {
				opts = append(opts[:5], "...")
			}
			b.WriteString("[" + strings.Join(opts, ",") + "]")
		}
	}
	b.WriteString("\r\n")
	b.WriteString(fmt.Sprintf("X-Spam-Score: %.2f\r\n", r.Score))
	if spam {
		b.WriteString("X-Spam: Yes\r\n")
	}
	return b.String()
}

// IsSpam reports whether the action marks the message as spam (anything
// but "no action" and greylisting).
func (r *Result) IsSpam() bool {
	switch r.Action {
	case ActionNoAction, ActionGreylist:
		return false
	}
	return true
}

// UnscannedHeader marks a message delivered without a verdict because
// rspamd could not be asked (on_error = "accept").
const UnscannedHeader = "X-Spam-Status: Unscanned (spam filter unavailable)\r\n"

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// headerSafe keeps printable ASCII other than the separators the field
// uses, at most max octets: rspamd's symbol options quote message content
// (URLs, addresses), which must not break the header.
func headerSafe(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		c := s[i]
		switch {
		case c < 0x21 || c > 0x7e, c == ';', c == ',', c == '[', c == ']':
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
