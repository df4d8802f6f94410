package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RecipientState is where one recipient of a queued message stands.
type RecipientState string

const (
	RcptQueued    RecipientState = "queued"    // not tried yet
	RcptDeferred  RecipientState = "deferred"  // tried, temporary failure, will retry
	RcptDelivered RecipientState = "delivered" // accepted by the remote (2xx)
	RcptFailed    RecipientState = "failed"    // permanent failure or expired; bounced
)

// Pending reports whether the recipient still waits for delivery.
func (s RecipientState) Pending() bool { return s == RcptQueued || s == RcptDeferred }

// QueuedRecipient is one recipient of a queued message with its DSN
// parameters (RFC 3461) and delivery state.
type QueuedRecipient struct {
	Address      string         `json:"address"`
	Notify       []string       `json:"notify,omitempty"` // NEVER, SUCCESS, FAILURE, DELAY
	ORcpt        string         `json:"orcpt,omitempty"`  // "rfc822;addr"
	State        RecipientState `json:"state"`
	Attempts     int            `json:"attempts,omitempty"`
	NextAttempt  time.Time      `json:"next_attempt,omitzero"`
	LastAttempt  time.Time      `json:"last_attempt,omitzero"`
	LastCode     int            `json:"last_code,omitempty"`
	LastEnhanced string         `json:"last_enhanced,omitempty"` // e.g. "4.4.1"
	LastError    string         `json:"last_error,omitempty"`
	RemoteMTA    string         `json:"remote_mta,omitempty"`
	DelayWarned  bool           `json:"delay_warned,omitempty"`
}

// QueuedMessage is a message in the outbound queue.
type QueuedMessage struct {
	ID         uint64            `json:"id"`
	BodyID     uint64            `json:"body_id"`
	Size       int64             `json:"size"`
	Sender     string            `json:"sender"` // "" is the null sender <>
	EnvelopeID string            `json:"envid,omitempty"`
	Ret        string            `json:"ret,omitempty"` // FULL or HDRS (RFC 3461)
	SMTPUTF8   bool              `json:"smtputf8,omitempty"`
	Body8Bit   bool              `json:"body_8bit,omitempty"`
	Created    time.Time         `json:"created"`
	Recipients []QueuedRecipient `json:"recipients"`
	// Meta holds what the queue package wants to keep with the message
	// (e.g. the authenticated submitter); the store does not read it.
	Meta map[string]string `json:"meta,omitempty"`
}

// NextAttempt is the earliest next attempt of a pending recipient; false
// when none is pending.
func (m *QueuedMessage) NextAttempt() (time.Time, bool) {
	var t time.Time
	ok := false
	for _, r := range m.Recipients {
		if r.State.Pending() && (!ok || r.NextAttempt.Before(t)) {
			t, ok = r.NextAttempt, true
		}
	}
	return t, ok
}

// dueKey orders the due index by time. A zero time (never scheduled) or
// one before 1970 sorts first: due now.
func dueKey(t time.Time, id uint64) []byte {
	var ns uint64
	if !t.IsZero() && t.UnixNano() > 0 {
		ns = uint64(t.UnixNano())
	}
	return append(u64(ns), u64(id)...)
}

func getQueued(tx *bolt.Tx, id uint64) (*QueuedMessage, error) {
	v := tx.Bucket(bucketQueue).Get(u64(id))
	if v == nil {
		return nil, fmt.Errorf("queue entry %d: %w", id, ErrNotFound)
	}
	var m QueuedMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("queue entry %d: %w", id, err)
	}
	return &m, nil
}

// putQueued writes m (assigning an ID if isNew) and its due index entry.
func putQueued(tx *bolt.Tx, m *QueuedMessage, isNew bool) (uint64, error) {
	q := tx.Bucket(bucketQueue)
	if isNew {
		id, err := q.NextSequence()
		if err != nil {
			return 0, err
		}
		m.ID = id
	}
	v, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	if err := q.Put(u64(m.ID), v); err != nil {
		return 0, err
	}
	if t, ok := m.NextAttempt(); ok {
		if err := tx.Bucket(bucketQueueDue).Put(dueKey(t, m.ID), nil); err != nil {
			return 0, err
		}
	}
	return m.ID, nil
}

