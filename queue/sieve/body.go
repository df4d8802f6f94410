package sieve

import (
	"bytes"
	"encoding/base64"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-message/charset"
)

// body (RFC 5173). The body is parsed only when a body test runs.

const maxBodyParts = 256 // MIME parts looked at, to bound the work on hostile mail

func (c *checker) bodyTest(n *rawNode) (test, error) {
	if err := c.needExt(n, "body"); err != nil {
		return nil, err
	}
	as, err := c.collect(n, join(comparatorTag, matchTags, []tagDef{
		{"raw", "transform", valNone, ""},
		{"content", "transform", valStrings, ""},
		{"text", "transform", valNone, ""},
	}))
	if err != nil {
		return nil, err
	}
	if err := positional(n, as, valStrings); err != nil {
		return nil, err
	}
	t := &testBody{transform: bodyText}
	if tv, ok := as.tag("transform"); ok {
		switch tv.name {
		case "raw":
			t.transform = bodyRaw
		case "content":
			t.transform = bodyContent
			if t.types, err = c.strs(tv.arg); err != nil {
				return nil, err
			}
		}
	}
	t.m, err = c.matcher(as, as.pos[0])
	t.m.vars = false // the body test sets no match variables (as Pigeonhole)
	return t, err
}

type bodyPart struct {
	mediaType string // lowercased type/subtype
	text      string // decoded content
}

func (r *run) body(t *testBody) (bool, error) {
	if err := r.ctx.Err(); err != nil {
		return false, err
	}
	var vals []string
	switch t.transform {
	case bodyRaw: // RFC 5173 §5.1: the undecoded body
		vals = []string{string(r.msg.body())}
	case bodyText: // RFC 5173 §5.3: text parts, as text
		for _, p := range r.bodyParts() {
			if strings.HasPrefix(p.mediaType, "text/") {
				v := p.text
				if p.mediaType == "text/html" {
					v = htmlToText(v)
				}
				vals = append(vals, v)
			}
		}
	case bodyContent: // RFC 5173 §5.2
		types := r.expandList(t.types)
		for _, p := range r.bodyParts() {
			if contentTypeMatches(p.mediaType, types) {
				vals = append(vals, p.text)
			}
		}
	}
	return r.matchValues(&t.m, vals)
}

// contentTypeMatches is RFC 5173 §5.2: "" matches every type, "type"
// matches its subtypes, "type/subtype" that type.
func contentTypeMatches(mt string, types []string) bool {
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "":
			return true
		case strings.Contains(t, "/"):
			if mt == t {
				return true
			}
		default:
			if strings.HasPrefix(mt, t+"/") {
				return true
			}
		}
	}
	return false
}

// bodyParts returns the MIME parts (RFC 2045, RFC 2046), decoded (transfer
// encoding and charset to UTF-8), parsed once per run. A multipart part's
// own text is its preamble and epilogue (RFC 5173 §5.2).
func (r *run) bodyParts() []bodyPart {
	if r.msg.parts == nil {
		r.msg.parts = []bodyPart{}
		walkMIME(r.in.Message, 0, &r.msg.parts)
	}
	return r.msg.parts
}

const maxMIMEDepth = 16

func walkMIME(raw []byte, depth int, out *[]bodyPart) {
	if len(*out) >= maxBodyParts {
		return
	}
	m := message{raw: raw}
	mt, params := "text/plain", map[string]string{} // RFC 2045 §5.2 default
	if i := m.first("content-type"); i >= 0 {
		if t, p, err := mime.ParseMediaType(m.value(i)); err == nil {
			mt, params = strings.ToLower(t), p
		}
	}
	body := m.body()
	switch {
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" && depth < maxMIMEDepth:
		parts, outer := splitMultipart(body, params["boundary"])
		*out = append(*out, bodyPart{mt, outer})
		for _, p := range parts {
			walkMIME(p, depth+1, out)
		}
	case mt == "message/rfc822" && depth < maxMIMEDepth:
		// the part's own text is the embedded message's header; its body
		// parts follow as parts of their own (as Pigeonhole)
		inner := decodeTransfer(&m, body)
		im := message{raw: inner}
		im.parse()
		hdr := inner[:im.bodyOff]
		hdr = bytes.TrimSuffix(hdr, []byte("\n"))
		hdr = bytes.TrimSuffix(hdr, []byte("\r"))
		*out = append(*out, bodyPart{mt, string(hdr)})
		walkMIME(inner, depth+1, out)
	default:
		b := decodeTransfer(&m, body)
		if !knownTransfer(&m) {
			// RFC 2045 §6.4: an unknown encoding makes the part opaque
			mt = "application/octet-stream"
		}
		if strings.HasPrefix(mt, "text/") {
			if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
				if rd, err := charset.Reader(cs, bytes.NewReader(b)); err == nil {
					if conv, err := io.ReadAll(io.LimitReader(rd, int64(4*len(b))+16)); err == nil {
						b = conv
					}
				}
			}
		}
		*out = append(*out, bodyPart{mt, string(b)})
	}
}

