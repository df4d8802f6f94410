package imapd

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/mailserver/mailserver/store"
)

// fetchBatch is how many messages' metadata one store read returns.
const fetchBatch = 256

// Bodies up to this size are read into memory before their FETCH response
// starts; larger ones are streamed chunk by chunk (see writeRange).
const streamAbove = 1 << 20

// Fetch implements imapserver.Session (RFC 9051 §6.4.5). Message data is
// read in short store transactions; none is open while writing.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	setSeen := !s.readOnly && marksSeen(options)
	gone := false
	err := s.sel.walk(s.sel.spans(numSet, s.saved), fetchBatch, func(batch []msgRef) error {
		// Records and bodies are read in separate store transactions:
		// the hold, taken before the records are read, keeps the body of
		// every record found readable until the batch is written, however
		// other sessions expunge meanwhile (RFC 2180 §4.1).
		release := s.srv.opts.Store.HoldBodies()
		defer release()
		msgs, err := s.messages(batch)
		if err != nil {
			return s.fail("fetch", err)
		}
		// RFC 9051 §6.4.5: BODY[...] (not PEEK) sets \Seen; the changed
		// flags are part of the response.
		var seen map[uint32]bool
		if setSeen {
			if seen, err = s.markSeen(msgs); err != nil {
				return s.fail("fetch", err)
			}
		}
		// Messages expunged by others before their records were read (but
		// not yet reported to this client) are missing from msgs: they get
		// no FETCH response. A UID FETCH ignores them (RFC 9051 §6.4.9: a
		// UID that does not exist is no error; Thunderbird fetches by UID);
		// a FETCH by sequence number ends in NO [EXPUNGEISSUED] (RFC 2180
		// §4.1.2) once the others are served.
		j := 0
		for _, ref := range batch {
			for j < len(msgs) && msgs[j].UID < ref.uid {
				j++
			}
			if j == len(msgs) || msgs[j].UID != ref.uid {
				gone = true
				continue
			}
			if err := s.fetchOne(w, ref.seq, &msgs[j], options, seen[ref.uid]); err != nil {
				return err
			}
		}
		return nil
	})
	if _, byUID := numSet.(imap.UIDSet); err == nil && gone && !byUID {
		return errExpungeIssued
	}
	return err
}

// messages reads the records of a batch of the client's messages
// (ascending UIDs). A batch covering a dense UID range (the usual 1:* or
// n:m) is read with one cursor scan, ListMessages, instead of one B-tree
// lookup per UID, GetMessages: the lookups were ~30 % of the server's CPU
// under imap-mix. The result may hold messages outside the batch (callers
// match by UID) and lacks those expunged meanwhile.
func (s *session) messages(batch []msgRef) ([]store.Message, error) {
	st := s.srv.opts.Store
	lo, hi := batch[0].uid, batch[len(batch)-1].uid
	if int64(hi)-int64(lo) < 2*int64(len(batch)) {
		return st.ListMessages(s.ctx, s.user.ID, s.sel.mailboxID, lo, hi)
	}
	return st.GetMessages(s.ctx, s.user.ID, s.sel.mailboxID, uidList(batch))
}

// markSeen sets \Seen on those of msgs that lack it, updates their flags
// in msgs and returns their UIDs.
func (s *session) markSeen(msgs []store.Message) (map[uint32]bool, error) {
	var unseen []uint32
	for i := range msgs {
		if !msgs[i].HasFlag(store.FlagSeen) {
			unseen = append(unseen, msgs[i].UID)
		}
	}
	if len(unseen) == 0 {
		return nil, nil
	}
	res, err := s.srv.opts.Store.StoreFlags(s.ctx, s.user.ID, s.sel.mailboxID, unseen, store.FlagsAdd, []string{store.FlagSeen}, store.StoreFlagsOptions{})
	if err != nil {
		return nil, err
	}
	changed := make(map[uint32][]string, len(res.Messages))
	for _, m := range res.Messages {
		changed[m.UID] = m.Flags
	}
	seen := make(map[uint32]bool, len(changed))
	for i := range msgs {
		if f, ok := changed[msgs[i].UID]; ok {
			msgs[i].Flags = f
			seen[msgs[i].UID] = true
		}
	}
	return seen, nil
}

func marksSeen(options *imap.FetchOptions) bool {
	for _, bs := range options.BodySection {
		if !bs.Peek {
			return true
		}
	}
	for _, bs := range options.BinarySection {
		if !bs.Peek {
			return true
		}
	}
	return false
}

// fetchData is what one message's response needs, gathered before the
// response starts: once it has, an error can only end the connection.
type fetchData struct {
	info     *bodyInfo
	header   []byte   // the header section, with its blank line
	whole    []byte   // the whole body, when it is small or sections need parsing
	wholeBuf *[]byte  // whole's buffer, back to Server.bodies after the response
	sections [][]byte // BODY[...] values computed from header or whole; nil: stream
	binary   [][]byte
	binSizes []uint32
}

