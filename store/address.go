package store

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CanonicalDomain lowercases a domain name and removes one trailing dot.
func CanonicalDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(d), ".")
}

// CanonicalAddress splits and lowercases an address for lookups
// (local parts are treated case-insensitively, as Postfix and Dovecot do).
// It returns ErrInvalidAddress for anything but local@domain with a
// dot-atom local part: quoted local parts, source routes, several @ and
// empty parts are refused, so no lookup can be steered by such tricks.
func CanonicalAddress(addr string) (local, domain string, err error) {
	at := strings.LastIndexByte(addr, '@')
	// RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain. Longer
	// input is refused before any copy is made of it.
	if at <= 0 || at == len(addr)-1 || at > 64 || len(addr)-at-1 > 255 || !utf8.ValidString(addr) {
		return "", "", invalidAddress(addr)
	}
	local, domain = strings.ToLower(addr[:at]), CanonicalDomain(addr[at+1:])
	if !validLocalPart(local) || !validDomain(domain) {
		return "", "", invalidAddress(addr)
	}
	return local, domain, nil
}

// invalidAddress is ErrInvalidAddress naming addr, cut to a length that
// keeps the error (and any log line with it) small.
func invalidAddress(addr string) error {
	if len(addr) > 100 {
		addr = addr[:100] + "..."
	}
	return fmt.Errorf("%w: %q", ErrInvalidAddress, addr)
}

// validLocalPart accepts an RFC 5322 dot-atom of at most 64 octets
// (RFC 5321 §4.5.3.1.1), without the characters mail routing has ever
// given a meaning to ('%', '!', '@', quotes): such addresses are never
// created here, so they can never match a local account.
func validLocalPart(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(".#$&'*+-/=?^_`{|}~", r):
		case r == utf8.RuneError: // invalid UTF-8 (RFC 6531 wants valid)
			return false
		case r >= 0x80: // RFC 6531 UTF-8 local parts
		default:
			return false
		}
	}
	return true
}

// validDomain accepts a DNS name of letter-digit-hyphen labels (or UTF-8
// labels); no IP literals.
func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for rest := s; ; {
		label, after, more := strings.Cut(rest, ".")
		rest = after
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r >= 0x80 && r != utf8.RuneError) {
				return false
			}
		}
		if !more {
			return true
		}
	}
}

// stripSubaddress turns "user+tag" into "user" (RFC 5233 style).
func stripSubaddress(local string) (string, bool) {
	if i := strings.IndexByte(local, '+'); i > 0 {
		return local[:i], true
	}
	return local, false
}
