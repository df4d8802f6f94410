package sieve

import "strings"

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
	var cur []string
	if c.name != nil {
		cur = splitFlags([]string{r.vars[c.name.lit]})
	} else {
		cur = r.flags
	}
	switch c.op {
	case flagSet: // RFC 5232 §3.1
		cur = addFlags(nil, flags)
	case flagAdd: // §3.2
		cur = addFlags(cur, flags)
	case flagRemove: // §3.3
		cur = removeFlags(cur, flags)
	}
	if c.name != nil {
		r.setVar(c.name.lit, strings.Join(cur, " "))
	} else {
		r.flags = cur
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

// hasFlag is RFC 5232 §4: whether any flag of the variables matches a key.
func (r *run) hasFlag(t *testHasFlag) (bool, error) {
	var cur []string
	if t.vars == nil {
		cur = r.flags
	} else {
		for _, v := range t.vars {
			cur = addFlags(cur, []string{r.vars[v.lit]})
		}
	}
	return r.matchValues(&t.m, cur)
}