// dropQueued removes m's record, due entry and body reference.
func dropQueued(tx *bolt.Tx, ch *changes, m *QueuedMessage) error {
	if err := unindexQueued(tx, m); err != nil {
		return err
	}
	if err := tx.Bucket(bucketQueue).Delete(u64(m.ID)); err != nil {
		return err
	}
	return refBody(tx, ch, m.BodyID, -1)
}

func unindexQueued(tx *bolt.Tx, m *QueuedMessage) error {
	if t, ok := m.NextAttempt(); ok {
		return tx.Bucket(bucketQueueDue).Delete(dueKey(t, m.ID))
	}
	return nil
}

// QueueGet returns one queued message.
func (s *Store) QueueGet(ctx context.Context, id uint64) (*QueuedMessage, error) {
	var m *QueuedMessage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		m, err = getQueued(tx, id)
		return err
	})
	return m, err
}

// QueueList returns every queued message, oldest first.
func (s *Store) QueueList(ctx context.Context) ([]QueuedMessage, error) {
	var out []QueuedMessage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQueue).ForEach(func(k, v []byte) error {
			var m QueuedMessage
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("queue entry %d: %w", be64(k), err)
			}
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// QueueNextDue returns the earliest next attempt in the queue; false if
// nothing is pending. The queue's scheduler sleeps until then.
func (s *Store) QueueNextDue(ctx context.Context) (time.Time, bool, error) {
	var t time.Time
	ok := false
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketQueueDue).Cursor().First(); k != nil {
			t, ok = time.Unix(0, int64(be64(k))), true
		}
		return nil
	})
	return t, ok, err
}

// QueueDue returns up to limit messages whose next attempt is at or before
// now, earliest first.
func (s *Store) QueueDue(ctx context.Context, now time.Time, limit int) ([]QueuedMessage, error) {
	var out []QueuedMessage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketQueueDue).Cursor()
		bound := uint64(now.UnixNano())
		for k, _ := c.First(); k != nil && be64(k) <= bound && len(out) < limit; k, _ = c.Next() {
			m, err := getQueued(tx, be64(k[8:]))
			if err != nil {
				return err
			}
			out = append(out, *m)
		}
		return nil
	})
	return out, err
}

// QueueUpdate changes a queued message in one durable transaction: fn gets
// the current entry to modify and may return a Submission (a DSN) to store
// in the same transaction, so recording a failure and queuing its bounce
// happen together or not at all. When no recipient is pending afterwards
// the entry leaves the queue and nil is returned. fn may run more than once.
func (s *Store) QueueUpdate(ctx context.Context, id uint64, fn func(m *QueuedMessage) (*Submission, error)) (*QueuedMessage, error) {
	var out *QueuedMessage
	err := s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		out = nil
		m, err := getQueued(tx, id)
		if err != nil {
			return err
		}
		if err := unindexQueued(tx, m); err != nil {
			return err
		}
		sub, err := fn(m)
		if err != nil {
			return err
		}
		if sub != nil {
			if err := sub.validate(); err != nil {
				return err
			}
			date := sub.InternalDate
			if date.IsZero() {
				date = time.Now()
			}
			if _, err := s.submitTx(tx, sub, date, ch); err != nil {
				return err
			}
		}
		if _, pending := m.NextAttempt(); !pending {
			if err := tx.Bucket(bucketQueue).Delete(u64(m.ID)); err != nil {
				return err
			}
			return refBody(tx, ch, m.BodyID, -1)
		}
		if _, err := putQueued(tx, m, false); err != nil {
			return err
		}
		out = m
		return nil
	})
	return out, err
}

// QueueDelete removes a message from the queue without any delivery or DSN.
func (s *Store) QueueDelete(ctx context.Context, id uint64) error {
	return s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		m, err := getQueued(tx, id)
		if err != nil {
			return err
		}
		return dropQueued(tx, ch, m)
	})
}
