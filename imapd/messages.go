package imapd

import (
	"errors"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/mailserver/mailserver/store"
)

var systemFlags = []imap.Flag{imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagSeen, imap.FlagDraft}

// Select implements imapserver.Session: SELECT and EXAMINE (RFC 9051
// §6.3.2, §6.3.3).
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	s.unselect()
	st := s.srv.opts.Store
	mb, err := st.MailboxByName(s.ctx, s.user.ID, name)
	if err != nil {
		return nil, s.fail("select", err)
	}
	addr := s.user.Address
	v, err := s.watch.open(s.ctx, st, s.user.ID, mb.ID, func() { s.tooFarBehind(addr) })
	if err != nil {
		return nil, s.fail("select", err)
	}
	// The keyword set read after the view was registered: a keyword added
	// since reaches the view as an update too (view.setKeywords).
	if mb, err = st.MailboxByID(s.ctx, s.user.ID, mb.ID); err != nil {
		s.watch.close(v)
		return nil, s.fail("select", err)
	}
	v.setKeywords(mb.Keywords)
	s.selMu.Lock()
	s.sel, s.readOnly = v, options != nil && options.ReadOnly
	s.selMu.Unlock()
	if s.usesRecent() {
		// RFC 3501 §2.3.2: the messages nobody was told of before are
		// recent here; later arrivals are claimed as they are announced.
		if last := v.lastUID(); mb.Recent > 0 && last > 0 {
			s.claimRecent(v, 1, last)
		}
		v.mu.Lock()
		v.claim = func(from, upto uint32) { s.claimRecent(v, from, upto) }
		v.mu.Unlock()
	}
	n := v.count()
	uidNext := mb.UIDNext
	if last := v.lastUID(); last >= uidNext {
		uidNext = last + 1 // a delivery between the two reads
	}
	// RFC 9051 §7.3.5, §7.1: FLAGS lists the keywords in use, and
	// PERMANENTFLAGS them and \* (new keywords may be created) unless the
	// mailbox's keyword set is full.
	perm := mailboxFlags(mb.Keywords)
	if len(mb.Keywords) < store.MaxMailboxKeywords {
		perm = append(perm, imap.FlagWildcard)
	}
	data := &imap.SelectData{
		Flags:          mailboxFlags(mb.Keywords),
		PermanentFlags: perm,
		NumMessages:    uint32(n),
		NumRecent:      v.recentCount(),
		UIDNext:        imap.UID(uidNext),
		UIDValidity:    mb.UIDValidity,
	}
	if s.readOnly {
		data.PermanentFlags = []imap.Flag{}
	}
	if mb.Unseen > 0 {
		// IMAP4rev1 clients get "OK [UNSEEN n]" (RFC 3501 §6.3.1).
		if data.FirstUnseenSeqNum, err = s.firstUnseen(v, mb.Unseen); err != nil {
			return nil, s.fail("select", err)
		}
	}
	if s.conn.EnabledCaps().Has(imap.CapIMAP4rev2) {
		// RFC 9051 §6.3.2: a LIST response with the mailbox name.
		attrs := []imap.MailboxAttr{}
		if mb.SpecialUse != "" {
			attrs = append(attrs, imap.MailboxAttr(mb.SpecialUse))
		}
		data.List = &imap.ListData{Mailbox: mb.Name, Delim: store.Delimiter, Attrs: attrs}
	}
	return data, nil
}

// tooFarBehind closes the session: its view fell maxBacklog changes
// behind (view.push). It runs on the store's committer goroutine, so it
// only starts the closing: BYE, and if writing it does not finish soon (a
// client that does not read), the connection is closed under it.
func (s *session) tooFarBehind(user string) {
	s.srv.log.Info("imap session closed: too many changes behind", "user", user, "remote", s.remote, "max", maxBacklog)
	go func() {
		done := make(chan struct{})
		go func() {
			s.conn.Bye("Too many changes behind, reconnect")
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(byeWriteTimeout):
			s.conn.NetConn().Close()
		}
	}()
}

// byeWriteTimeout bounds writing the BYE to a session closed for falling
// behind.
const byeWriteTimeout = 5 * time.Second

