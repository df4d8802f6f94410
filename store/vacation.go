package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Vacation memory (RFC 5230 §4.2, §4.6; RFC 3834 §2): a user's vacation
// action replies to a sender at most once per period and handle. The
// records live in the user's account bucket, so deleting the user deletes
// them:
//
//	accounts/u64 user ID/vacation   u16 len(handle) ‖ handle ‖ sender (lower case) →
//	                                u64 expiry (unix nanos)
//
// A record is checked and written in the transaction that stores the
// reply (Submission.Vacation), never apart from it.

// bucketVacation is the account sub-bucket of the vacation memory.
var bucketVacation = []byte("vacation")

// VacationMemory is the condition of a vacation reply: it is stored only
// when no record for (UserID, Handle, Sender) expires after Now, and then
// the record is set to expire at Until.
type VacationMemory struct {
	UserID uint64
	Handle string // the vacation :handle (RFC 5230 §4.2)
	Sender string // the envelope sender replied to
	Now    time.Time
	Until  time.Time // Now plus the :days / :seconds period
}

// Limits on a memory key, so a record stays small.
const (
	maxVacationHandle = 1024
	maxVacationSender = 512
)

// vacationPruneScan is how many neighbouring records a write looks at to
// delete expired ones, so that the memory of a user who gets mail from
// ever new senders does not grow without bound.
const vacationPruneScan = 8

func (v *VacationMemory) validate() error {
	switch {
	case v.Sender == "":
		return errors.New("store: vacation memory without sender")
	case len(v.Handle) > maxVacationHandle || len(v.Sender) > maxVacationSender:
		return errors.New("store: vacation handle or sender too long")
	case v.Now.IsZero() || v.Until.Before(v.Now):
		return errors.New("store: vacation period ends before it starts")
	}
	return nil
}

func (v *VacationMemory) key() []byte {
	k := binary.BigEndian.AppendUint16(nil, uint16(len(v.Handle)))
	k = append(k, v.Handle...)
	return append(k, strings.ToLower(v.Sender)...)
}

// claim checks the memory and, when a reply may go out, records it. It
// reports false when an unexpired record holds the reply back, or the
// user is gone.
func (v *VacationMemory) claim(tx *bolt.Tx) (bool, error) {
	acct := tx.Bucket(bucketAccounts).Bucket(u64(v.UserID))
	if acct == nil {
		return false, nil
	}
	b, err := acct.CreateBucketIfNotExists(bucketVacation)
	if err != nil {
		return false, fmt.Errorf("store: vacation memory: %w", err)
	}
	key := v.key()
	now := v.Now.UnixNano()
	if old := b.Get(key); len(old) == 8 && int64(binary.BigEndian.Uint64(old)) > now {
		return false, nil
	}
	if err := b.Put(key, binary.BigEndian.AppendUint64(nil, uint64(v.Until.UnixNano()))); err != nil {
		return false, fmt.Errorf("store: vacation memory: %w", err)
	}
	// Prune expired records after this one.
	c := b.Cursor()
	c.Seek(key)
	for i := 0; i < vacationPruneScan; i++ {
		k, val := c.Next()
		if k == nil {
			break
		}
		if len(val) != 8 || int64(binary.BigEndian.Uint64(val)) <= now {
			if err := c.Delete(); err != nil {
				return false, fmt.Errorf("store: vacation memory: %w", err)
			}
		}
	}
	return true, nil
}

// submitAlsoTx stores one Submission.Also, under its vacation condition.
func (s *Store) submitAlsoTx(tx *bolt.Tx, sub *Submission, date time.Time, ch *changes) (*SubmitResult, error) {
	if sub.Vacation != nil {
		ok, err := sub.Vacation.claim(tx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &SubmitResult{Local: make([]DeliveryResult, len(sub.Local)), Suppressed: true}, nil
		}
	}
	return s.submitTx(tx, sub, date, ch)
}
