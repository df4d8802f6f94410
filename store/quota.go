package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrExceedsQuota wraps ErrOverQuota: the message alone is larger than the
// quota, so it can never be accepted (SMTP 552 5.2.2 rather than 452 4.2.2).
var ErrExceedsQuota = fmt.Errorf("%w: the message alone exceeds the quota", ErrOverQuota)

func getUsage(acct *bolt.Bucket) Usage {
	v := acct.Get([]byte("usage"))
	if len(v) != 16 {
		return Usage{}
	}
	return Usage{Bytes: int64(be64(v)), Messages: int64(be64(v[8:]))}
}

func addUsage(acct *bolt.Bucket, bytes, messages int64) error {
	u := getUsage(acct)
	u.Bytes += bytes
	u.Messages += messages
	if u.Bytes < 0 {
		u.Bytes = 0
	}
	if u.Messages < 0 {
		u.Messages = 0
	}
	return acct.Put([]byte("usage"), append(u64(uint64(u.Bytes)), u64(uint64(u.Messages))...))
}

// quotaOf is the user's quota with the defaults applied.
func (s *Store) quotaOf(tx *bolt.Tx, userID uint64) (Quota, error) {
	acct, err := account(tx, userID)
	if err != nil {
		return Quota{}, err
	}
	var q Quota
	if v := acct.Get([]byte("quota")); v != nil {
		if err := json.Unmarshal(v, &q); err != nil {
			return Quota{}, fmt.Errorf("quota of %d: %w", userID, err)
		}
	}
	if q.MaxBytes == 0 {
		q.MaxBytes = s.opts.DefaultQuota.MaxBytes
	}
	if q.MaxMessages == 0 {
		q.MaxMessages = s.opts.DefaultQuota.MaxMessages
	}
	return q, nil
}

func putQuota(tx *bolt.Tx, userID uint64, q Quota) error {
	acct, err := account(tx, userID)
	if err != nil {
		return err
	}
	v, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return acct.Put([]byte("quota"), v)
}

// checkQuota tells whether count more messages of size bytes in total fit.
func checkQuota(q Quota, u Usage, size, count int64) error {
	if q.MaxBytes > 0 && size > q.MaxBytes {
		return ErrExceedsQuota
	}
	if q.MaxBytes > 0 && u.Bytes+size > q.MaxBytes {
		return ErrOverQuota
	}
	if q.MaxMessages > 0 && u.Messages+count > q.MaxMessages {
		return ErrOverQuota
	}
	return nil
}