// firstUnseen is the sequence number of the first message without \Seen
// (0 if none is found). It reads the picture backwards in batches,
// counting unseen messages until it has as many as the mailbox's counter
// says: new mail is at the end, so SELECT of a 100,000-message mailbox
// with a few new messages reads one batch, not every record. (A counter
// that moved meanwhile makes the hint, which is only a hint, stop early
// or read to the start.)
func (s *session) firstUnseen(v *view, unseen uint32) (uint32, error) {
	if n := v.count(); n > 0 && int(unseen) == n {
		return 1, nil // all unseen (as after an import): nothing to read
	}
	var found, first uint32
	for hi := v.count(); hi > 0 && found < unseen; hi = max(0, hi-fetchBatch) {
		err := v.walk([]span{{max(0, hi-fetchBatch), hi}}, fetchBatch, func(batch []msgRef) error {
			msgs, err := s.messages(batch)
			for i := len(msgs) - 1; i >= 0; i-- {
				if !msgs[i].HasFlag(store.FlagSeen) && msgs[i].UID >= batch[0].uid && msgs[i].UID <= batch[len(batch)-1].uid {
					found++
					first = msgs[i].UID
				}
			}
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	if first == 0 {
		return 0, nil
	}
	return v.seqOf(first), nil
}

// Unselect implements imapserver.Session (CLOSE and UNSELECT, RFC 9051
// §6.4.2, §6.4.3).
func (s *session) Unselect() error {
	s.unselect()
	return nil
}

func (s *session) unselect() {
	s.selMu.Lock()
	defer s.selMu.Unlock()
	if s.sel != nil {
		s.watch.close(s.sel)
		s.sel, s.saved, s.readOnly = nil, nil, false
	}
}

// Store implements imapserver.Session (RFC 9051 §6.4.6).
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	if s.readOnly {
		return errReadOnly
	}
	refs := s.sel.resolve(numSet, s.saved)
	if len(refs) == 0 {
		return nil
	}
	var op store.FlagOp
	switch flags.Op {
	case imap.StoreFlagsAdd:
		op = store.FlagsAdd
	case imap.StoreFlagsDel:
		op = store.FlagsRemove
	default:
		op = store.FlagsSet
	}
	list := make([]string, 0, len(flags.Flags))
	for _, f := range flags.Flags {
		list = append(list, string(f))
	}
	if err := checkFlags(list); err != nil {
		return err
	}
	res, err := s.srv.opts.Store.StoreFlags(s.ctx, s.user.ID, s.sel.mailboxID, uidList(refs), op, list, store.StoreFlagsOptions{})
	if err != nil {
		return s.fail("store", err)
	}
	if flags.Silent {
		return nil
	}
	_, isUID := numSet.(imap.UIDSet)
	written := make([]uint32, 0, len(res.Messages))
	defer func() { s.sel.noteReported(written) }()
	for i := range res.Messages {
		m := &res.Messages[i]
		seq := s.sel.seqOf(m.UID)
		if seq == 0 {
			continue
		}
		rw := w.CreateMessage(seq)
		if isUID {
			rw.WriteUID(imap.UID(m.UID))
		}
		rw.WriteFlags(s.sel.withRecent(m.UID, m.Flags))
		if err := rw.Close(); err != nil {
			return err
		}
		written = append(written, m.UID)
	}
	return nil
}

// Copy implements imapserver.Session (RFC 9051 §6.4.7, COPYUID from RFC
// 4315).
func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	refs := s.sel.resolve(numSet, s.saved)
	if len(refs) == 0 {
		return nil, nil
	}
	res, err := s.srv.opts.Store.Copy(s.ctx, s.user.ID, s.sel.mailboxID, uidList(refs), dest)
	if err != nil {
		return nil, s.failMailbox("copy", err, errTryCreate)
	}
	return copyData(res), nil
}

// Move implements imapserver.SessionMove (RFC 6851). It writes COPYUID
// only: the EXPUNGE responses come from the view at the end of the
// command, like every other expunge (writing them here as well would send
// them twice, the bug of go-imap's reference backend).
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	if s.readOnly {
		return errReadOnly
	}
	refs := s.sel.resolve(numSet, s.saved)
	if len(refs) == 0 {
		return nil
	}
	res, err := s.srv.opts.Store.Move(s.ctx, s.user.ID, s.sel.mailboxID, uidList(refs), dest)
	if err != nil {
		return s.failMailbox("move", err, errTryCreate)
	}
	if data := copyData(res); data != nil {
		return w.WriteCopyData(data)
	}
	return nil
}

