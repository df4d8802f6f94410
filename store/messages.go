package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// insertMessage adds rec to mailbox m (whose record the caller writes back
// with putMailbox) and returns its UID. rec.modSeq is set here.
func insertMessage(acct *bolt.Bucket, m *mailboxRecord, rec *messageRecord) (uint32, error) {
	if m.UIDNext == 0 || m.UIDNext == ^uint32(0) {
		return 0, fmt.Errorf("mailbox %q: %w", m.Name, ErrUIDSpaceExhaust)
	}
	msgs := acct.Bucket(msgBucketKey(m.ID))
	msgs.FillPercent = 0.95 // UIDs only grow
	if err := m.noteKeywords(rec.flags.keywords); err != nil {
		return 0, err
	}
	uid := m.UIDNext
	m.UIDNext++
	rec.modSeq = m.HighestModSeq
	if err := msgs.Put(u32(uid), rec.encode()); err != nil {
		return 0, err
	}
	m.Messages++
	m.Recent++ // a new UID is above every claimed one (recent.go)
	m.Size += rec.size
	if rec.flags.sys&bitSeen == 0 {
		m.Unseen++
	}
	if rec.flags.sys&bitDeleted != 0 {
		m.Deleted++
	}
	return uid, nil
}

// removeMessage takes uid out of m, adjusting counters; the body reference
// is the caller's business.
func removeMessage(acct *bolt.Bucket, m *mailboxRecord, uid uint32, rec *messageRecord) error {
	if err := acct.Bucket(msgBucketKey(m.ID)).Delete(u32(uid)); err != nil {
		return err
	}
	m.Messages--
	if uid >= m.firstUnclaimed() && m.Recent > 0 {
		m.Recent--
	}
	m.Size -= rec.size
	if rec.flags.sys&bitSeen == 0 {
		m.Unseen--
	}
	if rec.flags.sys&bitDeleted != 0 {
		m.Deleted--
	}
	return nil
}

// dropMessages releases the bodies and usage of all messages of a mailbox
// (being deleted).
func dropMessages(tx *bolt.Tx, ch *changes, acct *bolt.Bucket, mboxID uint64) error {
	msgs := acct.Bucket(msgBucketKey(mboxID))
	if msgs == nil {
		return nil
	}
	var bytes, count int64
	c := msgs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		rec, err := decodeMessage(v)
		if err != nil {
			return fmt.Errorf("message %d: %w", be32(k), err)
		}
		if err := refBody(tx, ch, rec.bodyID, -1); err != nil {
			return err
		}
		bytes += rec.size
		count++
	}
	return addUsage(acct, -bytes, -count)
}

// AppendOptions are APPEND's optional arguments.
type AppendOptions struct {
	Flags        []string
	InternalDate time.Time // zero: now
	// ClaimRecentIn: see LocalDelivery.
	ClaimRecentIn uint64
}

// AppendResult identifies the appended message (RFC 4315 APPENDUID).
type AppendResult struct {
	MailboxID   uint64
	UIDValidity uint32
	UID         uint32
	Recent      bool // claimed as \Recent (AppendOptions.ClaimRecentIn)
}

// Append stores body in the named mailbox, within the user's quota.
func (s *Store) Append(ctx context.Context, userID uint64, mailbox string, body *Body, opts AppendOptions) (*AppendResult, error) {
	if err := validFlags(opts.Flags); err != nil {
		return nil, err
	}
	res, err := s.Submit(ctx, &Submission{
		Body:         body,
		InternalDate: opts.InternalDate,
		Local:        []LocalDelivery{{UserID: userID, Mailbox: mailbox, Flags: opts.Flags, ClaimRecentIn: opts.ClaimRecentIn}},
	})
	if err != nil {
		return nil, err
	}
	d := res.Local[0]
	if d.Err != nil {
		return nil, d.Err
	}
	return &AppendResult{MailboxID: d.MailboxID, UIDValidity: d.UIDValidity, UID: d.UID, Recent: d.Recent}, nil
}

