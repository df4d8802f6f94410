package imapd

import (
	"bytes"
	"io"
	"mime"
	"strings"

	gomessage "github.com/emersion/go-message"
)

// Header SEARCH keys (FROM, SUBJECT, HEADER ..., SENT*) scan the raw header
// section for the one field they need instead of parsing every field of
// every message into a textproto.Header: parsing whole headers dominated
// header SEARCH (CPU profile under imap-mix: textproto.ReadHeader ~30 % of
// the server's time, most of it allocation).

// scanFields calls fn with the name and the raw bytes (every line, line
// endings included) of each field of the header section raw, in order,
// until fn returns false. Like textproto.ReadHeader, it stops at the first
// malformed line (RFC 5322 §2.2: a field name is printable ASCII other
// than ':'), so a damaged header still yields the fields before the
// damage; it then returns false (so does a last line without its line
// ending, which ReadHeader also refuses).
func scanFields(raw []byte, fn func(name, field []byte) bool) (clean bool) {
	if len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
		return false // a header cannot start with a continuation line
	}
	for len(raw) > 0 {
		// One field: its first line and the continuation lines after it
		// (RFC 5322 §2.2.3, unfolding).
		end := lineEnd(raw, 0)
		if isBlankLine(raw[:end]) {
			return true // the empty line ending the header section
		}
		for end < len(raw) && (raw[end] == ' ' || raw[end] == '\t') {
			end = lineEnd(raw, end)
		}
		field := raw[:end]
		raw = raw[end:]
		if field[len(field)-1] != '\n' {
			return false
		}
		colon := bytes.IndexByte(field, ':')
		if colon < 0 {
			return false
		}
		name := bytes.Trim(field[:colon], " \t")
		for _, c := range name {
			if c < 33 || c > 126 {
				return false
			}
		}
		if len(name) > 0 && !fn(name, field) {
			return true
		}
	}
	return true
}

// eachField calls fn with the value of each field named key (ASCII
// case-insensitive) of the header section raw (see scanFields), in order,
// until fn returns false. Values are unfolded the way go-message's
// textproto does it (each line trimmed, lines joined by one space).
func eachField(raw []byte, key string, fn func(value string) bool) {
	scanFields(raw, func(name, field []byte) bool {
		if len(name) != len(key) || !asciiEqualFold(name, key) {
			return true
		}
		return fn(unfold(field[bytes.IndexByte(field, ':')+1:]))
	})
}

// headerFields is BODY[HEADER.FIELDS (...)] or, with not, BODY[HEADER.FIELDS.NOT
// (...)] of a header section (RFC 9051 §6.4.5): the fields kept, as they
// are, and the empty line. false means the header is damaged: the caller
// falls back to go-imap's parser, which decides what a damaged header
// yields.
func headerFields(raw []byte, names []string, not bool) ([]byte, bool) {
	out := make([]byte, 0, 512)
	var set map[string]bool // many names: one lookup per field, not len(names)
	if len(names) > manyNames {
		set = make(map[string]bool, len(names))
		for _, n := range names {
			set[asciiLower(n)] = true
		}
	}
	clean := scanFields(raw, func(name, field []byte) bool {
		listed := false
		if set != nil {
			listed = set[asciiLower(string(name))]
		}
		for _, n := range names {
			if set != nil {
				break
			}
			if len(n) == len(name) && asciiEqualFold(name, n) {
				listed = true
				break
			}
		}
		if listed != not {
			out = append(out, field...)
		}
		return true
	})
	return append(out, '\r', '\n'), clean
}

// manyNames is the most HEADER.FIELDS names headerFields compares one by
// one with each field.
const manyNames = 8

// lineEnd is the index after the LF of the line starting at i (or len(b)).
func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(b)
}

func isBlankLine(l []byte) bool {
	return len(l) == 0 || l[0] == '\n' || (l[0] == '\r' && (len(l) == 1 || l[1] == '\n'))
}

func asciiEqualFold(b []byte, s string) bool {
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// unfold trims each line of a field value and joins them with one space.
func unfold(v []byte) string {
	if i := bytes.IndexByte(v, '\n'); i < 0 || i == len(v)-1 {
		return string(bytes.Trim(v, " \t\r\n"))
	}
	var b strings.Builder
	b.Grow(len(v))
	for _, l := range bytes.Split(v, []byte("\n")) {
		l = bytes.Trim(l, " \t\r")
		if len(l) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(l)
	}
	return b.String()
}

// firstField is the value of the first field named key ("" if none).
func firstField(raw []byte, key string) string {
	var v string
	eachField(raw, key, func(s string) bool { v = s; return false })
	return v
}

var wordDecoder = mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	return gomessage.CharsetReader(charset, r)
}}

// matchRawFields is SEARCH HEADER (and FROM, TO, CC, BCC, SUBJECT) on a raw
// header section: an empty pattern matches a message that has the field
// (RFC 9051 §6.4.4, HEADER); otherwise lowPattern, in lower case, must be
// a substring of the value with RFC 2047 encoded words decoded (the raw
// value if they cannot be).
func matchRawFields(raw []byte, key, lowPattern string) bool {
	hit := false
	eachField(raw, key, func(v string) bool {
		if lowPattern == "" {
			hit = true
			return false
		}
		text := v
		if strings.Contains(text, "=?") {
			if d, err := wordDecoder.DecodeHeader(text); err == nil {
				text = d
			}
		}
		hit = containsLower(text, lowPattern) || addressField(key) && matchAddresses(v, lowPattern)
		return !hit
	})
	return hit
}

// containsLower reports whether lowPattern occurs in s ignoring case,
// in time linear in len(s)+len(lowPattern) (a pattern can be 50 KiB, a
// header value a megabyte: comparing at every offset would cost their
// product), without allocating for ASCII s and short patterns.
func containsLower(s, lowPattern string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), lowPattern)
		}
	}
	n := len(lowPattern)
	if n > shortPattern {
		return strings.Contains(asciiLower(s), lowPattern)
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lowPattern[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// shortPattern is the longest pattern containsLower compares at every
// offset (at most shortPattern times the length of the value).
const shortPattern = 32

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// addressField: SEARCH FROM, TO, CC and BCC (and HEADER with those names)
// match the parsed addresses too, so that comments and folding inside an
// address do not hide it: "<user (c)@ (c) domain.org>" matches
// user@domain.org (RFC 9051 §6.4.4 leaves the matching to the server;
// Dovecot matches the parsed address).
func addressField(key string) bool {
	return strings.EqualFold(key, "From") || strings.EqualFold(key, "To") || strings.EqualFold(key, "Cc") || strings.EqualFold(key, "Bcc")
}

func matchAddresses(v, lowPattern string) bool {
	for _, a := range addressList(v) {
		if a.Host != "" && containsLower(a.Mailbox+"@"+a.Host, lowPattern) {
			return true
		}
	}
	return false
}
