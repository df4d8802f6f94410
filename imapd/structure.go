package imapd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/emersion/go-imap/v2"
	_ "github.com/emersion/go-message/charset" // decode every charset in headers (ENVELOPE, SEARCH)
)

// cacheVersion prefixes what imapd keeps in the store's body cache; a
// different first byte means "recompute".
const cacheVersion = 1

// bodyInfo is what FETCH needs from a body besides its bytes, computed once
// per body (bodies are shared between copies) and kept in the store's body
// cache as cacheVersion ‖ JSON.
type bodyInfo struct {
	Envelope *imap.Envelope `json:"e"`
	Body     *part          `json:"b"`
}

// part is a BODYSTRUCTURE node (RFC 9051 §7.5.2) in a form JSON can carry
// (imap.BodyStructure is an interface).
type part struct {
	Type        string            `json:"t"`
	Subtype     string            `json:"s"`
	Params      map[string]string `json:"p,omitempty"`
	ID          string            `json:"id,omitempty"`
	Description string            `json:"d,omitempty"`
	Encoding    string            `json:"c,omitempty"`
	Size        uint32            `json:"n,omitempty"`
	Lines       int64             `json:"l,omitempty"`
	Disposition string            `json:"x,omitempty"`
	DispParams  map[string]string `json:"xp,omitempty"`
	Language    []string          `json:"g,omitempty"`
	Location    string            `json:"o,omitempty"`
	Children    []*part           `json:"k,omitempty"` // multipart
	Envelope    *imap.Envelope    `json:"e,omitempty"` // message/rfc822
	Message     *part             `json:"m,omitempty"` // message/rfc822
}

// parseBody computes a body's bodyInfo (see parse.go).
func parseBody(b []byte) *bodyInfo {
	root, p := parseMIME(b)
	return &bodyInfo{Envelope: envelope(root.header), Body: p.extractPart(root)}
}

// structure converts back to go-imap's extended form (BODYSTRUCTURE; the
// library writes the non-extended BODY form from it too).
func (p *part) structure() imap.BodyStructure {
	var disp *imap.BodyStructureDisposition
	if p.Disposition != "" {
		disp = &imap.BodyStructureDisposition{Value: p.Disposition, Params: p.DispParams}
	}
	if p.Type == "multipart" {
		bs := &imap.BodyStructureMultiPart{Subtype: p.Subtype, Extended: &imap.BodyStructureMultiPartExt{
			Params: p.Params, Disposition: disp, Language: p.Language, Location: p.Location}}
		for _, c := range p.Children {
			bs.Children = append(bs.Children, c.structure())
		}
		return bs
	}
	bs := &imap.BodyStructureSinglePart{Type: p.Type, Subtype: p.Subtype, Params: p.Params, ID: p.ID,
		Description: p.Description, Encoding: p.Encoding, Size: p.Size,
		Extended: &imap.BodyStructureSinglePartExt{Disposition: disp, Language: p.Language, Location: p.Location}}
	switch {
	case p.Message != nil:
		env := p.Envelope
		if env == nil {
			env = &imap.Envelope{}
		}
		bs.MessageRFC822 = &imap.BodyStructureMessageRFC822{Envelope: env, BodyStructure: p.Message.structure(), NumLines: p.Lines}
	case p.Type == "text":
		bs.Text = &imap.BodyStructureText{NumLines: p.Lines}
	}
	return bs
}

func encodeBodyInfo(info *bodyInfo) ([]byte, error) {
	b, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	return append([]byte{cacheVersion}, b...), nil
}

func decodeBodyInfo(b []byte) (*bodyInfo, bool) {
	if len(b) < 2 || b[0] != cacheVersion {
		return nil, false
	}
	var info bodyInfo
	if err := json.Unmarshal(b[1:], &info); err != nil || info.Body == nil || info.Envelope == nil {
		return nil, false
	}
	return &info, true
}

// bodyInfo returns the cached ENVELOPE and BODYSTRUCTURE of a body,
// computing (and caching) them the first time.
func (s *session) bodyInfo(bodyID uint64) (*bodyInfo, error) {
	if info, ok := s.srv.infos.get(bodyID); ok {
		return info, nil
	}
	st := s.srv.opts.Store
	if b, err := st.BodyCache(bodyID); err == nil {
		if info, ok := decodeBodyInfo(b); ok {
			s.srv.infos.put(bodyID, info, infoSize(b))
			return info, nil
		}
	} else {
		return nil, fmt.Errorf("body cache %d: %w", bodyID, err)
	}
	b, err := st.ReadBodyBytes(bodyID)
	if err != nil {
		return nil, fmt.Errorf("read body %d: %w", bodyID, err)
	}
	info := parseBody(b)
	if enc, err := encodeBodyInfo(info); err == nil {
		s.srv.cache.put(bodyID, enc)
		s.srv.infos.put(bodyID, info, infoSize(enc))
	}
	return info, nil
}

// infoSize estimates the memory a decoded bodyInfo takes from the length
// of its JSON (strings plus the structs and maps around them). Infos in
// memory are shared by every session and never modified.
func infoSize(enc []byte) int { return 3*len(enc) + 512 }

// cacheWriter stores computed body infos in the background, many at once:
// each SetBodyCache is a durable commit, and concurrent ones share a group
// commit, where one after another would cost an fsync each while a client
// fetches ENVELOPE for a whole mailbox. The cache is only an optimisation:
// when the queue is full an entry is dropped (and computed again later).
type cacheWriter struct {
	st   Store
	log  *slog.Logger
	ch   chan cacheEntry
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type cacheEntry struct {
	bodyID uint64
	data   []byte
}

// Cache writer tuning: entries queued, and store calls in flight at once.
const (
	cacheQueue    = 4096
	cacheParallel = 64
)

func newCacheWriter(st Store, log *slog.Logger) *cacheWriter {
	c := &cacheWriter{st: st, log: log, ch: make(chan cacheEntry, cacheQueue), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *cacheWriter) put(bodyID uint64, data []byte) {
	select {
	case c.ch <- cacheEntry{bodyID, data}:
	default:
	}
}

func (c *cacheWriter) run() {
	defer close(c.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		var batch []cacheEntry
		select {
		case e := <-c.ch:
			batch = append(batch, e)
		case <-c.stop:
			return
		}
	more:
		for len(batch) < cacheParallel {
			select {
			case e := <-c.ch:
				batch = append(batch, e)
			default:
				break more
			}
		}
		var wg sync.WaitGroup
		for _, e := range batch {
			wg.Go(func() {
				if err := c.st.SetBodyCache(ctx, e.bodyID, e.data); err != nil && !errors.Is(err, context.Canceled) {
					c.log.Warn("imap body cache", "body", e.bodyID, "err", err)
				}
			})
		}
		wg.Wait()
	}
}

func (c *cacheWriter) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}
