package sieve

import (
	"sort"
	"strconv"
	"strings"
)

// Lines returns the canonical action lines (contract S2): one line per
// action in order, then exactly one implicit-keep line; a failed run is
// "error" then "implicit keep".
func (r *Result) Lines() []string {
	if r.failed {
		return []string{"error", "implicit keep"}
	}
	var out []string
	for _, a := range r.Actions {
		switch a := a.(type) {
		case Keep:
			out = append(out, "store INBOX"+flagsSuffix(a.Flags))
		case FileInto:
			out = append(out, "store "+a.Mailbox+flagsSuffix(a.Flags))
		case Redirect:
			out = append(out, "redirect "+a.Address)
		case Reject:
			out = append(out, "reject "+foldLines(a.Reason))
		case Discard:
			out = append(out, "discard")
		case Vacation:
			from := a.From
			if from == "" {
				from = "-"
			}
			mime := "no"
			if a.Mime {
				mime = "yes"
			}
			out = append(out, "vacation to="+trimAngle(r.envelopeFrom)+" seconds="+strconv.FormatInt(a.Seconds, 10)+
				" subject="+foldLines(a.Subject)+" handle="+foldLines(a.Handle)+" mime="+mime+" from="+foldLines(from))
		}
	}
	if r.ImplicitKeep {
		out = append(out, "implicit keep"+flagsSuffix(r.KeepFlags))
	} else {
		out = append(out, "implicit none")
	}
	return out
}

// flagsSuffix is " flags=a b" with flags lowercased, deduplicated, sorted.
func flagsSuffix(flags []string) string {
	if len(flags) == 0 {
		return ""
	}
	seen := map[string]bool{}
	var l []string
	for _, f := range flags {
		f = strings.ToLower(f)
		if !seen[f] {
			seen[f] = true
			l = append(l, f)
		}
	}
	sort.Strings(l)
	return " flags=" + strings.Join(l, " ")
}

// foldLines writes CR/LF line ends as the two characters \n.
func foldLines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", `\n`)
}
