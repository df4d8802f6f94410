package sieve

import "strings"

// Address parsing for the address test (RFC 5228 §5.1, §2.7.4) over
// RFC 5322 §3.4 address lists: mailboxes, angle addresses, groups
// ("name: a@b, c@d;"), comments and quoted strings. The parser is lenient
// like mail readers: it never fails, it yields what it can. An address
// without "@" is kept as not syntactically valid: RFC 5228 §2.7.4 says it
// is then not matched by :localpart or :domain.

type address struct {
	all    string
	local  string
	domain string
	valid  bool
}

func makeAddress(spec string) address {
	a := address{all: spec}
	at := strings.LastIndexByte(spec, '@')
	if at > 0 && at < len(spec)-1 {
		a.local, a.domain, a.valid = spec[:at], spec[at+1:], true
	}
	return a
}

// part returns the address part (RFC 5228 §2.7.4, RFC 5233 §4) and whether
// the address has it.
func (a address) part(p addrPart) (string, bool) {
	switch p {
	case partAll:
		return a.all, true
	case partLocal:
		return a.local, a.valid
	case partDomain:
		return a.domain, a.valid
	case partUser, partDetail:
		if !a.valid {
			return "", false
		}
		// RFC 5233 §4 with "+" as the separator.
		i := strings.IndexByte(a.local, '+')
		if p == partUser {
			if i < 0 {
				return a.local, true
			}
			return a.local[:i], true
		}
		if i < 0 {
			return "", false
		}
		return a.local[i+1:], true
	}
	return "", false
}

// parseAddressList returns the addr-specs of an address-list header value.
func parseAddressList(v string) []address {
	var out []address
	var cur strings.Builder // the current mailbox's addr-spec candidate (no spaces, no comments)
	var angle string
	haveAngle := false
	finish := func() {
		spec := cur.String()
		if haveAngle {
			spec = angle
		}
		spec = stripRoute(strings.TrimSpace(spec))
		if spec != "" {
			out = append(out, makeAddress(spec))
		}
		cur.Reset()
		angle, haveAngle = "", false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '(':
			i = skipComment(v, i)
		case '"':
			j := i + 1
			var q strings.Builder
			for j < len(v) && v[j] != '"' {
				if v[j] == '\\' && j+1 < len(v) {
					j++
				}
				q.WriteByte(v[j])
				j++
			}
			cur.WriteString(q.String())
			i = j
		case '<':
			j := i + 1
			var a strings.Builder
			for j < len(v) && v[j] != '>' {
				switch v[j] {
				case '(':
					j = skipComment(v, j)
				case '"':
					k := j + 1
					for k < len(v) && v[k] != '"' {
						if v[k] == '\\' && k+1 < len(v) {
							k++
						}
						a.WriteByte(v[k])
						k++
					}
					j = k
				case ' ', '\t', '\r', '\n':
				default:
					a.WriteByte(v[j])
				}
				j++
			}
			angle, haveAngle = a.String(), true
			i = j
		case ':':
			// group start (RFC 5322 §3.4): what came before is the group's name
			cur.Reset()
			angle, haveAngle = "", false
		case ',', ';':
			finish()
		case ' ', '\t', '\r', '\n':
			if !haveAngle && cur.Len() > 0 {
				// a display name word followed by more words: keep only the last
				// candidate when no angle address comes (lenient)
				cur.WriteByte(' ')
			}
		default:
			cur.WriteByte(c)
		}
	}
	finish()
	// a bare "word word" (display name without angle address) is not an address
	for i := range out {
		if strings.ContainsAny(out[i].all, " ") {
			out[i] = address{all: strings.TrimSpace(out[i].all)}
			if !strings.Contains(out[i].all, " ") {
				out[i] = makeAddress(out[i].all)
			}
		}
	}
	return out
}

func skipComment(v string, i int) int {
	depth := 0
	for ; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(v)
}

// stripRoute removes an obsolete source route "@a,@b:" (RFC 5322 §4.4).
func stripRoute(s string) string {
	if strings.HasPrefix(s, "@") {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			return s[i+1:]
		}
	}
	return s
}

// redirectAddress checks a redirect target (RFC 5228 §4.2: an RFC 5322
// address; an invalid one is an error) and returns its addr-spec.
func redirectAddress(s string) (string, bool) {
	l := parseAddressList(s)
	if len(l) != 1 || !l[0].valid || strings.ContainsAny(l[0].all, " \t,;<>()\"") {
		return "", false
	}
	return l[0].all, true
}
