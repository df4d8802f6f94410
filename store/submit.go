package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// LocalDelivery puts a copy of a submitted message in a user's mailbox.
type LocalDelivery struct {
	UserID  uint64
	Mailbox string // "" means INBOX
	// SpecialUse, if set (e.g. `\Junk`), puts the copy in the user's
	// mailbox with that RFC 6154 attribute instead, or in Mailbox when
	// the user has none (renamed mailboxes keep their attribute).
	SpecialUse string
	Flags      []string
	// ClaimRecentIn, if it is the ID of the mailbox the copy lands in,
	// claims the new message as \Recent (recent.go) in the same
	// transaction, when no older message is unclaimed: the appending
	// session has that mailbox selected and is the first to be told.
	ClaimRecentIn uint64
	// Create makes Mailbox, with its missing parent levels, when it does
	// not exist, and subscribes it (Sieve's fileinto :create, RFC 5490
	// §3.2), in the same transaction.
	Create bool
	// OrInbox delivers the copy to INBOX when Mailbox does not exist (and
	// is not created) or is not a valid name, rather than failing it: a
	// Sieve fileinto whose target is missing keeps the message
	// (RFC 5228 §2.10.6: a failed action must not lose mail). A copy that
	// lands in a mailbox this submission already delivered the same
	// user's copy to is not stored twice (RFC 5228 §4.1).
	OrInbox bool
}

// Submission is one accepted message: its local copies and, if it has
// remote recipients, its outbound queue entry. Submit stores it in one
// durable transaction, so either every part is stored or none.
type Submission struct {
	Body         *Body
	InternalDate time.Time // zero: now
	Local        []LocalDelivery
	// Outbound, if not nil, is queued for remote delivery; Submit sets its
	// ID, BodyID, Size and Created.
	Outbound *QueuedMessage
	// OutboundBody, if not nil, is the body queued for remote delivery
	// when it differs from the local copies' (which carry Return-Path).
	OutboundBody *Body
	// Also are further messages stored in the same transaction, each
	// with its own body: what filtering the message made (a Sieve
	// vacation reply, the DSN of a Sieve reject). A crash therefore never
	// keeps the message without them, or them without the message. They
	// may not have Also of their own.
	Also []*Submission
	// Vacation, if set, makes this submission (usually an Also) conditional: it
	// is stored only when the user's vacation memory has no unexpired
	// record for (Handle, Sender), and the record is written with it, in
	// the same transaction (vacation.go). So concurrent deliveries cannot
	// both reply, and a crash neither loses nor repeats a reply.
	Vacation *VacationMemory
}

// DeliveryResult is the outcome of one LocalDelivery.
type DeliveryResult struct {
	MailboxID   uint64
	UIDValidity uint32
	UID         uint32
	// Recent: the message was claimed as \Recent (ClaimRecentIn).
	Recent bool
	// Err is set when this copy was not stored: ErrOverQuota (or
	// ErrExceedsQuota), ErrNoSuchMailbox, ErrNotFound for a deleted user.
	// The other parts of the submission are stored all the same.
	Err error
}

// SubmitResult reports what Submit stored.
type SubmitResult struct {
	Local   []DeliveryResult // one per Submission.Local, same order
	QueueID uint64           // 0 if nothing was queued
	// Also has one result per Submission.Also, same order.
	Also []*SubmitResult
	// Suppressed: the submission had a Vacation memory condition that an
	// earlier reply still holds, so nothing of it was stored.
	Suppressed bool
}

// ValidFlag reports whether flag may be stored on a message (a system
// flag such as \Seen, or an IMAP keyword atom).
func ValidFlag(flag string) bool { return validFlags([]string{flag}) == nil }

func (s *Submission) validate() error {
	if s.Body == nil {
		return errors.New("store: submission without body")
	}
	for _, d := range s.Local {
		if err := validFlags(d.Flags); err != nil {
			return err
		}
	}
	if s.Vacation != nil {
		if err := s.Vacation.validate(); err != nil {
			return err
		}
	}
	return nil
}

