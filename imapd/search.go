package imapd

import (
	"bytes"
	"io"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	"github.com/mailserver/mailserver/store"
)

// Search implements imapserver.Session: SEARCH and UID SEARCH with every
// search key of RFC 9051 §6.4.4, ESEARCH return options (RFC 4731) and
// SAVE (RFC 5182). Flags, dates, sizes and sets are matched on the
// message records; header keys read the header section; BODY and TEXT read
// the body and decode its parts (transfer encoding and charset).
func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (*imap.SearchData, error) {
	m := s.compile(criteria)
	var hits []msgRef
	err := s.sel.walk(s.sel.whole(), fetchBatch, func(batch []msgRef) error {
		// The hold keeps the bodies of the records found readable while
		// they are matched, however other sessions expunge meanwhile.
		release := s.srv.opts.Store.HoldBodies()
		defer release()
		msgs, err := s.messages(batch)
		if err != nil {
			return s.fail("search", err)
		}
		j := 0
		for _, ref := range batch {
			for j < len(msgs) && msgs[j].UID < ref.uid {
				j++
			}
			if j == len(msgs) || msgs[j].UID != ref.uid {
				// Expunged before its record was read, not yet reported:
				// it matches nothing (RFC 2180 §4.1; the record is gone).
				continue
			}
			c := &candidate{s: s, seq: ref.seq, msg: &msgs[j]}
			ok, err := m.match(c)
			if err != nil {
				return s.fail("search", err)
			}
			if ok {
				hits = append(hits, ref)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	data := &imap.SearchData{Count: uint32(len(hits))}
	if kind == imapserver.NumKindUID {
		var set imap.UIDSet
		for _, h := range hits {
			set.AddNum(imap.UID(h.uid))
		}
		data.All = set
		if len(hits) > 0 {
			data.Min, data.Max = hits[0].uid, hits[len(hits)-1].uid
		}
	} else {
		var set imap.SeqSet
		for _, h := range hits {
			set.AddNum(h.seq)
		}
		data.All = set
		if len(hits) > 0 {
			data.Min, data.Max = hits[0].seq, hits[len(hits)-1].seq
		}
	}
	if options.ReturnSave {
		s.saved = uidList(hits)
	}
	return data, nil
}

// matcher is a compiled SEARCH criteria: sets are resolved against the
// client's picture once.
type matcher struct {
	c              *imap.SearchCriteria
	headerPatterns []string // c.Header[i].Value in lower case
	sets           [][]span // the client's messages in each SeqNum and UID set
	not            []*matcher
	or             [][2]*matcher
}

func (s *session) compile(c *imap.SearchCriteria) *matcher {
	m := &matcher{c: c}
	for _, f := range c.Header {
		m.headerPatterns = append(m.headerPatterns, strings.ToLower(f.Value))
	}
	add := func(set imap.NumSet) { m.sets = append(m.sets, s.sel.spans(set, s.saved)) }
	for _, set := range c.SeqNum {
		add(set)
	}
	for _, set := range c.UID {
		add(set)
	}
	for i := range c.Not {
		m.not = append(m.not, s.compile(&c.Not[i]))
	}
	for i := range c.Or {
		m.or = append(m.or, [2]*matcher{s.compile(&c.Or[i][0]), s.compile(&c.Or[i][1])})
	}
	return m
}

// candidate is one message being matched; its header section and body
// are read when a key needs them, at most once.
type candidate struct {
	s      *session
	seq    uint32
	msg    *store.Message
	header []byte // raw header section
	body   []byte
}

// hasFlag: the message's flags, and \Recent when it is recent in this
// session (RECENT, NEW, OLD: RFC 3501 §6.4.4).
func (c *candidate) hasFlag(f imap.Flag) bool {
	if strings.EqualFold(string(f), string(flagRecent)) {
		return c.s.sel.isRecent(c.msg.UID)
	}
	return c.msg.HasFlag(string(f))
}

func (c *candidate) getHeader() ([]byte, error) {
	if c.header == nil {
		raw, err := c.s.readHeaderSection(c.msg.BodyID)
		if err != nil {
			return nil, err
		}
		c.header = raw
	}
	return c.header, nil
}

func (c *candidate) getBody() ([]byte, error) {
	if c.body == nil {
		b, err := c.s.srv.opts.Store.ReadBodyBytes(c.msg.BodyID)
		if err != nil {
			return nil, err
		}
		c.body = b
	}
	return c.body, nil
}

// match evaluates the criteria: all keys must match (RFC 9051 §6.4.4).
// Cheap keys come first so that most messages never have their body read.
func (m *matcher) match(c *candidate) (bool, error) {
	cr := m.c
	for _, sp := range m.sets {
		if !inSpans(sp, int(c.seq)-1) {
			return false, nil
		}
	}
	for _, f := range cr.Flag {
		if !c.hasFlag(f) {
			return false, nil
		}
	}
	for _, f := range cr.NotFlag {
		if c.hasFlag(f) {
			return false, nil
		}
	}
	if cr.Larger > 0 && c.msg.Size <= cr.Larger {
		return false, nil
	}
	if cr.Smaller > 0 && c.msg.Size >= cr.Smaller {
		return false, nil
	}
	if !matchDate(c.msg.InternalDate, cr.Since, cr.Before) {
		return false, nil
	}
	if len(cr.Header) > 0 || !cr.SentSince.IsZero() || !cr.SentBefore.IsZero() {
		raw, err := c.getHeader()
		if err != nil {
			return false, err
		}
		for i, f := range cr.Header {
			if !matchRawFields(raw, f.Key, m.headerPatterns[i]) {
				return false, nil
			}
		}
		if !cr.SentSince.IsZero() || !cr.SentBefore.IsZero() {
			// RFC 9051 §6.4.4: SENT* use the Date: header; a message
			// without a valid one matches none of them.
			v := firstField(raw, "Date")
			if v == "" {
				return false, nil
			}
			t, err := netmail.ParseDate(v)
			if err != nil || t.IsZero() || !matchDate(t, cr.SentSince, cr.SentBefore) {
				return false, nil
			}
		}
	}
	for _, text := range cr.Body {
		ok, err := c.matchText(text, false)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, text := range cr.Text {
		ok, err := c.matchText(text, true)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, n := range m.not {
		ok, err := n.match(c)
		if err != nil || ok {
			return false, err
		}
	}
	for _, or := range m.or {
		ok, err := or[0].match(c)
		if err != nil {
			return false, err
		}
		if !ok {
			if ok, err = or[1].match(c); err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

// matchDate compares dates only, in the time's own zone (RFC 9051 §6.4.4:
// "disregarding time and timezone").
func matchDate(t, since, before time.Time) bool {
	if since.IsZero() && before.IsZero() {
		return true
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if !since.IsZero() && d.Before(time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	if !before.IsZero() && !d.Before(time.Date(before.Year(), before.Month(), before.Day(), 0, 0, 0, 0, time.UTC)) {
		return false
	}
	return true
}

// matchFields: an empty pattern matches any message that has the field
// (RFC 9051 §6.4.4, HEADER); otherwise a case-insensitive substring of the
// decoded value.
func matchFields(fields gomessage.HeaderFields, pattern string) bool {
	if pattern == "" {
		return fields.Len() > 0
	}
	pattern = strings.ToLower(pattern)
	for fields.Next() {
		v, err := fields.Text()
		if err != nil {
			v = fields.Value()
		}
		if strings.Contains(strings.ToLower(v), pattern) {
			return true
		}
	}
	return false
}

// matchText is BODY (withHeader false) and TEXT (true), over the MIME
// tree of mime.go: one pass per level, however deep the message nests
// (go-message's readers, nested, made a deep message cost the square of
// its size).
func (c *candidate) matchText(pattern string, withHeader bool) (bool, error) {
	if pattern == "" {
		return true, nil
	}
	b, err := c.getBody()
	if err != nil {
		return false, err
	}
	root, _ := parseMIME(b)
	return matchNode(root, strings.ToLower(pattern), withHeader), nil
}

// matchNode matches the decoded text parts of an entity (transfer encoding
// and charset) and, with withHeader, the header fields of every entity.
func matchNode(n *mimeNode, pattern string, withHeader bool) bool {
	h := gomessage.Header{Header: n.header}
	if withHeader && matchFields(h.Fields(), pattern) {
		return true
	}
	switch {
	case n.opaque:
		return false
	case n.typ == "multipart":
		for _, c := range n.children {
			if matchNode(c, pattern, withHeader) {
				return true
			}
		}
		return false
	case n.message != nil:
		return matchNode(n.message, pattern, true)
	case n.typ != "text":
		return false // attachments: not text
	}
	e, err := gomessage.New(h, bytes.NewReader(n.body))
	if e == nil {
		_ = err // unknown transfer encoding: search the raw octets
		return bytes.Contains(bytes.ToLower(n.body), []byte(pattern))
	}
	b, err := io.ReadAll(io.LimitReader(e.Body, 64<<20))
	if err != nil && len(b) == 0 {
		return false
	}
	return bytes.Contains(bytes.ToLower(b), []byte(pattern))
}