// knownTransfer reports whether the part's Content-Transfer-Encoding is
// one of RFC 2045 §6.1's (absent is 7bit).
func knownTransfer(m *message) bool {
	i := m.first("content-transfer-encoding")
	if i < 0 {
		return true
	}
	switch strings.ToLower(m.value(i)) {
	case "7bit", "8bit", "binary", "base64", "quoted-printable":
		return true
	}
	return false
}

// decodeTransfer undoes Content-Transfer-Encoding (RFC 2045 §6); on bad
// input the raw body is used.
func decodeTransfer(m *message, body []byte) []byte {
	i := m.first("content-transfer-encoding")
	if i < 0 {
		return body
	}
	var rd io.Reader
	switch strings.ToLower(m.value(i)) {
	case "base64":
		rd = base64.NewDecoder(base64.StdEncoding, &stripSpace{b: body})
	case "quoted-printable":
		rd = quotedprintable.NewReader(bytes.NewReader(body))
	default:
		return body
	}
	b, err := io.ReadAll(rd)
	if err != nil && len(b) == 0 {
		return body
	}
	return b
}

// stripSpace feeds base64 without line ends and spaces.
type stripSpace struct{ b []byte }

func (s *stripSpace) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(s.b) > 0 {
		c := s.b[0]
		s.b = s.b[1:]
		if c == '\r' || c == '\n' || c == ' ' || c == '\t' {
			continue
		}
		p[n] = c
		n++
	}
	if n == 0 && len(s.b) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// splitMultipart splits a multipart body at its boundary (RFC 2046 §5.1.1):
// the CRLF before a delimiter belongs to it. It returns the parts and the
// preamble followed by the epilogue.
func splitMultipart(body []byte, boundary string) ([][]byte, string) {
	delim := []byte("--" + boundary)
	var parts [][]byte
	var preamble, epilogue []byte
	start := -1 // start of the current part
	i := 0
	for i <= len(body) {
		// i is at a line start
		nl := bytes.IndexByte(body[i:], '\n')
		lineEnd := len(body)
		next := len(body) + 1
		if nl >= 0 {
			lineEnd = i + nl
			next = lineEnd + 1
		}
		line := bytes.TrimRight(body[i:lineEnd], " \t\r")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			closing := bytes.Equal(rest, []byte("--"))
			if closing || len(rest) == 0 {
				end := i
				if end > 0 && body[end-1] == '\n' {
					end--
					if end > 0 && body[end-1] == '\r' {
						end--
					}
				}
				if start < 0 {
					preamble = body[:end]
				} else if end >= start {
					parts = append(parts, body[start:end])
				}
				if closing {
					if next <= len(body) {
						epilogue = body[next:]
					}
					return parts, string(preamble) + string(epilogue)
				}
				start = next
				if start > len(body) {
					start = len(body)
				}
			}
		}
		i = next
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:]) // no closing delimiter
	} else if start < 0 {
		preamble = body
	}
	return parts, string(preamble)
}

// htmlToText makes text of an HTML part for :text (RFC 5173 §5.3 leaves
// the conversion to the implementation; this one is Pigeonhole's kind):
// tags and comments go, the content of script and style elements goes,
// block elements end lines, character references are decoded. One pass.
func htmlToText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for i < len(s) {
		c := s[i]
		if c != '<' {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(html.UnescapeString(s[i : i+j]))
			i += j
			continue
		}
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		tag := strings.ToLower(strings.TrimLeft(s[i+1:i+end], "/"))
		if k := strings.IndexAny(tag, " \t\r\n/"); k >= 0 {
			tag = tag[:k]
		}
		i += end + 1
		switch tag {
		case "script", "style":
			if s[i-end] != '/' { // skip to the closing tag
				close := indexFold(s[i:], "</"+tag)
				if close < 0 {
					i = len(s)
				} else {
					i += close
				}
			}
		case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre":
			b.WriteString("\n")
		}
	}
	return b.String()
}
