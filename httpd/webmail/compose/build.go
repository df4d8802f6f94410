package compose

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
)

// Message is a message as the user composed it.
type Message struct {
	From          *mail.Address // required: an identity of the user
	To, Cc, Bcc   []*mail.Address
	Subject       string
	Text          string // the body, any line endings
	Flowed        bool   // send the text as format=flowed (RFC 3676)
	InReplyTo     string // msg-id of the message replied to, without <>
	References    []string
	Attachments   []Attachment
	Date          time.Time // zero: now
	MessageID     string    // without <>; "": generated with Hostname
	Hostname      string    // for the generated Message-ID
	ExtraHeader   []Field   // e.g. the webmail's draft bookkeeping
	AllowNoRcpt   bool      // a draft may have no recipient yet
	AllowNoSender bool      // a draft is saved before the From is checked
}

// Attachment is one attached file, or a forwarded message
// (ContentType message/rfc822).
type Attachment struct {
	Filename    string
	ContentType string // "": from the filename (see ContentType)
	Data        []byte
}

// Field is one header field added as is (the value must be ASCII, one
// line).
type Field struct{ Key, Value string }

// Built is a message ready to submit.
type Built struct {
	// Bytes is the message as sent: CRLF lines, no Bcc field.
	Bytes      []byte
	MessageID  string // without <>
	Date       time.Time
	From       string   // the From address, the envelope sender
	Recipients []string // To, Cc and Bcc addresses, each once, in order
	Bcc        []*mail.Address
	// SMTPUTF8 is set when an address is not ASCII (RFC 6531 §3.4).
	SMTPUTF8 bool
}

// WithBcc is the message with its Bcc field, for the sender's own copy
// (Sent, Drafts): RFC 5322 §3.6.3 lets the sender keep it.
func (b *Built) WithBcc() []byte {
	if len(b.Bcc) == 0 {
		return b.Bytes
	}
	return append([]byte(fold("Bcc", formatHeaderAddresses(b.Bcc))), b.Bytes...)
}

// maxTextLine is the longest line sent as 7bit; longer lines, or any
// 8-bit octet, make the text quoted-printable (RFC 5322 §2.1.1: 78
// SHOULD, 998 MUST).
const maxTextLine = 78

// Build makes the RFC 5322 message for m.
func Build(m *Message) (*Built, error) {
	if m.From == nil {
		if !m.AllowNoSender {
			return nil, &AddressError{Field: "From", Msg: "no sender"}
		}
	} else if err := ValidAddress(m.From.Address); err != nil {
		return nil, &AddressError{Field: "From", Value: m.From.Address, Msg: err.Error()}
	}
	for _, l := range []struct {
		name string
		list []*mail.Address
	}{{"To", m.To}, {"Cc", m.Cc}, {"Bcc", m.Bcc}} {
		for _, a := range l.list {
			if err := ValidAddress(a.Address); err != nil {
				return nil, &AddressError{Field: l.name, Value: a.Address, Msg: err.Error()}
			}
		}
	}
	out := &Built{Date: m.Date, MessageID: m.MessageID, Bcc: m.Bcc}
	if out.Date.IsZero() {
		out.Date = time.Now()
	}
	if out.MessageID == "" {
		out.MessageID = NewMessageID(m.Hostname)
	}
	seen := map[string]bool{}
	for _, l := range [][]*mail.Address{m.To, m.Cc, m.Bcc} {
		for _, a := range l {
			k := strings.ToLower(a.Address)
			if !seen[k] {
				seen[k] = true
				out.Recipients = append(out.Recipients, a.Address)
				if !isASCII(a.Address) {
					out.SMTPUTF8 = true
				}
			}
		}
	}
	if len(out.Recipients) == 0 && !m.AllowNoRcpt {
		return nil, ErrNoRecipients
	}
	if len(out.Recipients) > MaxRecipients {
		return nil, fmt.Errorf("compose: %d recipients, at most %d", len(out.Recipients), MaxRecipients)
	}
	if m.From != nil {
		out.From = m.From.Address
		if !isASCII(out.From) {
			out.SMTPUTF8 = true
		}
	}

	// textproto.Header.Add puts a field above the others: the fields are
	// added last first, so that they are written in this order.
	var fields []Field
	fields = append(fields, Field{"Date", out.Date.Format(dateLayout)})
	if m.From != nil {
		fields = append(fields, Field{"From", formatHeaderAddresses([]*mail.Address{m.From})})
	}
	if len(m.To) > 0 {
		fields = append(fields, Field{"To", formatHeaderAddresses(m.To)})
	}
	if len(m.Cc) > 0 {
		fields = append(fields, Field{"Cc", formatHeaderAddresses(m.Cc)})
	}
	if s := oneLine(m.Subject); s != "" {
		fields = append(fields, Field{"Subject", encodeWords(s)})
	}
	fields = append(fields, Field{"Message-ID", "<" + out.MessageID + ">"})
	// RFC 5322 §3.6.4.
	if m.InReplyTo != "" {
		fields = append(fields, Field{"In-Reply-To", "<" + m.InReplyTo + ">"})
	}
	if len(m.References) > 0 {
		fields = append(fields, Field{"References", "<" + strings.Join(m.References, "> <") + ">"})
	}
	for _, f := range m.ExtraHeader {
		if !isASCII(f.Value) || strings.ContainsAny(f.Key+f.Value, "\r\n") || !isToken(f.Key) {
			return nil, fmt.Errorf("compose: bad header field %q", f.Key)
		}
		fields = append(fields, f)
	}
	for _, id := range append([]string{m.InReplyTo}, m.References...) {
		if strings.ContainsAny(id, "<>\r\n \t") {
			return nil, fmt.Errorf("compose: bad message id %q", id)
		}
	}
	fields = append(fields, Field{"MIME-Version", "1.0"})

	text := normalizeText(m.Text)
	var buf bytes.Buffer
	if len(m.Attachments) == 0 {
		h := makeHeader(append(fields, textFields(text, m.Flowed)...))
		w, err := gomessage.CreateWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if err := writeText(w, text, m.Flowed); err != nil {
			return nil, err
		}
	} else {
		h := makeHeader(append(fields, Field{"Content-Type", "multipart/mixed; boundary=\"" + newBoundary() + "\""}))
		w, err := gomessage.CreateWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		th := makeHeader(append(textFields(text, m.Flowed), Field{"Content-Disposition", "inline"}))
		pw, err := w.CreatePart(th)
		if err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
		if err := writeText(pw, text, m.Flowed); err != nil {
			return nil, err
		}
		for i := range m.Attachments {
			if err := writeAttachment(w, &m.Attachments[i]); err != nil {
				return nil, err
			}
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("compose: %w", err)
		}
	}
	out.Bytes = buf.Bytes()
	return out, nil
}