// ListMessages returns the messages with lo <= UID <= hi (hi 0: no upper bound).
func (s *Store) ListMessages(ctx context.Context, userID, mailboxID uint64, lo, hi uint32) ([]Message, error) {
	var out []Message
	err := s.view(ctx, func(tx *bolt.Tx) error {
		msgs, err := messagesBucket(tx, userID, mailboxID)
		if err != nil {
			return err
		}
		if hi == 0 {
			hi = ^uint32(0)
		}
		c := msgs.Cursor()
		for k, v := c.Seek(u32(lo)); k != nil && be32(k) <= hi; k, v = c.Next() {
			rec, err := decodeMessage(v)
			if err != nil {
				return fmt.Errorf("message %d: %w", be32(k), err)
			}
			out = append(out, rec.message(be32(k)))
		}
		return nil
	})
	return out, err
}

// GetMessages returns the messages of the given UIDs that exist, in UID order.
func (s *Store) GetMessages(ctx context.Context, userID, mailboxID uint64, uids []uint32) ([]Message, error) {
	uids = sortedUnique(uids)
	out := make([]Message, 0, len(uids))
	err := s.view(ctx, func(tx *bolt.Tx) error {
		msgs, err := messagesBucket(tx, userID, mailboxID)
		if err != nil {
			return err
		}
		for _, uid := range uids {
			v := msgs.Get(u32(uid))
			if v == nil {
				continue
			}
			rec, err := decodeMessage(v)
			if err != nil {
				return fmt.Errorf("message %d: %w", uid, err)
			}
			out = append(out, rec.message(uid))
		}
		return nil
	})
	return out, err
}

// UIDs lists the UIDs of a mailbox, ascending (their index + 1 is the
// message sequence number).
func (s *Store) UIDs(ctx context.Context, userID, mailboxID uint64) ([]uint32, error) {
	var out []uint32
	err := s.view(ctx, func(tx *bolt.Tx) error {
		msgs, err := messagesBucket(tx, userID, mailboxID)
		if err != nil {
			return err
		}
		out = make([]uint32, 0, msgs.Stats().KeyN)
		c := msgs.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			out = append(out, be32(k))
		}
		return nil
	})
	return out, err
}

// MessageBySeq returns the seq'th message (1-based) of a mailbox.
func (s *Store) MessageBySeq(ctx context.Context, userID, mailboxID uint64, seq uint32) (*Message, error) {
	var out *Message
	err := s.view(ctx, func(tx *bolt.Tx) error {
		msgs, err := messagesBucket(tx, userID, mailboxID)
		if err != nil {
			return err
		}
		c := msgs.Cursor()
		n := uint32(1)
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if n == seq {
				rec, err := decodeMessage(v)
				if err != nil {
					return err
				}
				m := rec.message(be32(k))
				out = &m
				return nil
			}
			n++
		}
		return ErrNoSuchMessage
	})
	return out, err
}

func messagesBucket(tx *bolt.Tx, userID, mailboxID uint64) (*bolt.Bucket, error) {
	acct, err := account(tx, userID)
	if err != nil {
		return nil, err
	}
	msgs := acct.Bucket(msgBucketKey(mailboxID))
	if msgs == nil {
		return nil, ErrNoSuchMailbox
	}
	return msgs, nil
}

// mailboxTx finds a user's account bucket and one of their mailboxes.
func mailboxTx(tx *bolt.Tx, userID, mailboxID uint64) (*bolt.Bucket, *mailboxRecord, error) {
	acct, err := account(tx, userID)
	if err != nil {
		return nil, nil, err
	}
	m, err := getMailboxByID(acct, mailboxID)
	return acct, m, err
}

// sortedUnique returns uids ascending without duplicates: uids itself when
// it already is (the common case: a session's UID sets), else a sorted copy.
func sortedUnique(uids []uint32) []uint32 {
	strictly := true
	for i := 1; i < len(uids) && strictly; i++ {
		strictly = uids[i-1] < uids[i]
	}
	if strictly {
		return uids
	}
	out := slices.Clone(uids)
	slices.Sort(out)
	return slices.Compact(out)
}

// FlagOp says how StoreFlags changes flags (RFC 9051 §6.4.6).
type FlagOp int

const (
	FlagsSet FlagOp = iota
	FlagsAdd
	FlagsRemove
)

