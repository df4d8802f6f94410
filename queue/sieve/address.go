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

// parseAddressList returns the addresses of an address-list header value.
// Entries that are not local@domain are dropped; when no entry is valid,
// the whole value is returned as one address that only :all matches (as
// Pigeonhole does; RFC 5228 §2.7.4 forbids only :localpart/:domain
// matches on it).
func parseAddressList(v string) []address {
	var out []address
	var cur []byte // the current mailbox outside angle brackets, comments removed
	var angle []byte
	haveAngle, quotedLocal, broken := false, false, false
	finish := func() {
		if haveAngle {
			if a, ok := addrSpec(stripRoute(string(angle)), quotedLocal); ok {
				out = append(out, a)
			}
		} else if f := strings.Fields(string(cur)); len(f) > 0 {
			// a bare addr-spec; trailing words are ignored (lenient, as Pigeonhole)
			if a, ok := addrSpec(f[0], quotedLocal); ok {
				out = append(out, a)
			}
		}
		cur, angle = cur[:0], angle[:0]
		haveAngle, quotedLocal = false, false
	}
	for i := 0; i < len(v) && !broken; i++ {
		c := v[i]
		if c == '@' && len(strings.TrimSpace(string(cur))) == 0 && !haveAngle && strings.IndexByte(v[i:], ':') >= 0 {
			broken = true // an obsolete route outside angle brackets: unparseable
			break
		}
		switch c {
		case '(':
			i = skipComment(v, i)
			cur = append(cur, ' ')
		case '"':
			j := i + 1
			if len(cur) == 0 || cur[len(cur)-1] == ' ' {
				quotedLocal = true
			}
			for j < len(v) && v[j] != '"' {
				if v[j] == '\\' && j+1 < len(v) {
					j++
				}
				// keep quoted text as one word: spaces become a marker
				if v[j] == ' ' {
					cur = append(cur, 0)
				} else {
					cur = append(cur, v[j])
				}
				j++
			}
			i = j
		case '<':
			j := i + 1
			quotedLocal = false
			for j < len(v) && v[j] != '>' {
				switch v[j] {
				case '(':
					j = skipComment(v, j)
				case '"':
					quotedLocal = true
					k := j + 1
					for k < len(v) && v[k] != '"' {
						if v[k] == '\\' && k+1 < len(v) {
							k++
						}
						angle = append(angle, v[k])
						k++
					}
					j = k
				case ' ', '\t', '\r', '\n':
				default:
					angle = append(angle, v[j])
				}
				j++
			}
			if j >= len(v) {
				angle = angle[:0] // unterminated: not an address
			}
			haveAngle = j < len(v)
			i = j
		case ':':
			if !haveAngle { // group start (RFC 5322 §3.4); its name is not an address
				cur = cur[:0]
				quotedLocal = false
			}
		case ',', ';':
			finish()
		case '\t', '\r', '\n':
			cur = append(cur, ' ')
		default:
			cur = append(cur, c)
		}
	}
	if !broken {
		finish()
	}
	if len(out) == 0 {
		if t := strings.TrimSpace(v); t != "" {
			return []address{{all: t}}
		}
	}
	return out
}

// addrSpec makes an address of "local@domain" (RFC 5322 §3.4.1).
func addrSpec(spec string, quoted bool) (address, bool) {
	spec = strings.ReplaceAll(spec, "\x00", " ")
	at := strings.LastIndexByte(spec, '@')
	if at <= 0 || at == len(spec)-1 {
		return address{}, false
	}
	local, domain := spec[:at], spec[at+1:]
	if strings.ContainsAny(domain, " @<>,;:\"") || (!quoted && strings.ContainsAny(local, " <>,;:\"")) {
		return address{}, false
	}
	all := spec
	if quoted && needsQuote(local) {
		all = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(local) + `"@` + domain
	}
	return address{all: all, local: local, domain: domain, valid: true}, true
}

func needsQuote(local string) bool {
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c >= 127 || strings.IndexByte(`()<>[]:;@\,"`, c) >= 0 {
			return true
		}
	}
	return strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..")
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
