package webmail

import (
	"bufio"
	"container/list"
	"fmt"
	"io"
	"mime"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset" // decode every charset in headers
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// maxHeaderBytes bounds the header section read for the message list.
const maxHeaderBytes = 256 << 10

// envelope is what the message list shows of a message, from its header
// section only (the body is never read for the list).
type envelope struct {
	From       string // display name, or the address
	FromAddr   string
	To         string
	Subject    string
	Date       time.Time // the Date field; zero if missing or bad
	MessageID  string
	InReplyTo  []string
	References []string
	// Attachment: the message is multipart/mixed (or a non-text
	// single part), the usual shape of a message with attachments.
	Attachment bool
}

// threadKey is the conversation a message belongs to (RFC 5256 §2.2
// simplified): the first message of its References, else what it
// replies to, else itself.
func (e *envelope) threadKey() string {
	switch {
	case len(e.References) > 0:
		return e.References[0]
	case len(e.InReplyTo) > 0:
		return e.InReplyTo[0]
	default:
		return e.MessageID
	}
}

// parseEnvelope reads the header section from r.
func parseEnvelope(r io.Reader) (*envelope, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxHeaderBytes), 8192)
	th, err := textproto.ReadHeader(br)
	if err != nil && th.Len() == 0 {
		return nil, fmt.Errorf("read header: %w", err)
	}
	return envelopeOf(mail.Header{Header: message.Header{Header: th}}), nil
}

// envelopeOf is the envelope of a parsed header; every field is optional.
func envelopeOf(h mail.Header) *envelope {
	e := &envelope{}
	e.Subject, _ = h.Subject()
	if e.Subject == "" {
		e.Subject = h.Get("Subject")
	}
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		e.FromAddr = from[0].Address
		e.From = from[0].Name
		if e.From == "" {
			e.From = from[0].Address
		}
	} else if raw := h.Get("From"); raw != "" {
		e.From = decodeWords(raw)
	}
	if to, err := h.AddressList("To"); err == nil {
		var names []string
		for _, a := range to {
			if a.Name != "" {
				names = append(names, a.Name)
			} else {
				names = append(names, a.Address)
			}
		}
		e.To = strings.Join(names, ", ")
	}
	if d, err := h.Date(); err == nil {
		e.Date = d
	}
	e.MessageID, _ = h.MessageID()
	e.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	e.References, _ = h.MsgIDList("References")
	if ct, _, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil {
		e.Attachment = ct == "multipart/mixed" ||
			(!strings.HasPrefix(ct, "text/") && !strings.HasPrefix(ct, "multipart/"))
	}
	return e
}

var wordDecoder = mime.WordDecoder{CharsetReader: charset.Reader}

// decodeWords decodes RFC 2047 encoded words, leaving undecodable text as is.
func decodeWords(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// envelopeCache keeps parsed envelopes by body ID (bodies never change),
// least recently used out first.
type envelopeCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[uint64]*list.Element
}

type envelopeEntry struct {
	id  uint64
	env *envelope
}

func newEnvelopeCache(max int) *envelopeCache {
	return &envelopeCache{max: max, ll: list.New(), items: make(map[uint64]*list.Element)}
}

func (c *envelopeCache) get(id uint64) (*envelope, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		c.ll.MoveToFront(el)
		return el.Value.(*envelopeEntry).env, true
	}
	return nil, false
}

func (c *envelopeCache) put(id uint64, e *envelope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[id]; ok {
		c.ll.MoveToFront(el)
		return
	}
	c.items[id] = c.ll.PushFront(&envelopeEntry{id, e})
	for c.ll.Len() > c.max {
		el := c.ll.Back()
		c.ll.Remove(el)
		delete(c.items, el.Value.(*envelopeEntry).id)
	}
}

// envelope returns the envelope of a message's body, from the cache or
// from its header section.
func (h *Handler) envelope(bodyID uint64) (*envelope, error) {
	if e, ok := h.envelopes.get(bodyID); ok {
		return e, nil
	}
	br, err := h.o.Store.OpenBody(bodyID)
	if err != nil {
		return nil, fmt.Errorf("open body %d: %w", bodyID, err)
	}
	defer br.Close()
	e, err := parseEnvelope(br)
	if err != nil {
		return nil, fmt.Errorf("body %d: %w", bodyID, err)
	}
	h.envelopes.put(bodyID, e)
	return e, nil
}
