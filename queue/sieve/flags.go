package sieve

import (
	"regexp"
	"strings"
)

// imap4flags (RFC 5232): the internal variable and flag list variables hold
// space-separated flags, compared case-insensitively (RFC 5232 §3).

// splitFlags splits flag strings at spaces (RFC 5232 §3: a string may hold
// several flags).
func splitFlags(list []string) []string {
	var out []string
	for _, s := range list {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

// addFlags adds valid flags not yet present (case-insensitive), keeping
// order. Invalid flags are ignored (RFC 5232 §3 flags are IMAP flags,
// RFC 3501 §9 flag; Pigeonhole ignores them with a warning).
func addFlags(cur []string, add []string) []string {
	out := append([]string(nil), cur...)
	fl := splitFlags(add)
	if len(out)+len(fl) > 16 { // a set keeps long lists linear
		seen := make(map[string]bool, len(out)+len(fl))
		for _, f := range out {
			seen[lowerASCII(f)] = true
		}
		for _, f := range fl {
			if k := lowerASCII(f); validFlag(f) && !seen[k] {
				seen[k] = true
				out = append(out, f)
			}
		}
		return out
	}
	for _, f := range fl {
		if validFlag(f) && !containsFlag(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// validFlag is RFC 3501 §9: flag = "\\Answered" / "\\Flagged" / "\\Deleted" /
// "\\Seen" / "\\Draft" / flag-keyword (an atom); \\Recent cannot be set.
func validFlag(f string) bool {
	if f == "" {
		return false
	}
	if f[0] == '\\' {
		switch strings.ToLower(f[1:]) {
		case "answered", "flagged", "deleted", "seen", "draft":
			return true
		}
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c <= ' ' || c >= 127 || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}

func containsFlag(list []string, f string) bool {
	for _, g := range list {
		if equalFoldASCII(g, f) {
			return true
		}
	}
	return false
}

func removeFlags(cur []string, rm []string) []string {
	drop := map[string]bool{}
	for _, f := range splitFlags(rm) {
		drop[lowerASCII(f)] = true
	}
	var out []string
	for _, f := range cur {
		if !drop[lowerASCII(f)] {
			out = append(out, f)
		}
	}
	return out
}

func (r *run) doFlags(c cmdFlags) {
	flags := r.expandList(c.flags)
	if c.name != nil {
		r.setVar(c.name.lit, flagVariable(r.vars[c.name.lit], c.op, flags))
		return
	}
	switch c.op {
	case flagSet: // RFC 5232 §3.1
		r.flags = addFlags(nil, flags)
	case flagAdd: // §3.2
		r.flags = addFlags(r.flags, flags)
	case flagRemove: // §3.3
		r.flags = removeFlags(r.flags, flags)
	}
}

// flagVariable applies a flag command to a variable's text. As in
// Pigeonhole, the text is edited rather than rebuilt: addflag appends the
// new flags, removeflag rewrites it only when it removes one.
func flagVariable(v string, op flagOp, flags []string) string {
	cur := addFlags(nil, []string{v})
	switch op {
	case flagSet:
		return strings.Join(addFlags(nil, flags), " ")
	case flagAdd:
		for _, f := range addFlags(cur, flags)[len(cur):] {
			if v != "" {
				v += " "
			}
			v += f
		}
		return v
	default:
		rest := removeFlags(cur, flags)
		if len(rest) == len(cur) {
			return v
		}
		return strings.Join(rest, " ")
	}
}

// actionFlags is the flags of a keep or fileinto: its :flags, else the
// internal variable's current value (RFC 5232 §5).
func (r *run) actionFlags(tag *strList) []string {
	if tag == nil {
		return append([]string(nil), r.flags...)
	}
	return addFlags(nil, r.expandList(*tag))
}

// hasFlag is RFC 5232 §4: whether any flag of the variables matches any
// flag of the keys. Each variable is a flag list of its own (:count adds
// them up), and for :is and :contains a key holding several flags is
// split (Pigeonhole's behaviour; RFC 5232 §4 does not say).
func (r *run) hasFlag(t *testHasFlag) (bool, error) {
	var cur []string
	if t.vars == nil {
		cur = r.flags
	} else {
		for _, v := range t.vars {
			cur = append(cur, addFlags(nil, []string{r.vars[v.lit]})...)
		}
	}
	m := t.m
	if m.mt == mtIs || m.mt == mtContains {
		var keys strList
		for _, k := range r.expandList(t.m.keys) {
			for _, f := range strings.Fields(k) {
				keys = append(keys, str{lit: f})
			}
		}
		m.keys, m.globs, m.res = keys, make([]*glob, len(keys)), make([]*regexp.Regexp, len(keys))
	}
	return r.matchValues(&m, cur)
}
