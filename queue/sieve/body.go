package sieve

import (
	"bytes"
	"io"
	"strings"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // charsets for decoded MIME parts (RFC 5173 §5.2)
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
	if tv, ok := as.tags["transform"]; ok {
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

// bodyParts returns the leaf MIME parts, decoded (transfer encoding and
// charset), parsed once per run.
func (r *run) bodyParts() []bodyPart {
	if r.msg.parts != nil {
		return r.msg.parts
	}
	r.msg.parts = []bodyPart{}
	e, err := gomessage.Read(bytes.NewReader(r.in.Message))
	if err != nil && e == nil {
		r.msg.parts = append(r.msg.parts, bodyPart{"text/plain", string(r.msg.body())})
		return r.msg.parts
	}
	_ = e.Walk(func(path []int, part *gomessage.Entity, err error) error {
		if err != nil || len(r.msg.parts) >= maxBodyParts {
			return nil
		}
		mt, _, cerr := part.Header.ContentType()
		if cerr != nil || mt == "" {
			mt = "text/plain" // RFC 2045 §5.2 default
		}
		mt = strings.ToLower(mt)
		if strings.HasPrefix(mt, "multipart/") {
			return nil
		}
		b, _ := io.ReadAll(io.LimitReader(part.Body, int64(len(r.in.Message))+1))
		r.msg.parts = append(r.msg.parts, bodyPart{mt, string(b)})
		return nil
	})
	return r.msg.parts
}

// htmlToText strips tags for :text on text/html parts (RFC 5173 §5.3
// leaves the conversion to the implementation).
func htmlToText(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}
