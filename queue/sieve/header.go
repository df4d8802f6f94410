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
	name    string // as written
	raw     []byte // value after the colon, with folding
	decoded string
	addrs   []address
	didDec  bool
	didAddr bool
}

type message struct {
	raw     []byte
	parsed  bool
	fields  []field
	index   map[string][]int // lowercased name → field indexes
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
		// one field: up to a line end not followed by WSP
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
		name := string(bytes.TrimRight(line[:colon], " \t"))
		m.fields = append(m.fields, field{name: name, raw: line[colon+1:]})
	}
	m.index = make(map[string][]int, len(m.fields))
	for i := range m.fields {
		k := lowerASCII(m.fields[i].name)
		m.index[k] = append(m.index[k], i)
	}
}

func (m *message) lookup(lname string) []int {
	m.parse()
	return m.index[lname]
}

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

func unfold(raw []byte) string {
	if bytes.IndexByte(raw, '\n') < 0 {
		return string(bytes.TrimSpace(raw))
	}
	var b strings.Builder
	for _, c := range raw {
		if c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return strings.Trim(b.String(), " \t")
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	return charset.Reader(cs, r)
}}

// decodeHeader decodes RFC 2047 encoded words; on malformed words the text
// stays as written.
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// header returns the message header part (for size and body offsets).
func (m *message) body() []byte {
	m.parse()
	return m.raw[m.bodyOff:]
}
