package compose

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	gomail "github.com/emersion/go-message/mail"
)

// Address is a mailbox: a display name and an addr-spec.
type Address = mail.Address

// MaxAddressField bounds an address list given to ParseAddressList, so
// the parser's work stays bounded (it is linear in its input).
const MaxAddressField = 64 << 10

// MaxRecipients bounds the recipients of one message (To, Cc and Bcc
// together), as an SMTP server limits RCPT commands (RFC 5321 §4.5.3.1.8
// requires at least 100).
const MaxRecipients = 100

// ErrNoRecipients: a message to send has no recipient.
var ErrNoRecipients = errors.New("compose: no recipient")

// AddressError names the part of an address field that is not an address.
type AddressError struct {
	Field string // "To", "Cc", "Bcc", "From"; "" when unknown
	Value string // the offending text, as given
	Msg   string
}

func (e *AddressError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%q: %s", e.Value, e.Msg)
	}
	return fmt.Sprintf("%s: %q: %s", e.Field, e.Value, e.Msg)
}

// ParseAddressList parses what a user typed in an address field: RFC 5322
// addresses (§3.4) separated by commas or semicolons (the latter as
// typed by people used to other clients), with or without display names.
// Empty entries are skipped; an empty field is an empty list. Each
// address must be a mailbox with a local part and a domain (ValidAddress).
func ParseAddressList(field, s string) ([]*mail.Address, error) {
	if len(s) > MaxAddressField {
		return nil, &AddressError{Field: field, Value: s[:32] + "...", Msg: "field too long"}
	}
	var out []*mail.Address
	for _, part := range splitAddresses(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		list, err := gomail.ParseAddressList(part)
		if err != nil || len(list) == 0 {
			return nil, &AddressError{Field: field, Value: part, Msg: "not an address"}
		}
		for _, a := range list {
			if err := ValidAddress(a.Address); err != nil {
				return nil, &AddressError{Field: field, Value: part, Msg: err.Error()}
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// splitAddresses splits at commas and semicolons outside quoted strings,
// comments and angle brackets, so that `"Doe, Jane" <j@x>` stays whole.
func splitAddresses(s string) []string {
	var out []string
	depth, quoted, angle, start := 0, false, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted:
			if c == '\\' {
				i++
			} else if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case (c == ',' || c == ';') && depth == 0 && !angle:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// ValidAddress checks an addr-spec for sending: local@domain, the local
// part at most 64 octets and the whole at most 254 (RFC 5321 §4.5.3.1),
// a domain of dot-separated labels of letters, digits and hyphens (or
// UTF-8, for SMTPUTF8, RFC 6531) or an address literal, and no control
// characters or spaces anywhere.
func ValidAddress(addr string) error {
	if !utf8.ValidString(addr) {
		return errors.New("not valid UTF-8")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return errors.New("needs a local part and a domain (user@example.org)")
	}
	if len(addr) > 254 {
		return errors.New("longer than 254 octets")
	}
	local, domain := addr[:at], addr[at+1:]
	if len(local) > 64 {
		return errors.New("local part longer than 64 octets")
	}
	for _, r := range addr {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return errors.New("contains a space or control character")
		}
	}
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		return nil // address literal, RFC 5321 §4.1.3
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return errors.New("domain needs a dot (example.org)")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("bad domain %q", domain)
		}
		for _, r := range l {
			if r < 0x80 && !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("bad domain %q", domain)
			}
		}
	}
	return nil
}

// FormatAddressList formats addresses for an input field (the reverse of
// ParseAddressList).
func FormatAddressList(l []*mail.Address) string {
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = formatAddress(a)
	}
	return strings.Join(s, ", ")
}

// formatAddress is "Name <addr>" with the name quoted when needed but not
// RFC 2047 encoded (that is for the header, net/mail does it there).
func formatAddress(a *mail.Address) string {
	if a.Name == "" {
		return a.Address
	}
	name := a.Name
	if strings.ContainsAny(name, `()<>[]:;@\,."`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Address + ">"
}

// isASCII reports whether s is 7-bit.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
