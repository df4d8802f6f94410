package store

import (
	"fmt"
	"strings"
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
	if at <= 0 || at == len(addr)-1 {
		return "", "", fmt.Errorf("%w: %q", ErrInvalidAddress, addr)
	}
	local, domain = strings.ToLower(addr[:at]), CanonicalDomain(addr[at+1:])
	if !validLocalPart(local) || !validDomain(domain) {
		return "", "", fmt.Errorf("%w: %q", ErrInvalidAddress, addr)
	}
	return local, domain, nil
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
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r >= 0x80) {
				return false
			}
		}
	}
	return true
}

// stripSubaddress turns "user+tag" into "user" (RFC 5233 style).
func stripSubaddress(local string) (string, bool) {
	if i := strings.IndexByte(local, '+'); i > 0 {
		return local[:i], true
	}
	return local, false
}
