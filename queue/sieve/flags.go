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

// addFlags adds flags not yet present (case-insensitive), keeping order.
func addFlags(cur []string, add []string) []string {
	out := append([]string(nil), cur...)
	for _, f := range splitFlags(add) {
		if !containsFlag(out, f) {
			out = append(out, f)
		}
	}
	return out
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
	drop := splitFlags(rm)
	var out []string
	for _, f := range cur {
		if !containsFlag(drop, f) {
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
