package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/charset" // decode every charset in headers and text parts
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// SearchCriteria selects messages of one mailbox for SearchMessages. Every
// field that is set must match (AND); the zero value matches everything.
// Text matches are case-insensitive substrings of the decoded text: header
// fields after RFC 2047 decoding, bodies after their transfer encoding and
// charset are undone (the webmail's search; IMAP has its own matcher,
// imapd/search.go, for RFC 9051's keys).
type SearchCriteria struct {
	From    string // the From field (names and addresses)
	To      string // the To and Cc fields
	Subject string
	Body    string // any text part of the body
	Text    string // any header field or text part
	// Since and Before bound the internal date (the arrival time):
	// Since <= date < Before; zero leaves that side open.
	Since, Before time.Time
	// Flags must all be set, NotFlags none of them (`\Seen`, `\Flagged`, keywords).
	Flags, NotFlags []string
}

// searchMaxTextPart bounds how much of one text part a body search
// decodes and reads.
const searchMaxTextPart = 16 << 20

// needsBody reports whether c matches anything beyond the records.
func (c *SearchCriteria) needsBody() bool {
	return c.From != "" || c.To != "" || c.Subject != "" || c.Body != "" || c.Text != ""
}

// matchesRecord checks the criteria on the message record alone.
func (c *SearchCriteria) matchesRecord(m *Message) bool {
	if !c.Since.IsZero() && m.InternalDate.Before(c.Since) {
		return false
	}
	if !c.Before.IsZero() && !m.InternalDate.Before(c.Before) {
		return false
	}
	for _, f := range c.Flags {
		if !m.HasFlag(f) {
			return false
		}
	}
	for _, f := range c.NotFlags {
		if m.HasFlag(f) {
			return false
		}
	}
	return true
}

// SearchMessages returns the UIDs, ascending, of the messages of the
// user's mailbox that match c. Records are matched first; only those left
// are read, and a body only when a body criterion remains after the
// header. Messages expunged while the search runs match nothing.
func (s *Store) SearchMessages(ctx context.Context, userID, mailboxID uint64, c *SearchCriteria) ([]uint32, error) {
	release := s.HoldBodies()
	defer release()
	msgs, err := s.ListMessages(ctx, userID, mailboxID, 1, 0)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	var out []uint32
	for i := range msgs {
		m := &msgs[i]
		if !c.matchesRecord(m) {
			continue
		}
		if !c.needsBody() {
			out = append(out, m.UID)
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		raw, err := s.ReadBodyBytes(m.BodyID)
		if err != nil {
			continue // expunged and freed before the hold: matches nothing
		}
		if c.matchesMessage(raw) {
			out = append(out, m.UID)
		}
	}
	return out, nil
}

// matchesMessage checks the header and body criteria on a message.
func (c *SearchCriteria) matchesMessage(raw []byte) bool {
	br := bufio.NewReader(bytes.NewReader(raw))
	th, err := textproto.ReadHeader(br)
	if err != nil && th.Len() == 0 {
		return false
	}
	h := mail.Header{Header: gomessage.Header{Header: th}}
	if c.From != "" && !containsFold(addressesText(h, "From"), c.From) {
		return false
	}
	if c.To != "" && !containsFold(addressesText(h, "To")+"\n"+addressesText(h, "Cc"), c.To) {
		return false
	}
	if c.Subject != "" {
		subj, err := h.Subject()
		if err != nil {
			subj = h.Get("Subject")
		}
		if !containsFold(subj, c.Subject) {
			return false
		}
	}
	textInHeader := false
	if c.Text != "" {
		fields := th.Fields()
		for fields.Next() {
			v, err := searchWords.DecodeHeader(fields.Value())
			if err != nil {
				v = fields.Value()
			}
			if containsFold(v, c.Text) {
				textInHeader = true
				break
			}
		}
	}
	var wantBody []string
	if c.Body != "" {
		wantBody = append(wantBody, c.Body)
	}
	if c.Text != "" && !textInHeader {
		wantBody = append(wantBody, c.Text)
	}
	if len(wantBody) == 0 {
		return true
	}
	return bodyContainsAll(raw, wantBody)
}

// bodyContainsAll reports whether the decoded text parts of the message
// together contain every needle (each in some part).
func bodyContainsAll(raw []byte, needles []string) bool {
	e, _ := gomessage.Read(bytes.NewReader(raw)) // usable with an unknown charset or encoding
	if e == nil {
		return false
	}
	found := make([]bool, len(needles))
	left := len(needles)
	_ = e.Walk(func(_ []int, part *gomessage.Entity, err error) error {
		if err != nil || part == nil || left == 0 {
			return nil
		}
		t, _, _ := part.Header.ContentType()
		if t != "" && !strings.HasPrefix(t, "text/") {
			return nil // multipart containers and non-text leaves
		}
		b, _ := io.ReadAll(io.LimitReader(part.Body, searchMaxTextPart))
		text := string(b)
		for i, n := range needles {
			if !found[i] && containsFold(text, n) {
				found[i] = true
				left--
			}
		}
		return nil
	})
	return left == 0
}

// addressesText is an address field's names and addresses, decoded.
func addressesText(h mail.Header, key string) string {
	list, err := h.AddressList(key)
	if err != nil || len(list) == 0 {
		if v, err := h.Text(key); err == nil {
			return v
		}
		return h.Get(key)
	}
	var b strings.Builder
	for _, a := range list {
		b.WriteString(a.Name)
		b.WriteString(" <")
		b.WriteString(a.Address)
		b.WriteString(">\n")
	}
	return b.String()
}

// searchWords decodes RFC 2047 encoded words in any charset.
var searchWords = mime.WordDecoder{CharsetReader: charset.Reader}

// containsFold reports whether needle is in s, ignoring case.
func containsFold(s, needle string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(needle))
}
