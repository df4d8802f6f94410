package imapd

import (
	"strings"

	"github.com/emersion/go-imap/v2"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// The ENVELOPE and BODYSTRUCTURE of RFC 9051 §7.5.2 carry header values
// as they are in the message: encoded words (RFC 2047) and RFC 2231
// parameters stay encoded, for the client to decode (Dovecot and Cyrus
// do the same). go-imap's extractors decode and re-encode them, which
// loses what an unknown charset said and turns parameter names such as
// filename* into others, so imapd parses the raw values itself.

// rawValue is a header field's value unfolded (RFC 5322 §2.2.3).
func rawValue(h textproto.Header, key string) string {
	v := h.Get(key)
	v = strings.ReplaceAll(v, "\r\n", "")
	v = strings.ReplaceAll(v, "\n", "")
	return strings.TrimSpace(v)
}

// envelope builds an ENVELOPE from a header.
func envelope(h textproto.Header) *imap.Envelope {
	mh := mail.Header{Header: gomessage.Header{Header: h}}
	date, _ := mh.Date()
	inReplyTo, _ := mh.MsgIDList("In-Reply-To")
	messageID, _ := mh.MessageID()
	return &imap.Envelope{
		Date:      date,
		Subject:   rawValue(h, "Subject"),
		From:      addressList(rawValue(h, "From")),
		Sender:    addressList(rawValue(h, "Sender")),
		ReplyTo:   addressList(rawValue(h, "Reply-To")),
		To:        addressList(rawValue(h, "To")),
		Cc:        addressList(rawValue(h, "Cc")),
		Bcc:       addressList(rawValue(h, "Bcc")),
		InReplyTo: inReplyTo,
		MessageID: messageID,
	}
}

// addressList parses an RFC 5322 address list leniently, keeping display
// names raw. A group becomes (NIL NIL "name" NIL) … (NIL NIL NIL NIL)
// (RFC 9051 §7.5.2, ENVELOPE).
func addressList(s string) []imap.Address {
	var out []imap.Address
	var cur strings.Builder
	depth, inQuote, inAngle, escaped := 0, false, false, false
	flush := func() {
		if a, ok := parseMailbox(cur.String()); ok {
			out = append(out, a)
		}
		cur.Reset()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && (inQuote || depth > 0):
			escaped = true
		case inQuote:
			inQuote = c != '"'
		case c == '"' && depth == 0:
			inQuote = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case c == ',' && !inAngle:
			flush()
			continue
		case c == ':' && !inAngle:
			name := strings.TrimSpace(cur.String())
			cur.Reset()
			out = append(out, imap.Address{Mailbox: unquote(name)})
			continue
		case c == ';' && !inAngle:
			flush()
			out = append(out, imap.Address{})
			continue
		}
		cur.WriteByte(c)
	}
	flush()
	return out
}

// parseMailbox parses "Name <local@domain>" or "local@domain (comment)".
func parseMailbox(s string) (imap.Address, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return imap.Address{}, false
	}
	var name, addr string
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		outside, _ := splitComments(s[:i])
		name = strings.TrimSpace(outside)
		addr = s[i+1:]
		if j := strings.IndexByte(addr, '>'); j >= 0 {
			addr = addr[:j]
		}
		addr, _ = splitComments(addr)
	} else {
		// "local@domain (Real Name)": the comment is the only name there
		// is, and Dovecot shows it as the display name.
		var comment string
		addr, comment = splitComments(s)
		name = quoteComment(comment)
	}
	// CFWS around the atoms of an addr-spec is not part of it (RFC 5322
	// §3.4.1, §4.4: "user (c)@ (c) domain" is user@domain).
	addr = stripSpaceUnquoted(addr)
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && strings.HasPrefix(addr, "@") {
		// Obsolete source route (RFC 5322 §4.4): go-imap's Address has no
		// field for ENVELOPE's at-domain-list, which it writes as NIL.
		addr = addr[i+1:]
	}
	a := imap.Address{Name: collapseSpace(unquote(name))}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		a.Mailbox, a.Host = addr[:i], addr[i+1:]
	} else {
		a.Mailbox = addr
	}
	if a.Mailbox == "" && a.Host == "" && a.Name == "" {
		return imap.Address{}, false
	}
	return a, true
}

