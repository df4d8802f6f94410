package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bulk import (mailserver import and migrate): many messages per
// operation, so per-message cost is the bbolt puts, not a commit.
//
// Idempotency: each imported message leaves a key in the account's
// "imported" bucket, mailbox ID ‖ the first 16 bytes of the SHA-256 of the
// stored octets (after ReadBody's CRLF normalisation, so the same message
// read from a Maildir with LF line ends and from an export with CRLF gets
// the same key). A message whose key exists in that mailbox is counted as
// a duplicate and not stored again. The key outlives the message: an
// imported message the user later expunges is not brought back by running
// the import again. Mailbox IDs are never reused, so the keys of a
// deleted mailbox are inert.
//
// Migration resume points: the account's "importstate" bucket maps a
// source (an opaque string chosen by the caller, e.g. the remote server,
// user and folder) to ImportState, written in the transaction that stores
// the messages it covers.

// ImportMessage is one message to import.
type ImportMessage struct {
	// Mailbox is the target mailbox's name; it is created (with its
	// missing parents) when absent.
	Mailbox string
	// SpecialUse (e.g. `\Sent`), if set, sends the message to the
	// account's mailbox with that attribute when there is one, else to
	// Mailbox, created with that attribute.
	SpecialUse   string
	Body         *Body
	Flags        []string
	InternalDate time.Time // zero: now
}

// ImportMailbox is a mailbox to have: Name, or, with SpecialUse, the
// account's mailbox with that attribute if there is one.
type ImportMailbox struct {
	Name, SpecialUse string
}

// ImportState is a migration's resume point for one source folder.
type ImportState struct {
	Source      string `json:"source"`
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
}

// ImportBatch is what one Import call stores, in one transaction.
type ImportBatch struct {
	// Mailboxes are created when missing, before the messages (a
	// source's empty folders keep their place in the hierarchy).
	Mailboxes []ImportMailbox
	Messages  []ImportMessage
	// States are recorded in the same transaction as Messages.
	States []ImportState
}

// ImportResult counts what Import did.
type ImportResult struct {
	Added      int   // messages stored
	Duplicates int   // messages already imported into their mailbox
	Bytes      int64 // size of the messages stored
}

// MaxImportBatchBytes bounds the message bytes of one ImportBatch, so a
// batch's transaction (and its dirty pages in memory) stays bounded.
const MaxImportBatchBytes = 32 << 20

// ErrImportBatchTooLarge: an ImportBatch over MaxImportBatchBytes (a
// single message larger than that is allowed alone).
var ErrImportBatchTooLarge = errors.New("store: import batch too large")

var (
	bucketImported    = []byte("imported")
	bucketImportState = []byte("importstate")
)

// importKey is a message's dedup key in its mailbox.
func importKey(mboxID uint64, sum *[sha256.Size]byte) []byte {
	return append(u64(mboxID), sum[:16]...)
}

