package sieve

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Variables (RFC 5229).

func validVariableName(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !(isAlpha(s[i]) || isDigit(s[i]) || s[i] == '_') {
			return false
		}
	}
	return true
}

// parseVariableRefs splits a string into literal text and variable
// references (RFC 5229 §3): "${" [namespace "."] name "}" or "${" digits "}".
// Text that does not form a reference stays literal.
func parseVariableRefs(s string) (str, error) {
	if !strings.Contains(s, "${") {
		return str{lit: s}, nil
	}
	var parts []strPart
	var lit strings.Builder
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			lit.WriteString(s[i:])
			break
		}
		name := s[i+2 : i+2+end]
		switch {
		case name != "" && allDigits(name):
			n, err := strconv.Atoi(trimZeros(name))
			if err != nil || n >= 1<<20 {
				n = 1 << 20
			}
			flush(&parts, &lit)
			parts = append(parts, strPart{isVar: true, num: n})
			i += 2 + end + 1
		case validVariableName(name):
			flush(&parts, &lit)
			parts = append(parts, strPart{isVar: true, name: strings.ToLower(name)})
			i += 2 + end + 1
		case strings.Contains(name, ".") && validNamespaced(name):
			// RFC 5229 §3: a namespace whose extension is not required is an error.
			return str{}, errors.New("unknown variable namespace in \"${" + name + "}\"")
		default:
			lit.WriteString("${")
			i += 2
		}
	}
	if parts == nil {
		return str{lit: lit.String()}, nil
	}
	flush(&parts, &lit)
	return str{parts: parts}, nil
}

func validNamespaced(name string) bool {
	for _, p := range strings.Split(name, ".") {
		if !validVariableName(p) {
			return false
		}
	}
	return true
}

func flush(parts *[]strPart, lit *strings.Builder) {
	if lit.Len() > 0 {
		*parts = append(*parts, strPart{lit: lit.String()})
		lit.Reset()
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// expand substitutes variables (RFC 5229 §3): unknown variables are "".
func (r *run) expand(s str) string {
	if s.parts == nil {
		return s.lit
	}
	var b strings.Builder
	for _, p := range s.parts {
		switch {
		case !p.isVar:
			b.WriteString(p.lit)
		case p.name != "":
			b.WriteString(r.vars[p.name])
		case p.num < len(r.matchVars):
			b.WriteString(r.matchVars[p.num])
		}
	}
	return b.String()
}

func (r *run) expandList(l strList) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = r.expand(s)
	}
	return out
}

// setVar assigns a variable, truncated to MaxVariableBytes at a UTF-8
// boundary (RFC 5229 §6 lets implementations limit the size).
func (r *run) setVar(name, v string) {
	if len(v) > r.lim.MaxVariableBytes {
		v = truncateUTF8(v, r.lim.MaxVariableBytes)
	}
	if r.vars == nil {
		r.vars = map[string]string{}
	}
	r.vars[name] = v
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// setModifier is a modifier of "set" (RFC 5229 §4.1).
type setModifier uint8

const (
	modLower setModifier = iota
	modUpper
	modLowerFirst
	modUpperFirst
	modQuoteWildcard
	modQuoteRegex
	modLength
)

func (m setModifier) apply(s string) string {
	switch m {
	case modLower:
		return strings.ToLower(s)
	case modUpper:
		return strings.ToUpper(s)
	case modLowerFirst, modUpperFirst:
		if s == "" {
			return s
		}
		r, n := utf8.DecodeRuneInString(s)
		if m == modLowerFirst {
			r = unicode.ToLower(r)
		} else {
			r = unicode.ToUpper(r)
		}
		return string(r) + s[n:]
	case modQuoteWildcard: // RFC 5229 §4.1.2: "*", "?" and "\" get a backslash
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if c := s[i]; c == '*' || c == '?' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		return b.String()
	case modQuoteRegex: // draft-ietf-sieve-regex §5
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if strings.IndexByte(`\^$.[]|()?*+{}`, s[i]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		return b.String()
	case modLength: // characters, not octets (RFC 5229 §4.1.3)
		return strconv.Itoa(utf8.RuneCountInString(s))
	}
	return s
}

// set checks "set [MODIFIER...] <name: string> <value: string>".
func (c *checker) set(n *rawNode) (command, error) {
	if err := c.needExt(n, "variables"); err != nil {
		return nil, err
	}
	as, err := c.collect(n, []tagDef{
		{"lower", "p40", valNone, ""}, {"upper", "p40", valNone, ""},
		{"lowerfirst", "p30", valNone, ""}, {"upperfirst", "p30", valNone, ""},
		{"quotewildcard", "p20", valNone, ""}, {"quoteregex", "p20", valNone, "regex"},
		{"length", "p10", valNone, ""},
	})
	if err != nil {
		return nil, err
	}
	if err := positional(n, as, valString, valString); err != nil {
		return nil, err
	}
	names, err := c.varNames(as.pos[0])
	if err != nil {
		return nil, err
	}
	s := cmdSet{line: n.pos.line, name: names[0].lit}
	if s.value, err = c.str(as.pos[1].strs[0]); err != nil {
		return nil, err
	}
	// RFC 5229 §4.1: modifiers apply from the highest precedence down.
	for _, g := range []string{"p40", "p30", "p20", "p10"} {
		tv, ok := as.tags[g]
		if !ok {
			continue
		}
		m := map[string]setModifier{"lower": modLower, "upper": modUpper, "lowerfirst": modLowerFirst,
			"upperfirst": modUpperFirst, "quotewildcard": modQuoteWildcard, "quoteregex": modQuoteRegex,
			"length": modLength}[tv.name]
		s.mods = append(s.mods, m)
	}
	return s, nil
}
