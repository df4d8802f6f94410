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
}

func (s *Submission) validate() error {
	if s.Body == nil {
		return errors.New("store: submission without body")
	}
	for _, d := range s.Local {
		if err := validFlags(d.Flags); err != nil {
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
	if err := sub.validate(); err != nil {
		return nil, err
	}
	date := sub.InternalDate
	if date.IsZero() {
		date = time.Now()
	}
	var res *SubmitResult
	err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		var err error
		res, err = s.submitTx(tx, sub, date, ch)
		return err
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
		if err != nil {
			r.Err = err
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