// Import stores a batch of messages in a user's mailboxes in one durable
// transaction (shared with concurrent writers by the group commit), with
// every invariant of a delivery: bodies stored once with their reference
// counts, UIDs ascending from UIDNEXT, mailbox counters, usage, quota,
// the keyword sets, and one EventNew per mailbox for live sessions. It
// fails, storing nothing, with ErrOverQuota if the new messages do not fit
// the quota, ErrTooManyKeywords, or an invalid mailbox name or flag.
func (s *Store) Import(ctx context.Context, userID uint64, batch *ImportBatch) (*ImportResult, error) {
	type prepared struct {
		name, use string
		sum       [sha256.Size]byte
		date      int64
		flags     flagSet
	}
	canonUse := func(name, specialUse string) (string, string, error) {
		canon, err := CanonicalMailboxName(name)
		if err != nil {
			return "", "", err
		}
		if specialUse == "" {
			return canon, "", nil
		}
		for _, su := range SpecialUses {
			if strings.EqualFold(su, specialUse) {
				return canon, su, nil
			}
		}
		return "", "", fmt.Errorf("store: unknown special use %q", specialUse)
	}
	boxes := make([]ImportMailbox, len(batch.Mailboxes))
	for i, mb := range batch.Mailboxes {
		var err error
		if boxes[i].Name, boxes[i].SpecialUse, err = canonUse(mb.Name, mb.SpecialUse); err != nil {
			return nil, err
		}
	}
	preps := make([]prepared, len(batch.Messages))
	var total int64
	now := time.Now()
	for i, m := range batch.Messages {
		if m.Body == nil {
			return nil, fmt.Errorf("store: import message %d without body", i)
		}
		if err := validFlags(m.Flags); err != nil {
			return nil, fmt.Errorf("import message %d: %w", i, err)
		}
		canon, use, err := canonUse(m.Mailbox, m.SpecialUse)
		if err != nil {
			return nil, err
		}
		p := &preps[i]
		p.name, p.use, p.flags = canon, use, newFlagSet(m.Flags)
		if len(p.flags.keywords) > 255 {
			return nil, fmt.Errorf("store: import message %d: too many keywords", i)
		}
		h := sha256.New()
		for _, c := range m.Body.chunks() {
			h.Write(c)
		}
		h.Sum(p.sum[:0])
		d := m.InternalDate
		if d.IsZero() {
			d = now
		}
		p.date = d.UnixNano()
		total += m.Body.Size()
	}
	if total > MaxImportBatchBytes && len(batch.Messages) > 1 {
		return nil, ErrImportBatchTooLarge
	}
	var res *ImportResult
	err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		res = &ImportResult{}
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		imported, err := acct.CreateBucketIfNotExists(bucketImported)
		if err != nil {
			return err
		}
		// Mailboxes touched by the batch, written back once at the end.
		type touched struct {
			rec *mailboxRecord
			ev  *Event
		}
		var order []*touched
		byName := map[string]*touched{}
		resolve := func(name, use string) (*touched, error) {
			key := use + "\x00" + name
			if t := byName[key]; t != nil {
				return t, nil
			}
			var rec *mailboxRecord
			if use != "" {
				if rec, err = mailboxForDelivery(acct, "", use); err != nil && !errors.Is(err, ErrNoSuchMailbox) && !errors.Is(err, ErrInvalidName) {
					return nil, err
				}
			}
			if rec != nil {
				for _, t := range order { // the same mailbox reached by name
					if t.rec.ID == rec.ID {
						byName[key] = t
						return t, nil
					}
				}
			}
			if rec == nil {
				if rec, err = getMailboxByName(acct, name); errors.Is(err, ErrNoSuchMailbox) {
					rec, err = createMailboxPath(tx, acct, userID, name, use, ch)
				}
				if err != nil {
					return nil, err
				}
			}
			for _, t := range order {
				if t.rec.ID == rec.ID {
					byName[key] = t
					return t, nil
				}
			}
			t := &touched{rec: rec}
			order = append(order, t)
			byName[key] = t
			return t, nil
		}
		for _, mb := range boxes {
			if _, err := resolve(mb.Name, mb.SpecialUse); err != nil {
				return err
			}
		}
		var added, count int64
		for i, m := range batch.Messages {
			p := &preps[i]
			t, err := resolve(p.name, p.use)
			if err != nil {
				return err
			}
			k := importKey(t.rec.ID, &p.sum)
			if imported.Get(k) != nil {
				res.Duplicates++
				continue
			}
			if t.ev == nil {
				t.rec.HighestModSeq++ // one modseq for the batch's messages (RFC 7162 §3.1.1)
				t.ev = &Event{Kind: EventNew, UserID: userID, MailboxID: t.rec.ID, Mailbox: t.rec.Name}
			}
			id, err := putBody(tx, m.Body, 1)
			if err != nil {
				return err
			}
			size := m.Body.Size()
			rec := messageRecord{internalDate: p.date, size: size, bodyID: id, flags: p.flags}
			rec.flags.keywords = append([]string(nil), p.flags.keywords...)
			uid, err := insertMessage(acct, t.rec, &rec)
			if err != nil {
				return err
			}
			if err := imported.Put(k, u32(uid)); err != nil {
				return err
			}
			t.ev.UIDs = append(t.ev.UIDs, uid)
			added += size
			count++
		}
		if count > 0 {
			q, err := s.quotaOf(tx, userID)
			if err != nil {
				return err
			}
			if err := checkQuota(q, getUsage(acct), added, count); err != nil {
				if errors.Is(err, ErrExceedsQuota) {
					err = ErrOverQuota
				}
				return fmt.Errorf("import of %d messages (%d bytes): %w", count, added, err)
			}
			if err := addUsage(acct, added, count); err != nil {
				return err
			}
		}
		for _, t := range order {
			if t.ev == nil {
				continue // only duplicates: the mailbox is unchanged
			}
			if err := putMailbox(acct, t.rec); err != nil {
				return err
			}
			t.ev.ModSeq, t.ev.Messages, t.ev.Keywords = t.rec.HighestModSeq, t.rec.Messages, t.rec.takeNewKeywords()
			ch.emit(*t.ev)
		}
		if len(batch.States) > 0 {
			states, err := acct.CreateBucketIfNotExists(bucketImportState)
			if err != nil {
				return err
			}
			for _, st := range batch.States {
				v, err := json.Marshal(st)
				if err != nil {
					return err
				}
				if err := states.Put([]byte(st.Source), v); err != nil {
					return err
				}
			}
		}
		res.Added, res.Bytes = int(count), added
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// createMailboxPath creates name and its missing parents (as
// CreateMailbox does), the last with specialUse.
func createMailboxPath(tx *bolt.Tx, acct *bolt.Bucket, userID uint64, name, specialUse string, ch *changes) (*mailboxRecord, error) {
	levels := strings.Split(name, string(Delimiter))
	for i := 1; i < len(levels); i++ {
		parent := strings.Join(levels[:i], string(Delimiter))
		if acct.Bucket([]byte("mboxnames")).Get([]byte(parent)) == nil {
			if _, err := createMailbox(tx, acct, userID, parent, "", ch); err != nil {
				return nil, err
			}
		}
	}
	r, err := createMailbox(tx, acct, userID, name, specialUse, ch)
	if err != nil {
		return nil, err
	}
	if err := acct.Bucket([]byte("subs")).Put([]byte(name), nil); err != nil {
		return nil, err
	}
	return r, nil
}

// ImportStates returns the user's migration resume points, by source.
func (s *Store) ImportStates(ctx context.Context, userID uint64) (map[string]ImportState, error) {
	out := map[string]ImportState{}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		b := acct.Bucket(bucketImportState)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var st ImportState
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("import state %q: %w", k, err)
			}
			out[string(k)] = st
			return nil
		})
	})
	return out, err
}