// quoteComment makes a comment's text into a quoted-string for unquote
// (its quoted-pairs are the same; a bare '"' gets one).
func quoteComment(c string) string {
	if c == "" {
		return ""
	}
	return `"` + strings.ReplaceAll(strings.ReplaceAll(c, `\"`, `"`), `"`, `\"`) + `"`
}

// stripSpaceUnquoted removes white space outside quoted strings.
func stripSpaceUnquoted(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	var b strings.Builder
	inQuote, escaped := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\' && inQuote:
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// splitComments reads the comments of s (RFC 5322 §3.2.2: nested
// parentheses, quoted-pairs, none inside quoted strings) in one pass: it
// returns the text outside them and the text of the first top-level one
// ("" if none).
func splitComments(s string) (outside, first string) {
	if !strings.Contains(s, "(") {
		return s, ""
	}
	var b strings.Builder
	start, depth, inQuote, escaped, found := 0, 0, false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case inQuote:
			inQuote = c != '"'
		case c == '"' && depth == 0:
			inQuote = true
		case c == '(':
			if depth == 0 {
				start = i + 1
			}
			depth++
			continue
		case c == ')' && depth > 0:
			if depth--; depth == 0 && !found {
				first, found = strings.TrimSpace(s[start:i]), true
			}
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String(), first
}

// unquote removes the quotes of a quoted string and its escapes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		if s[i] == '\\' && i+1 < len(s)-1 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// contentParams parses "value; key=val; key2="quoted"" (RFC 2045 §5.1)
// into the lowercased value and raw parameters (names lowercased).
func contentParams(s string) (string, map[string]string) {
	value, rest, _ := strings.Cut(s, ";")
	value = strings.ToLower(strings.TrimSpace(value))
	params := map[string]string{}
	for rest != "" {
		var item string
		item, rest = cutParam(rest)
		k, v, ok := strings.Cut(item, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			continue
		}
		if _, dup := params[k]; !dup {
			params[k] = unquote(strings.TrimSpace(v))
		}
	}
	if len(params) == 0 {
		params = nil
	}
	return value, params
}

// cutParam returns the text up to the next ';' outside quotes.
func cutParam(s string) (item, rest string) {
	inQuote, escaped := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && inQuote:
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == ';' && !inQuote:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// extractPart computes the BODYSTRUCTURE of an entity of the MIME tree
// (RFC 9051 §7.5.2): sizes are octets of the (encoded) body, lines count
// its line ends.
func (p *mimeParser) extractPart(n *mimeNode) *part {
	h := n.header
	pt := &part{Type: n.typ, Subtype: n.sub, Params: n.params,
		ID: rawValue(h, "Content-Id"), Description: rawValue(h, "Content-Description"),
		Encoding: strings.ToLower(rawValue(h, "Content-Transfer-Encoding")), Location: rawValue(h, "Content-Location")}
	if d := rawValue(h, "Content-Disposition"); d != "" {
		pt.Disposition, pt.DispParams = contentParams(d)
	}
	if l := rawValue(h, "Content-Language"); l != "" {
		for _, tag := range strings.Split(l, ",") {
			if tag = strings.TrimSpace(tag); tag != "" {
				pt.Language = append(pt.Language, tag)
			}
		}
	}
	if n.opaque {
		// Past maxMIMEDepth: one leaf of octets (see mime.go).
		pt.Type, pt.Subtype, pt.Params = "application", "octet-stream", nil
		pt.Size = uint32(len(n.body))
		return pt
	}
	if n.typ == "multipart" {
		pt.Encoding = ""
		for _, c := range n.children {
			pt.Children = append(pt.Children, p.extractPart(c))
		}
		if len(pt.Children) == 0 {
			// No parts found: the syntax needs one (RFC 9051 §9, body-type-mpart).
			pt.Children = []*part{{Type: "text", Subtype: "plain", Params: map[string]string{"charset": "us-ascii"}}}
		}
		return pt
	}
	pt.Size = uint32(len(n.body))
	if n.typ == "text" || n.message != nil {
		pt.Lines = p.lines(n.body)
	}
	if n.message != nil {
		pt.Envelope = envelope(n.message.header)
		pt.Message = p.extractPart(n.message)
	}
	return pt
}