// oneLine joins the lines of a one-line field typed by a user.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// textFields are the text part's Content-Type and
// Content-Transfer-Encoding.
func textFields(text string, flowed bool) []Field {
	ct := "text/plain; charset=utf-8"
	if flowed {
		ct += "; format=flowed"
		text = flow(text)
	}
	cte := "7bit"
	if needsQP(text, !flowed) {
		cte = "quoted-printable"
	}
	return []Field{{"Content-Type", ct}, {"Content-Transfer-Encoding", cte}}
}

// makeHeader is a header with fields in this order, each written as
// given (textproto.Header.Add would put a field above the others and
// canonicalise its name, Message-Id), folded at spaces (RFC 5322 §2.2.3).
func makeHeader(fields []Field) gomessage.Header {
	var h gomessage.Header
	for i := len(fields) - 1; i >= 0; i-- { // WriteHeader writes the last added first
		h.AddRaw([]byte(fold(fields[i].Key, fields[i].Value)))
	}
	return h
}

// fold is "Key: value" CRLF, folded before a space where a line would
// pass 78 octets (RFC 5322 §2.1.1, §2.2.3); a word longer than that
// stays whole on its own line (the limit of 998 holds for what Build
// writes: addresses, encoded words, message ids, parameters).
func fold(key, value string) string {
	var b strings.Builder
	b.WriteString(key + ":")
	n := b.Len()
	for i, w := range strings.Split(value, " ") {
		if w == "" && i > 0 {
			continue
		}
		if n+1+len(w) > 78 && n > len(key)+1 {
			b.WriteString("\r\n")
			n = 0
		}
		b.WriteString(" " + w)
		n += 1 + len(w)
	}
	b.WriteString("\r\n")
	return b.String()
}

// newBoundary is a multipart boundary (RFC 2046 §5.1.1) that cannot occur
// in base64 or quoted-printable text ("=_" never does).
func newBoundary() string {
	var r [18]byte
	rand.Read(r[:])
	return "=_" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(r[:])
}

// needsQP reports whether text cannot go as 7bit: an octet over 127, a
// control character other than CR LF and TAB, a line over maxTextLine,
// or (with trailingSpace) white space at the end of a line, which relays
// may strip (in flowed text it marks a soft break and may go).
func needsQP(text string, trailingSpace bool) bool {
	n := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\r' && i+1 < len(text) && text[i+1] == '\n':
			if trailingSpace && i > 0 && (text[i-1] == ' ' || text[i-1] == '\t') {
				return true
			}
			n = -1
		case c == '\n' && i > 0 && text[i-1] == '\r':
			n = -1
		case c >= 0x80, c < 0x20 && c != '\t', c == 0x7f:
			return true
		}
		n++
		if n > maxTextLine {
			return true
		}
	}
	return false
}