func copyData(res *store.CopyResult) *imap.CopyData {
	if len(res.SrcUIDs) == 0 {
		return nil
	}
	data := &imap.CopyData{UIDValidity: res.UIDValidity}
	for i := range res.SrcUIDs {
		data.SourceUIDs.AddNum(imap.UID(res.SrcUIDs[i]))
		data.DestUIDs.AddNum(imap.UID(res.DstUIDs[i]))
	}
	return data
}

// Expunge implements imapserver.Session: EXPUNGE, UID EXPUNGE (RFC 4315)
// and the silent expunge of CLOSE. The EXPUNGE responses are written by
// the view when the command ends (they arrive through the store's events
// like anybody else's).
func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	// CLOSE passes a writer without a connection (RFC 9051 §6.4.2: no
	// untagged EXPUNGE, and nothing is removed after EXAMINE).
	closing := *w == (imapserver.ExpungeWriter{})
	if s.readOnly {
		if closing {
			return nil
		}
		return errReadOnly
	}
	opts := store.ExpungeOptions{OnlyDeleted: true}
	if uids != nil {
		refs := s.sel.resolve(*uids, s.saved)
		if len(refs) == 0 {
			return nil
		}
		opts.UIDs = uidList(refs)
	}
	_, err := s.srv.opts.Store.Expunge(s.ctx, s.user.ID, s.sel.mailboxID, opts)
	return s.fail("expunge", err)
}

// Append implements imapserver.Session (RFC 9051 §6.3.12, APPENDUID from
// RFC 4315). The literal is read completely before the store is asked to
// do anything: reading it is network I/O.
//
// A literal shorter than announced stores nothing (RFC 9051 §4.3: a
// literal is exactly its octet count). go-imap v2.0.0-beta.8 ends a literal
// cut short by FIN or TLS close_notify with io.EOF, as if it were whole,
// so the octets received are counted here against the announced size; the
// count would still be needed if the library returned io.ErrUnexpectedEOF.
func (s *session) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	lit := &countingReader{r: r}
	read := store.ReadBody // bare LF becomes CRLF (RFC 9051 §6.3.12: the message is in RFC 5322 form)
	if g := guardOf(s.conn.NetConn()); g != nil && g.appendWasBinary() {
		// literal8: binary content, kept octet for octet (RFC 3516 §4.4);
		// BINARY[] then answers what was sent (fetchbinary.go).
		read = store.ReadBodyExact
	}
	body, err := read(lit, s.srv.opts.MaxMessageBytes)
	ackNow(s.conn.NetConn()) // the CRLF after the literal may wait for this ACK (quickack.go)
	switch {
	case errors.Is(err, store.ErrTooLarge):
		return nil, errTooBig
	case err == nil && lit.n != r.Size(), errors.Is(err, io.ErrUnexpectedEOF), err != nil && isDisconnect(err):
		// The client is gone (or lied about the size): nobody reads this.
		s.srv.log.Info("imap append cut short", "remote", s.remote, "announced", r.Size(), "received", lit.n)
		return nil, errLiteralShort
	case err != nil:
		return nil, s.fail("append", err)
	}
	opts := store.AppendOptions{InternalDate: options.Time}
	for _, f := range options.Flags {
		opts.Flags = append(opts.Flags, string(f))
	}
	if err := checkFlags(opts.Flags); err != nil {
		return nil, err
	}
	// Into the mailbox this IMAP4rev1 session has selected read-write:
	// the session is the first to be told of the message, so it claims
	// it as \Recent in the APPEND's own transaction (recent.go).
	s.selMu.Lock()
	sel := s.sel
	s.selMu.Unlock()
	if sel != nil && !s.readOnly && s.usesRecent() {
		opts.ClaimRecentIn = sel.mailboxID
	}
	res, err := s.srv.opts.Store.Append(s.ctx, s.user.ID, mailbox, body, opts)
	if err != nil {
		return nil, s.failMailbox("append", err, errTryCreate)
	}
	if res.Recent {
		sel.addRecent(res.UID, res.UID)
	}
	return &imap.AppendData{UID: imap.UID(res.UID), UIDValidity: res.UIDValidity}, nil
}

// countingReader counts the octets read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Limits the store puts on flags (it refuses more with a plain error).
const (
	maxFlags   = 128
	maxFlagLen = 128
)

// checkFlags refuses what the store would refuse; the library has checked
// the syntax (RFC 9051 §9, flag).
func checkFlags(flags []string) error {
	bad := len(flags) > maxFlags
	for _, f := range flags {
		bad = bad || len(f) > maxFlagLen
	}
	if bad {
		return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeLimit, Text: "Too many or too long flags"}
	}
	return nil
}
