package sieve

import (
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
)

// message gives lazy access to the message of an Input: the header is
// split into fields on first use (one pass, no copies of values), a
// field's value is unfolded, trimmed and RFC 2047-decoded only when a test
// reads it, and its addresses are parsed only when an address test does.

type field struct {
	rawName []byte // as written
	name    string // lowercased
	next    int    // next field of the same name, -1 at the end
	raw     []byte // value after the colon, with folding
	decoded string
	addrs   []address
	didDec  bool
	didAddr bool
}

// fieldChain is the first and last field of a name.
type fieldChain struct{ first, last int }

type message struct {
	raw     []byte
	parsed  bool
	fields  []field
	index   map[string]fieldChain // lowercased name → its fields
	bodyOff int
	parts   []bodyPart // decoded MIME leaf parts, for body tests
}

func (m *message) parse() {
	if m.parsed {
		return
	}
	m.parsed = true
	b := m.raw
	i := 0
	m.bodyOff = len(b)
	m.fields = make([]field, 0, 32)
	nameBytes := 0
	for i < len(b) {
		// end of header: an empty line
		if b[i] == '\n' {
			m.bodyOff = i + 1
			break
		}
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			m.bodyOff = i + 2
			break
		}
		// one field: up to a line end not followed by WSP (RFC 5322 §2.2.3)
		start := i
		for i < len(b) {
			nl := bytes.IndexByte(b[i:], '\n')
			if nl < 0 {
				i = len(b)
				break
			}
			i += nl + 1
			if i >= len(b) || (b[i] != ' ' && b[i] != '\t') {
				break
			}
		}
		line := b[start:i]
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue // not a field (RFC 5322 §2.2 violation); skip it
		}
		name := bytes.TrimRight(line[:colon], " \t")
		val := bytes.TrimRight(line[colon+1:], "\r\n")
		m.fields = append(m.fields, field{rawName: name, raw: val})
		nameBytes += len(name)
	}
	// All lowercased names in one string: one allocation for the index keys.
	buf := make([]byte, 0, nameBytes)
	for i := range m.fields {
		for _, c := range m.fields[i].rawName {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
		}
	}
	names := string(buf)
	// index: name → first field; fields of one name are chained by next.
	m.index = make(map[string]fieldChain, len(m.fields))
	off := 0
	for i := range m.fields {
		n := len(m.fields[i].rawName)
		k := names[off : off+n]
		off += n
		m.fields[i].name = k
		m.fields[i].next = -1
		if c, ok := m.index[k]; ok {
			m.fields[c.last].next = i
			m.index[k] = fieldChain{c.first, i}
		} else {
			m.index[k] = fieldChain{i, i}
		}
	}
}

// first returns the index of the first field named lname (lowercase), or
// -1; fields[i].next walks the others in message order.
func (m *message) first(lname string) int {
	m.parse()
	if c, ok := m.index[lname]; ok {
		return c.first
	}
	return -1
}

// has reports whether a field named lname exists.
func (m *message) has(lname string) bool { return m.first(lname) >= 0 }

// value returns a field's value unfolded (RFC 5322 §2.2.3), without leading
// and trailing white space, with RFC 2047 encoded words decoded (RFC 5228
// §2.7.2 asks for the decoded form).
func (m *message) value(i int) string {
	f := &m.fields[i]
	if !f.didDec {
		f.didDec = true
		f.decoded = decodeHeader(unfold(f.raw))
	}
	return f.decoded
}

func (m *message) addresses(i int) []address {
	f := &m.fields[i]
	if !f.didAddr {
		f.didAddr = true
		f.addrs = parseAddressList(unfold(f.raw))
	}
	return f.addrs
}

// unfold returns a field value unfolded (RFC 5322 §2.2.3: only the CRLFs
// go), without the white space that follows the colon on the field's first
// line and without trailing white space. (White space that starts a
// continuation line is part of the value, as in Pigeonhole.)
func unfold(raw []byte) string {
	i := 0
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t') {
		i++
	}
	raw = raw[i:]
	if bytes.IndexByte(raw, '\n') < 0 {
		return string(bytes.TrimRight(raw, " \t\r"))
	}
	var b strings.Builder
	b.Grow(len(raw))
	for _, c := range raw {
		if c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return strings.TrimRight(b.String(), " \t")
}

// wordDecoder decodes encoded words; for a charset it does not know it
// passes the octets through (the "best effort" of RFC 2047 §6.2 (b), as
// Pigeonhole does).
var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	if rd, err := charset.Reader(cs, r); err == nil {
		return rd, nil
	}
	return r, nil
}}

// decodeHeader decodes RFC 2047 encoded words one by one: a malformed
// word stays as written (RFC 2047 §6.3 lets a reader not decode it), and
// white space between two decoded words is dropped (§6.2).
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var b strings.Builder
	i := 0
	pendingSpace := "" // white space after a decoded word, dropped if another follows
	lastDecoded := false
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			b.WriteString(pendingSpace)
			b.WriteString(s[i:])
			break
		}
		text := s[i : i+j]
		word, ok := encodedWordAt(s[i+j:])
		if !ok {
			b.WriteString(pendingSpace)
			b.WriteString(text + "=?")
			pendingSpace, lastDecoded = "", false
			i += j + 2
			continue
		}
		// A word that does not decode (an unknown encoding, bad base64)
		// stays as written; it is still an encoded-word for §6.2's rule on
		// the white space between adjacent words, as in Pigeonhole.
		dec, err := wordDecoder.Decode(word)
		if err != nil {
			dec = word
		}
		if !(lastDecoded && strings.Trim(text, " \t") == "") {
			b.WriteString(pendingSpace)
			b.WriteString(text)
		}
		// RFC 2047 text must become valid UTF-8: invalid sequences (a
		// truncated character, octets of an unknown charset) are U+FFFD
		b.WriteString(strings.ToValidUTF8(dec, "\uFFFD"))
		pendingSpace, lastDecoded = "", true
		i += j + len(word)
		// white space up to the next word is held back
		k := i
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		pendingSpace = s[i:k]
		i = k
	}
	return b.String()
}

const maxEncodedWord = 1000

// encodedWordAt returns the encoded word "=?charset?e?text?=" at the start
// of s (RFC 2047 §2), if there is one.
func encodedWordAt(s string) (string, bool) {
	cs := s[2:]
	if len(cs) > 100 {
		cs = cs[:100] // a charset name is short
	}
	q1 := strings.IndexByte(cs, '?')
	if q1 < 0 {
		return "", false
	}
	q1 += 2
	if q1+2 >= len(s) || s[q1+2] != '?' {
		return "", false
	}
	// RFC 2047 §2 limits an encoded word to 75 characters; we accept up to
	// maxEncodedWord (lenient), which keeps decoding linear in the value.
	rest := s[q1+3:]
	if len(rest) > maxEncodedWord {
		rest = rest[:maxEncodedWord]
	}
	end := strings.Index(rest, "?=")
	if end < 0 {
		return "", false
	}
	w := s[:q1+3+end+2]
	if strings.ContainsAny(w, " \t") {
		return "", false
	}
	return w, true
}

// header returns the message header part (for size and body offsets).
func (m *message) body() []byte {
	m.parse()
	return m.raw[m.bodyOff:]
}