// ImportBody makes a Body of a whole message already in memory, turning
// bare LF into CRLF as ReadBody does, in chunks allocated at their exact
// size (ReadBody, made for streams of unknown length, gives a message
// over 8 KiB a whole ChunkSize buffer: for a bulk import of 10 KiB
// messages that is six times the memory). raw is not retained.
func ImportBody(raw []byte) *Body {
	bare := 0
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			break
		}
		if i+j == 0 || raw[i+j-1] != '\r' {
			bare++
		}
		i += j + 1
	}
	size := len(raw) + bare
	b := &Body{size: int64(size)}
	if size == 0 {
		return b
	}
	buf := make([]byte, 0, size)
	if bare == 0 {
		buf = append(buf, raw...)
	} else {
		for i := 0; i < len(raw); {
			j := bytes.IndexByte(raw[i:], '\n')
			if j < 0 {
				buf = append(buf, raw[i:]...)
				break
			}
			buf = append(buf, raw[i:i+j]...)
			if i+j == 0 || raw[i+j-1] != '\r' {
				buf = append(buf, '\r')
			}
			buf = append(buf, '\n')
			i += j + 1
		}
	}
	for len(buf) > 0 {
		n := min(len(buf), ChunkSize)
		b.parts = append(b.parts, buf[:n:n])
		buf = buf[n:]
	}
	return b
}