func (s *session) fetchOne(w *imapserver.FetchWriter, seq uint32, m *store.Message, options *imap.FetchOptions, flagsChanged bool) error {
	d, err := s.gather(m, options)
	if err != nil {
		return err
	}
	defer s.srv.bodies.put(d.wholeBuf)
	rw := w.CreateMessage(seq)
	if options.UID {
		rw.WriteUID(imap.UID(m.UID))
	}
	if options.Flags || flagsChanged {
		rw.WriteFlags(s.sel.withRecent(m.UID, m.Flags))
	}
	if options.InternalDate {
		rw.WriteInternalDate(m.InternalDate)
	}
	if options.RFC822Size {
		rw.WriteRFC822Size(m.Size)
	}
	if options.Envelope {
		rw.WriteEnvelope(d.info.Envelope)
	}
	if options.BodyStructure != nil {
		rw.WriteBodyStructure(d.info.Body.structure())
	}
	for i, bs := range options.BodySection {
		if b := d.sections[i]; b != nil || d.whole != nil || !streamable(bs) {
			if err := writeLiteral(rw.WriteBodySection(bs, int64(len(b))), nulFree(b)); err != nil { // fetchbinary.go
				rw.Close()
				return err
			}
			continue
		}
		if err := s.streamSection(rw, m, bs, int64(len(d.header))); err != nil {
			rw.Close()
			return err
		}
	}
	for i, bs := range options.BinarySection {
		s.noteBinaryItem(bs)
		if err := writeLiteral(rw.WriteBinarySection(bs, int64(len(d.binary[i]))), d.binary[i]); err != nil {
			rw.Close()
			return err
		}
	}
	for i, bss := range options.BinarySectionSize {
		rw.WriteBinarySectionSize(bss, d.binSizes[i])
	}
	return rw.Close()
}

func writeLiteral(wc io.WriteCloser, b []byte) error {
	_, err := wc.Write(b)
	if cerr := wc.Close(); err == nil {
		err = cerr
	}
	return err
}

// streamable reports whether a section is a byte range of the stored body
// (the whole message or its text), which large messages stream.
func streamable(bs *imap.FetchItemBodySection) bool {
	return len(bs.Part) == 0 && (bs.Specifier == imap.PartSpecifierNone || bs.Specifier == imap.PartSpecifierText)
}