// StoreFlagsOptions: UnchangedSince > 0 applies RFC 7162 CONDSTORE: a
// message whose modseq is higher is left alone and reported in Modified.
type StoreFlagsOptions struct {
	UnchangedSince uint64
}

// StoreFlagsResult lists every addressed message that exists, with its
// flags after the change, and the UIDs CONDSTORE refused.
type StoreFlagsResult struct {
	Messages []Message
	Modified []uint32
}

func validFlags(flags []string) error {
	if len(flags) > 128 {
		return fmt.Errorf("store: too many flags")
	}
	for _, f := range flags {
		if f == "" || len(f) > 128 {
			return fmt.Errorf("store: invalid flag %q", f)
		}
		for _, c := range []byte(f) {
			// RFC 9051 atom-specials, minus the leading backslash.
			if c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' || c == ']' {
				return fmt.Errorf("store: invalid flag %q", f)
			}
		}
	}
	return nil
}

// StoreFlags changes the flags of the given messages.
func (s *Store) StoreFlags(ctx context.Context, userID, mailboxID uint64, uids []uint32, op FlagOp, flags []string, opts StoreFlagsOptions) (*StoreFlagsResult, error) {
	if err := validFlags(flags); err != nil {
		return nil, err
	}
	uids = sortedUnique(uids)
	change := newFlagSet(flags)
	var res *StoreFlagsResult
	err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		res = &StoreFlagsResult{}
		acct, m, err := mailboxTx(tx, userID, mailboxID)
		if err != nil {
			return err
		}
		msgs := acct.Bucket(msgBucketKey(m.ID))
		ev := Event{Kind: EventFlags, UserID: userID, MailboxID: m.ID, Mailbox: m.Name}
		modseq := m.HighestModSeq + 1
		for _, uid := range uids {
			v := msgs.Get(u32(uid))
			if v == nil {
				continue
			}
			rec, err := decodeMessage(v)
			if err != nil {
				return fmt.Errorf("message %d: %w", uid, err)
			}
			if opts.UnchangedSince > 0 && rec.modSeq > opts.UnchangedSince {
				res.Modified = append(res.Modified, uid)
				continue
			}
			before := rec.flags
			before.keywords = slices.Clone(before.keywords)
			switch op {
			case FlagsSet:
				rec.flags = flagSet{sys: change.sys, keywords: slices.Clone(change.keywords)}
			case FlagsAdd:
				rec.flags.sys |= change.sys
				for _, k := range change.keywords {
					rec.flags.add(k)
				}
			case FlagsRemove:
				rec.flags.sys &^= change.sys
				for _, k := range change.keywords {
					rec.flags.remove(k)
				}
			}
			if len(rec.flags.keywords) > 255 {
				return fmt.Errorf("store: too many keywords on message %d", uid)
			}
			if !rec.flags.equal(&before) {
				rec.modSeq = modseq
				if err := msgs.Put(u32(uid), rec.encode()); err != nil {
					return err
				}
				m.Unseen += seenDelta(before.sys, rec.flags.sys, bitSeen, true)
				m.Deleted += seenDelta(before.sys, rec.flags.sys, bitDeleted, false)
				ev.UIDs = append(ev.UIDs, uid)
				ev.Flags = append(ev.Flags, rec.flags.list())
			}
			res.Messages = append(res.Messages, rec.message(uid))
		}
		if len(ev.UIDs) == 0 {
			return nil
		}
		if op != FlagsRemove {
			if err := m.noteKeywords(change.keywords); err != nil {
				return err
			}
			ev.Keywords = m.takeNewKeywords()
		}
		m.HighestModSeq = modseq
		if err := putMailbox(acct, m); err != nil {
			return err
		}
		ev.ModSeq, ev.Messages = m.HighestModSeq, m.Messages
		ch.emit(ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// seenDelta is the change of a counter that counts messages with (or,
// with inverse, without) bit.
func seenDelta(before, after, bit uint8, inverse bool) uint32 {
	had, has := before&bit != 0, after&bit != 0
	if inverse {
		had, has = !had, !has
	}
	switch {
	case !had && has:
		return 1
	case had && !has:
		return ^uint32(0) // -1
	}
	return 0
}

// ExpungeOptions select what Expunge removes.
type ExpungeOptions struct {
	// UIDs limits the expunge to these messages (nil: all messages).
	UIDs []uint32
	// OnlyDeleted removes only messages flagged \Deleted (IMAP EXPUNGE and
	// UID EXPUNGE); POP3 removes the messages it was told to, flagged or not.
	OnlyDeleted bool
}

// Expunge removes messages and returns their UIDs, ascending.
func (s *Store) Expunge(ctx context.Context, userID, mailboxID uint64, opts ExpungeOptions) ([]uint32, error) {
	var want []uint32
	if opts.UIDs != nil {
		want = sortedUnique(opts.UIDs)
	}
	var removed []uint32
	err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		removed = nil
		acct, m, err := mailboxTx(tx, userID, mailboxID)
		if err != nil {
			return err
		}
		msgs := acct.Bucket(msgBucketKey(m.ID))
		type victim struct {
			uid uint32
			rec messageRecord
		}
		var victims []victim
		consider := func(k, v []byte) error {
			rec, err := decodeMessage(v)
			if err != nil {
				return fmt.Errorf("message %d: %w", be32(k), err)
			}
			if opts.OnlyDeleted && rec.flags.sys&bitDeleted == 0 {
				return nil
			}
			victims = append(victims, victim{be32(k), rec})
			return nil
		}
		if want == nil {
			c := msgs.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if err := consider(k, v); err != nil {
					return err
				}
			}
		} else {
			for _, uid := range want {
				if v := msgs.Get(u32(uid)); v != nil {
					if err := consider(u32(uid), v); err != nil {
						return err
					}
				}
			}
		}
		if len(victims) == 0 {
			return nil
		}
		var bytes int64
		for _, v := range victims {
			if err := removeMessage(acct, m, v.uid, &v.rec); err != nil {
				return err
			}
			if err := refBody(tx, ch, v.rec.bodyID, -1); err != nil {
				return err
			}
			bytes += v.rec.size
			removed = append(removed, v.uid)
		}
		if err := addUsage(acct, -bytes, -int64(len(victims))); err != nil {
			return err
		}
		m.HighestModSeq++
		if err := putMailbox(acct, m); err != nil {
			return err
		}
		ch.emit(Event{Kind: EventExpunge, UserID: userID, MailboxID: m.ID, Mailbox: m.Name,
			UIDs: removed, ModSeq: m.HighestModSeq, Messages: m.Messages})
		return nil
	})
	return removed, err
}

