package sieve

import "strings"

// Address parsing for the address test (RFC 5228 §5.1, §2.7.4) over
// RFC 5322 §3.4 address lists: mailboxes, angle addresses, groups
// ("name: a@b, c@d;"), comments and quoted strings. The parser is lenient
// like mail readers: it never fails, it yields what it can. An address
// without "@" is kept as not syntactically valid: RFC 5228 §2.7.4 says it
// is then not matched by :localpart or :domain.

// addressHeaders are the header fields the address test may name (RFC 5228
// §5.1: restricted to fields that contain addresses; the required ones and
// the others Pigeonhole accepts).
var addressHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "sender": true, "resent-from": true, "resent-to": true,
	"reply-to": true, "resent-reply-to": true, "resent-sender": true, "resent-cc": true, "resent-bcc": true,
	"for-approval": true, "for-handling": true, "for-comment": true, "apparently-to": true, "errors-to": true,
	"delivered-to": true, "return-receipt-to": true, "x-admin": true, "read-receipt-to": true,
	"x-confirm-reading-to": true, "return-receipt-requested": true, "registered-mail-reply-requested-by": true,
	"mail-followup-to": true, "mail-reply-to": true, "abuse-reports-to": true, "x-complaints-to": true,
	"x-report-abuse-to": true, "x-beenthere": true, "x-original-to": true,
	"disposition-notification-to": true, "original-recipient": true, "envelope-to": true,
}

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
	haveAngle, quotedLocal, broken, inGroup := false, false, false, false
	invalid := false   // an entry was not an address (for the fallback below)
	needComma := false // after a group's ";" only "," may follow
	angleEnd := 0      // len(cur) when the angle address closed
	// finish ends one mailbox. Text after a complete address (words after
	// an addr-spec, anything after ">") ends the parse: the address is kept,
	// what follows is not read, as Pigeonhole (Dovecot's parser) does.
	finish := func() {
		if haveAngle {
			spec := strings.TrimSpace(stripRoute(strings.TrimSpace(string(angle))))
			at := strings.LastIndexByte(spec, '@')
			if a, ok := addrSpec(spec, quotedLocal); ok && !strings.Contains(spec, " ") {
				out = append(out, a)
			} else if at > 0 && (strings.Contains(spec, " ") || badDomain(spec)) {
				broken = true // "<a b@c>", "<a@b..c>": the parse stops
			} else {
				invalid = true // "<bob>", "<@example.com>", "<>", "<@ex ample.com>": skipped
			}
			if strings.TrimSpace(strings.ReplaceAll(string(cur[angleEnd:]), "\x00", " ")) != "" {
				broken = true
			}
		} else if f := strings.Fields(string(cur)); len(f) > 0 {
			if a, ok := addrSpec(f[0], quotedLocal); ok {
				out = append(out, a)
			} else {
				invalid = true
				if badDomain(f[0]) {
					broken = true // "a@b..c": the parse stops (as Pigeonhole)
				}
			}
			if len(f) > 1 {
				broken = true
			}
		}
		cur, angle = cur[:0], angle[:0]
		haveAngle, quotedLocal = false, false
	}
	for i := 0; i < len(v) && !broken; i++ {
		c := v[i]
		if needComma && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			if c != ',' {
				broken = true
				break
			}
			needComma = false
		}
		if c == '@' && len(strings.TrimSpace(string(cur))) == 0 && !haveAngle && strings.IndexByte(v[i:], ':') >= 0 {
			broken = true // an obsolete route outside angle brackets: unparseable
			break
		}
		switch c {
		case '(': // a comment is CFWS: it vanishes (RFC 5322 §3.2.2)
			i = skipComment(v, i)
		case '"':
			j := i + 1
			if len(cur) == 0 || cur[len(cur)-1] == ' ' {
				quotedLocal = true
			}
			if j < len(v) && v[j] == '"' {
				cur = append(cur, 1) // "" is a word too: the entry is not empty
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
						if v[k] == ' ' {
							angle = append(angle, 0) // restored by addrSpec
						} else {
							angle = append(angle, v[k])
						}
						k++
					}
					j = k
				case ' ', '\t', '\r', '\n':
					angle = append(angle, ' ')
				default:
					angle = append(angle, v[j])
				}
				j++
			}
			if j >= len(v) {
				// unterminated: this entry is not an address; the parse goes on
				// at the next "," (as Pigeonhole's)
				invalid = true
				angle, cur = angle[:0], cur[:0]
				haveAngle, angleEnd = false, 0
				k := strings.IndexByte(v[i+1:], ',')
				if k < 0 {
					i = len(v)
				} else {
					i += k // the loop's i++ lands on the ","
				}
				continue
			}
			haveAngle = true
			angleEnd = len(cur)
			i = j
		case ':':
			if !haveAngle { // group start (RFC 5322 §3.4); its name is not an address
				cur = cur[:0]
				quotedLocal = false
				inGroup = true
				invalid = true // an empty group is no address either
			}
		case ',':
			if !haveAngle && strings.TrimSpace(strings.ReplaceAll(string(cur), "\x00", " ")) == "" {
				invalid = true // an empty entry ("a, , b" or ","): no address
			}
			finish()
		case ';':
			finish()
			if !inGroup {
				broken = true // ";" outside a group: the parse stops
			}
			inGroup, needComma = false, true
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
		t := strings.TrimSpace(v)
		switch {
		case t == "":
			// an empty field is one empty address, as in Pigeonhole
			return []address{{valid: true}}
		case invalid || broken:
			return []address{{all: t}}
		}
		return nil // nothing but comments and separators: no address
	}
	return out
}

// addrSpec makes an address of "local@domain" (RFC 5322 §3.4.1).
func addrSpec(spec string, quoted bool) (address, bool) {
	spec = strings.ReplaceAll(strings.ReplaceAll(spec, "\x00", " "), "\x01", "")
	at := strings.LastIndexByte(spec, '@')
	if at <= 0 || at == len(spec)-1 {
		return address{}, false
	}
	local, domain := spec[:at], spec[at+1:]
	if strings.ContainsAny(domain, " @<>,;:\"") || (!quoted && strings.ContainsAny(local, " @<>,;:\"")) {
		return address{}, false
	}
	// RFC 5322 §3.4.1: a domain dot-atom has no empty parts ("a..b", "x.", ".x")
	if !dotAtom(domain) && !(strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]")) {
		return address{}, false
	}
	// a local part like "a..b" (obs-local-part, RFC 5322 §4.4) is kept and
	// written quoted, as Pigeonhole does
	all := spec
	if needsQuote(local) {
		all = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(local) + `"@` + domain
	}
	return address{all: all, local: local, domain: domain, valid: true}, true
}

// badDomain reports an addr-spec whose domain is there but not a dot-atom.
func badDomain(spec string) bool {
	at := strings.LastIndexByte(spec, '@')
	return at > 0 && at < len(spec)-1 && !dotAtom(spec[at+1:]) && !strings.HasPrefix(spec[at+1:], "[")
}

func dotAtom(s string) bool {
	return s != "" && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
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
	if len(l) != 1 || !l[0].valid || l[0].local == "" || l[0].domain == "" || strings.ContainsAny(l[0].domain, " \t,;<>()\"[]") {
		return "", false
	}
	// the domain is case-insensitive (RFC 5321 §2.4); written lowercase, as Pigeonhole
	return l[0].all[:len(l[0].all)-len(l[0].domain)] + strings.ToLower(l[0].domain), true
}