// gather reads and computes everything but streamed ranges.
func (s *session) gather(m *store.Message, options *imap.FetchOptions) (*fetchData, error) {
	d := &fetchData{}
	var err error
	if options.Envelope || options.BodyStructure != nil {
		if d.info, err = s.bodyInfo(m.BodyID); err != nil {
			return nil, s.fail("fetch", err)
		}
	}
	needWhole := len(options.BinarySection) > 0 || len(options.BinarySectionSize) > 0
	needHeader := false
	for _, bs := range options.BodySection {
		switch {
		case len(bs.Part) > 0:
			needWhole = true
		case bs.Specifier == imap.PartSpecifierNone || bs.Specifier == imap.PartSpecifierText:
			needHeader = needHeader || bs.Specifier == imap.PartSpecifierText
			if m.Size <= streamAbove {
				needWhole = true
			}
		default: // HEADER, HEADER.FIELDS (NOT)
			needHeader = true
		}
	}
	if needWhole {
		if d.whole, d.wholeBuf, err = s.readWhole(m.BodyID); err != nil {
			return nil, s.fail("fetch", err)
		}
		d.header = d.whole[:headerEnd(d.whole)]
	} else if needHeader {
		if d.header, err = s.readHeaderSection(m.BodyID); err != nil {
			return nil, s.fail("fetch", err)
		}
	}
	d.sections = make([][]byte, len(options.BodySection))
	for i, bs := range options.BodySection {
		switch {
		case len(bs.Part) > maxMIMEDepth+1:
			d.sections[i] = []byte{} // deeper than BODYSTRUCTURE shows (mime.go)
		case len(bs.Part) > 0:
			d.sections[i] = nonNil(imapserver.ExtractBodySection(bytes.NewReader(d.whole), bs))
		case bs.Specifier == imap.PartSpecifierNone:
			if d.whole != nil {
				d.sections[i] = partial(d.whole, bs.Partial)
			}
		case bs.Specifier == imap.PartSpecifierText:
			if d.whole != nil {
				d.sections[i] = partial(d.whole[len(d.header):], bs.Partial)
			}
		case len(bs.HeaderFields) == 0 && len(bs.HeaderFieldsNot) == 0:
			d.sections[i] = partial(d.header, bs.Partial)
		default: // HEADER.FIELDS (NOT): Thunderbird's listing of a mailbox
			names, not := bs.HeaderFields, false
			if len(names) == 0 {
				names, not = bs.HeaderFieldsNot, true
			}
			if b, ok := headerFields(d.header, names, not); ok {
				d.sections[i] = partial(b, bs.Partial)
			} else {
				d.sections[i] = nonNil(imapserver.ExtractBodySection(bytes.NewReader(d.header), bs))
			}
		}
	}
	// go-imap's extractors read a part n levels down through n nested
	// readers: paths are bounded as BODYSTRUCTURE is (mime.go).
	for _, bs := range options.BinarySection {
		if len(bs.Part) > maxMIMEDepth+1 {
			d.binary = append(d.binary, []byte{})
			continue
		}
		d.binary = append(d.binary, nonNil(imapserver.ExtractBinarySection(bytes.NewReader(d.whole), bs)))
	}
	for _, bss := range options.BinarySectionSize {
		if len(bss.Part) > maxMIMEDepth+1 {
			d.binSizes = append(d.binSizes, 0)
			continue
		}
		d.binSizes = append(d.binSizes, imapserver.ExtractBinarySectionSize(bytes.NewReader(d.whole), bss))
	}
	return d, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// partial applies <offset.size> (RFC 9051 §6.4.5).
func partial(b []byte, p *imap.SectionPartial) []byte {
	if p == nil {
		return b
	}
	if p.Offset >= int64(len(b)) {
		return []byte{}
	}
	return b[p.Offset:min(int64(len(b)), p.Offset+p.Size)]
}

// streamSection writes BODY[] or BODY[TEXT] of a large message from the
// store in chunks. If the body disappears meanwhile (expunged by another
// session and freed), the literal cannot be completed: the connection is
// closed, the only honest way out.
func (s *session) streamSection(rw *imapserver.FetchResponseWriter, m *store.Message, bs *imap.FetchItemBodySection, hdrLen int64) error {
	br, err := s.srv.opts.Store.OpenBody(m.BodyID)
	if err != nil {
		s.conn.NetConn().Close()
		return fmt.Errorf("open body %d: %w", m.BodyID, err)
	}
	defer br.Close() // the reader pins the body while it is sent
	start, end := int64(0), br.Size()
	if bs.Specifier == imap.PartSpecifierText {
		start = hdrLen
	}
	if p := bs.Partial; p != nil {
		start = min(start+p.Offset, end)
		end = min(end, start+p.Size)
	}
	wc := &nulFreeWriter{WriteCloser: rw.WriteBodySection(bs, end-start)} // fetchbinary.go
	if _, err := io.Copy(wc, io.NewSectionReader(br, start, end-start)); err != nil {
		s.conn.NetConn().Close()
		wc.Close()
		return fmt.Errorf("stream body %d: %w", m.BodyID, err)
	}
	return wc.Close()
}

// readWhole reads a whole body into a buffer from Server.bodies: a FETCH
// of BODY[] reads every body once per command, and allocating each one
// (1 MiB of garbage per 100 messages of 10 KiB) made the collector a
// large part of the CPU of imap-fetch.
func (s *session) readWhole(bodyID uint64) ([]byte, *[]byte, error) {
	buf := s.srv.bodies.get(0)
	b, err := s.srv.opts.Store.AppendBody(*buf, bodyID)
	*buf = b
	if err != nil {
		s.srv.bodies.put(buf)
		return nil, nil, fmt.Errorf("read body %d: %w", bodyID, err)
	}
	return b, buf, nil
}

// bufPool recycles body buffers up to bufPoolMax bytes.
type bufPool struct{ p sync.Pool }

const bufPoolMax = streamAbove

// get returns a buffer of length n.
func (bp *bufPool) get(n int) *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		if cap(*b) >= n {
			*b = (*b)[:n]
			return b
		}
		bp.p.Put(b)
	}
	b := make([]byte, n, max(n, 16<<10))
	return &b
}

func (bp *bufPool) put(b *[]byte) {
	if b != nil && cap(*b) <= bufPoolMax {
		bp.p.Put(b)
	}
}

// readHeaderSection reads a body's header section (up to and including the
// empty line), chunk by chunk.
func (s *session) readHeaderSection(bodyID uint64) ([]byte, error) {
	if b, ok := s.srv.headers.get(bodyID); ok {
		return b, nil
	}
	b, err := s.readHeaderFromStore(bodyID)
	if err == nil {
		s.srv.headers.put(bodyID, b, len(b))
	}
	return b, err
}

func (s *session) readHeaderFromStore(bodyID uint64) ([]byte, error) {
	br, err := s.srv.opts.Store.OpenBody(bodyID)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	var buf []byte
	chunk := make([]byte, 16<<10)
	for {
		n, err := br.Read(chunk)
		from := max(0, len(buf)-3)
		buf = append(buf, chunk[:n]...)
		if i := bytes.Index(buf[from:], []byte("\r\n\r\n")); i >= 0 {
			return bytes.Clone(buf[:from+i+4]), nil
		}
		if len(buf) >= 2 && buf[0] == '\r' && buf[1] == '\n' {
			return buf[:2], nil // no header fields at all
		}
		if err == io.EOF {
			return buf, nil // all header
		}
		if err != nil {
			return nil, err
		}
	}
}

// headerEnd is the length of the header section of a whole body.
func headerEnd(b []byte) int {
	if bytes.HasPrefix(b, []byte("\r\n")) {
		return 2
	}
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return len(b)
}