// CopyResult maps source to destination UIDs (RFC 4315 COPYUID).
type CopyResult struct {
	MailboxID   uint64
	UIDValidity uint32
	SrcUIDs     []uint32
	DstUIDs     []uint32
}

// Copy copies messages into the named mailbox; the bodies are shared.
// It fails with ErrOverQuota, copying nothing, if the copies do not fit.
func (s *Store) Copy(ctx context.Context, userID, srcID uint64, uids []uint32, dest string) (*CopyResult, error) {
	return s.copyOrMove(ctx, userID, srcID, uids, dest, false)
}

// Move moves messages into the named mailbox (RFC 6851): one transaction
// adds them to the destination and expunges them from the source.
func (s *Store) Move(ctx context.Context, userID, srcID uint64, uids []uint32, dest string) (*CopyResult, error) {
	return s.copyOrMove(ctx, userID, srcID, uids, dest, true)
}

func (s *Store) copyOrMove(ctx context.Context, userID, srcID uint64, uids []uint32, dest string, move bool) (*CopyResult, error) {
	uids = sortedUnique(uids)
	var res *CopyResult
	err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		acct, src, err := mailboxTx(tx, userID, srcID)
		if err != nil {
			return err
		}
		dst, err := getMailboxByName(acct, dest)
		if err != nil {
			return err
		}
		if dst.ID == src.ID {
			dst = src
		}
		if move {
			res, err = moveMessages(tx, acct, userID, src, dst, uids, ch)
			return err
		}
		res, err = s.copyMessages(tx, acct, userID, src, dst, uids, ch)
		return err
	})
	return res, err
}