// validateAll checks a top-level submission and its Also.
func (s *Submission) validateAll() error {
	if err := s.validate(); err != nil {
		return err
	}
	for _, a := range s.Also {
		if a == nil {
			return errors.New("store: nil submission in Also")
		}
		if len(a.Also) > 0 {
			return errors.New("store: nested Also")
		}
		if err := a.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Submit stores a message durably: copies in local mailboxes (each within
// its user's quota) and the outbound queue entry, all in one transaction.
// The body is stored once and shared by every copy. It returns after the
// commit is on disk.
func (s *Store) Submit(ctx context.Context, sub *Submission) (*SubmitResult, error) {
	if err := sub.validateAll(); err != nil {
		return nil, err
	}
	date := sub.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	var res *SubmitResult
	err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		var err error
		if res, err = s.submitAlsoTx(tx, sub, date, ch); err != nil {
			return err
		}
		for _, a := range sub.Also {
			ar, err := s.submitAlsoTx(tx, a, date, ch)
			if err != nil {
				return err
			}
			res.Also = append(res.Also, ar)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Store) submitTx(tx *bolt.Tx, sub *Submission, date time.Time, ch *changes) (*SubmitResult, error) {
	res := &SubmitResult{Local: make([]DeliveryResult, len(sub.Local))}
	var bodyID uint64
	refs := uint32(0)
	body := func() (uint64, error) {
		if bodyID == 0 {
			var err error
			if bodyID, err = putBody(tx, sub.Body, 1); err != nil {
				return 0, err
			}
		}
		refs++
		return bodyID, nil
	}
	size := sub.Body.Size()
	// The copy stored for each user and mailbox, by "user/mailbox" ID.
	stored := map[[2]uint64]int{}
	for i, d := range sub.Local {
		r := &res.Local[i]
		acct, err := account(tx, d.UserID)
		if err != nil {
			r.Err = err
			continue
		}
		name := d.Mailbox
		if name == "" {
			name = "INBOX"
		}
		m, err := mailboxForDelivery(acct, name, d.SpecialUse)
		if errors.Is(err, ErrNoSuchMailbox) && d.Create {
			m, err = createForDelivery(tx, acct, d.UserID, name, ch)
		}
		if d.OrInbox && (errors.Is(err, ErrNoSuchMailbox) || errors.Is(err, ErrInvalidName)) {
			m, err = getMailboxByName(acct, "INBOX")
		}
		if err != nil {
			r.Err = err
			continue
		}
		key := [2]uint64{d.UserID, m.ID}
		if j, ok := stored[key]; ok {
			*r = res.Local[j] // RFC 5228 §4.1: one copy per mailbox
			continue
		}
		q, err := s.quotaOf(tx, d.UserID)
		if err != nil {
			return nil, err
		}
		if err := checkQuota(q, getUsage(acct), size, 1); err != nil {
			r.Err = err
			continue
		}
		if err := m.fitsKeywords(d.Flags); err != nil {
			r.Err = err // this recipient only, before the body is referenced
			continue
		}
		id, err := body()
		if err != nil {
			return nil, err
		}
		m.HighestModSeq++
		rec := messageRecord{internalDate: date.UnixNano(), size: size, bodyID: id, flags: newFlagSet(d.Flags)}
		uid, err := insertMessage(acct, m, &rec)
		if err != nil {
			return nil, err
		}
		r.Recent = d.ClaimRecentIn == m.ID && m.claimOne(uid)
		if err := putMailbox(acct, m); err != nil {
			return nil, err
		}
		if err := addUsage(acct, size, 1); err != nil {
			return nil, err
		}
		r.MailboxID, r.UIDValidity, r.UID = m.ID, m.UIDValidity, uid
		stored[key] = i
		ch.emit(Event{Kind: EventNew, UserID: d.UserID, MailboxID: m.ID, Mailbox: m.Name,
			UIDs: []uint32{uid}, ModSeq: m.HighestModSeq, Messages: m.Messages, Keywords: m.takeNewKeywords()})
	}
	if sub.Outbound != nil {
		var id uint64
		var err error
		if sub.OutboundBody != nil {
			size = sub.OutboundBody.Size()
			id, err = putBody(tx, sub.OutboundBody, 1)
		} else {
			id, err = body()
		}
		if err != nil {
			return nil, err
		}
		qm := *sub.Outbound
		qm.BodyID, qm.Size, qm.Created = id, size, date.UTC()
		qid, err := putQueued(tx, &qm, true)
		if err != nil {
			return nil, err
		}
		res.QueueID = qid
	}
	if refs > 1 {
		if err := refBody(tx, ch, bodyID, int(refs)-1); err != nil {
			return nil, fmt.Errorf("store: body refs: %w", err)
		}
	}
	return res, nil
}

// createForDelivery creates the mailbox a LocalDelivery with Create names,
// with its missing parent levels (as CreateMailbox does), and subscribes
// it, so that clients listing subscribed folders see where mail went.
func createForDelivery(tx *bolt.Tx, acct *bolt.Bucket, userID uint64, name string, ch *changes) (*mailboxRecord, error) {
	canon, err := CanonicalMailboxName(name)
	if err != nil {
		return nil, err
	}
	levels := strings.Split(canon, string(Delimiter))
	for i := 1; i < len(levels); i++ {
		parent := strings.Join(levels[:i], string(Delimiter))
		if acct.Bucket([]byte("mboxnames")).Get([]byte(parent)) == nil {
			if _, err := createMailbox(tx, acct, userID, parent, "", ch); err != nil {
				return nil, err
			}
		}
	}
	r, err := createMailbox(tx, acct, userID, canon, "", ch)
	if err != nil {
		return nil, err
	}
	if err := acct.Bucket([]byte("subs")).Put([]byte(canon), nil); err != nil {
		return nil, err
	}
	return r, nil
}

// mailboxForDelivery finds the mailbox a LocalDelivery goes to: the first
// (lowest ID) mailbox with the special use, if one is asked for and the
// user has one, else the mailbox called name.
func mailboxForDelivery(acct *bolt.Bucket, name, specialUse string) (*mailboxRecord, error) {
	if specialUse != "" {
		var found *mailboxRecord
		err := acct.Bucket([]byte("mboxes")).ForEach(func(k, v []byte) error {
			if found != nil {
				return nil
			}
			var r mailboxRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("mailbox %d: %w", be64(k), err)
			}
			if strings.EqualFold(r.SpecialUse, specialUse) {
				found = &r
			}
			return nil
		})
		if err != nil || found != nil {
			return found, err
		}
	}
	return getMailboxByName(acct, name)
}