func writeText(w *gomessage.Writer, text string, flowed bool) error {
	if flowed {
		text = flow(text)
	}
	if _, err := w.Write([]byte(text)); err != nil {
		return fmt.Errorf("compose: text: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("compose: text: %w", err)
	}
	return nil
}

// writeAttachment writes one part: base64, or for a message/rfc822 7bit
// or 8bit as RFC 2046 §5.2.1 requires (a message that is not fit for
// that, with NUL or bare CR or lines over 998 octets, is attached as
// application/octet-stream instead).
func writeAttachment(w *gomessage.Writer, a *Attachment) error {
	name := CleanFilename(a.Filename)
	ct := ContentType(a.ContentType, name)
	cte := "base64"
	if ct == "message/rfc822" {
		switch enc := messageEncoding(a.Data); enc {
		case "":
			ct = "application/octet-stream"
		default:
			cte = enc
		}
	}
	ctValue := ct
	if isASCII(name) && len(name) <= 60 {
		ctValue += param("name", name)
	} else {
		// RFC 2047 words in a quoted name, as many clients read it (RFC
		// 2231 in Content-Disposition below is the standard form).
		ctValue += `; name="` + encodeWords(name) + `"`
	}
	h := makeHeader([]Field{
		{"Content-Type", ctValue},
		{"Content-Disposition", "attachment" + param("filename", name)},
		{"Content-Transfer-Encoding", cte},
	})
	pw, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("compose: attachment %q: %w", name, err)
	}
	data := a.Data
	if cte != "base64" {
		data = crlfEnd(data)
	}
	if _, err := pw.Write(data); err != nil {
		return fmt.Errorf("compose: attachment %q: %w", name, err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("compose: attachment %q: %w", name, err)
	}
	return nil
}

// messageEncoding is "7bit" or "8bit" for a message that can travel as
// such (CRLF lines of at most 998 octets, no NUL, no bare CR or LF; RFC
// 2045 §2.7, §2.8), "" otherwise.
func messageEncoding(b []byte) string {
	enc, n := "7bit", 0
	for i, c := range b {
		switch {
		case c == 0:
			return ""
		case c == '\r':
			if i+1 >= len(b) || b[i+1] != '\n' {
				return ""
			}
		case c == '\n':
			if i == 0 || b[i-1] != '\r' {
				return ""
			}
			n = -1
		case c >= 0x80:
			enc = "8bit"
		}
		n++
		if n > 998 {
			return ""
		}
	}
	return enc
}

// crlfEnd makes sure b ends with CRLF, so the boundary after it starts
// a line of its own (RFC 2046 §5.1.1: the CRLF before it belongs to it).
func crlfEnd(b []byte) []byte {
	if len(b) == 0 || bytes.HasSuffix(b, []byte("\r\n")) {
		return b
	}
	return append(append([]byte(nil), b...), '\r', '\n')
}

// NewMessageID is a new globally unique msg-id, without <>
// (RFC 5322 §3.6.4): 128 random bits at the host name.
func NewMessageID(hostname string) string {
	var r [16]byte
	rand.Read(r[:])
	if hostname == "" {
		hostname = "localhost"
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(r[:])) + "@" + hostname
}

// dateLayout is RFC 5322 §3.3's date-time.
const dateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// formatHeaderAddresses is an address list for the header: display names
// RFC 2047 encoded when not ASCII (net/mail does that).
func formatHeaderAddresses(l []*mail.Address) string {
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// encodeWords is an unstructured field value (Subject) for the header:
// as is when it is ASCII and cannot be taken for an encoded word, else
// RFC 2047 Q-encoded words short enough (at most 60 octets) to fold
// between them (§2, §5(1)); white space between encoded words is not
// part of the text (§6.2), so a word may end anywhere between runes.
func encodeWords(s string) string {
	if isASCII(s) && !strings.Contains(s, "=?") {
		return s
	}
	const prefix, suffix, max = "=?utf-8?q?", "?=", 60
	var words []string
	var cur strings.Builder
	for _, r := range s {
		enc := qRune(r)
		if cur.Len()+len(enc) > max-len(prefix)-len(suffix) {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc)
	}
	if cur.Len() > 0 {
		words = append(words, prefix+cur.String()+suffix)
	}
	return strings.Join(words, " ")
}

// qRune is r in RFC 2047 §4.2 Q encoding, restricted to the characters
// §5(3) allows in a phrase, so the same words do for any field.
func qRune(r rune) string {
	const hex = "0123456789ABCDEF"
	switch {
	case r == ' ':
		return "_"
	case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!*+-/", r)):
		return string(r)
	}
	var b strings.Builder
	for _, c := range []byte(string(r)) {
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