func (s *Store) copyMessages(tx *bolt.Tx, acct *bolt.Bucket, userID uint64, src, dst *mailboxRecord, uids []uint32, ch *changes) (*CopyResult, error) {
	res := &CopyResult{MailboxID: dst.ID, UIDValidity: dst.UIDValidity}
	recs, found, err := existingMessages(acct.Bucket(msgBucketKey(src.ID)), uids)
	if err != nil || len(recs) == 0 {
		return res, err
	}
	res.SrcUIDs = found
	var bytes int64
	for _, rec := range recs {
		bytes += rec.size
	}
	q, err := s.quotaOf(tx, userID)
	if err != nil {
		return nil, err
	}
	if err := checkQuota(q, getUsage(acct), bytes, int64(len(recs))); err != nil {
		return nil, err
	}
	dst.HighestModSeq++
	for i := range recs {
		uid, err := insertMessage(acct, dst, &recs[i])
		if err != nil {
			return nil, err
		}
		if err := refBody(tx, ch, recs[i].bodyID, 1); err != nil {
			return nil, err
		}
		res.DstUIDs = append(res.DstUIDs, uid)
	}
	if err := addUsage(acct, bytes, int64(len(recs))); err != nil {
		return nil, err
	}
	if err := putMailbox(acct, dst); err != nil {
		return nil, err
	}
	ch.emit(Event{Kind: EventNew, UserID: userID, MailboxID: dst.ID, Mailbox: dst.Name,
		UIDs: res.DstUIDs, ModSeq: dst.HighestModSeq, Messages: dst.Messages, Keywords: dst.takeNewKeywords(),
		SpecialUse: dst.SpecialUse, SourceMailboxID: src.ID, SourceSpecialUse: src.SpecialUse})
	return res, nil
}

// moveMessages inserts into dst first, then expunges from src; when src and
// dst are the same mailbox the messages get new UIDs.
func moveMessages(tx *bolt.Tx, acct *bolt.Bucket, userID uint64, src, dst *mailboxRecord, uids []uint32, ch *changes) (*CopyResult, error) {
	res := &CopyResult{MailboxID: dst.ID, UIDValidity: dst.UIDValidity}
	recs, found, err := existingMessages(acct.Bucket(msgBucketKey(src.ID)), uids)
	if err != nil || len(recs) == 0 {
		return res, err
	}
	res.SrcUIDs = found
	for i, uid := range res.SrcUIDs {
		if err := removeMessage(acct, src, uid, &recs[i]); err != nil {
			return nil, err
		}
	}
	src.HighestModSeq++
	if dst != src {
		dst.HighestModSeq++
	}
	for i := range recs {
		uid, err := insertMessage(acct, dst, &recs[i])
		if err != nil {
			return nil, err
		}
		res.DstUIDs = append(res.DstUIDs, uid)
	}
	if err := putMailbox(acct, src); err != nil {
		return nil, err
	}
	if dst != src {
		if err := putMailbox(acct, dst); err != nil {
			return nil, err
		}
	}
	// The destination learns of its new messages before the source loses
	// them, so a client watching both never sees the message nowhere.
	ch.emit(Event{Kind: EventNew, UserID: userID, MailboxID: dst.ID, Mailbox: dst.Name,
		UIDs: res.DstUIDs, ModSeq: dst.HighestModSeq, Messages: dst.Messages, Keywords: dst.takeNewKeywords(),
		SpecialUse: dst.SpecialUse, SourceMailboxID: src.ID, SourceSpecialUse: src.SpecialUse})
	ch.emit(Event{Kind: EventExpunge, UserID: userID, MailboxID: src.ID, Mailbox: src.Name,
		UIDs: res.SrcUIDs, ModSeq: src.HighestModSeq, Messages: src.Messages})
	return res, nil
}

// existingMessages decodes the messages of uids that exist in msgs, in
// order, and returns them with their UIDs.
func existingMessages(msgs *bolt.Bucket, uids []uint32) ([]messageRecord, []uint32, error) {
	var recs []messageRecord
	var found []uint32
	for _, uid := range uids {
		v := msgs.Get(u32(uid))
		if v == nil {
			continue
		}
		rec, err := decodeMessage(v)
		if err != nil {
			return nil, nil, fmt.Errorf("message %d: %w", uid, err)
		}
		recs = append(recs, rec)
		found = append(found, uid)
	}
	return recs, found, nil
}
