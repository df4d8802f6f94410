package store

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// A mailbox keeps the set of keywords its messages have used
// (mailboxRecord.Keywords), so that IMAP can list them in SELECT's FLAGS
// and PERMANENTFLAGS and announce the set when it grows (RFC 9051 §7.3.5,
// §7.1). The set is updated in the transaction that stores the flags
// (StoreFlags, and every insertion: delivery, APPEND, COPY, MOVE); the
// change's Event lists what it gained (Event.Keywords). It only grows, as
// Dovecot's does: a keyword no message carries any more stays listed, which
// RFC 9051 allows (FLAGS lists the flags "applicable" to the mailbox).

// MaxMailboxKeywords bounds a mailbox's keyword set (the mailbox record is
// rewritten on every change). A change that would add one more fails with
// ErrTooManyKeywords; a full mailbox no longer offers \* in PERMANENTFLAGS.
const MaxMailboxKeywords = 256

// noteKeywords adds to m's set the keywords it lacks (compared as IMAP
// compares flags, case-insensitively) and remembers them for the event of
// the change (takeNewKeywords).
func (m *mailboxRecord) noteKeywords(keywords []string) error {
	for _, k := range keywords {
		if hasKeyword(m.Keywords, k) {
			continue
		}
		if len(m.Keywords) >= MaxMailboxKeywords {
			return fmt.Errorf("mailbox %q: %w", m.Name, ErrTooManyKeywords)
		}
		m.Keywords = append(m.Keywords, k)
		m.newKeywords = append(m.newKeywords, k)
	}
	return nil
}

// fitsKeywords checks, without changing m, that noteKeywords(flags) would
// succeed.
func (m *mailboxRecord) fitsKeywords(flags []string) error {
	fs := newFlagSet(flags)
	n := len(m.Keywords)
	for _, k := range fs.keywords {
		if !hasKeyword(m.Keywords, k) {
			n++
		}
	}
	if n > MaxMailboxKeywords {
		return fmt.Errorf("mailbox %q: %w", m.Name, ErrTooManyKeywords)
	}
	return nil
}

// takeNewKeywords returns the keywords noted since the last call.
func (m *mailboxRecord) takeNewKeywords() []string {
	k := m.newKeywords
	m.newKeywords = nil
	return k
}

func hasKeyword(set []string, k string) bool {
	for _, s := range set {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

// migrateToV2 (schema 1 → 2) builds the keyword set of every mailbox
// from its messages, and counts every message there as claimed as \Recent
// (recent.go): none arrived since the last session saw the mailbox, as far
// as anyone can tell.
func migrateToV2(tx *bolt.Tx) error {
	accounts := tx.Bucket(bucketAccounts)
	var ids [][]byte
	if err := accounts.ForEachBucket(func(k []byte) error {
		ids = append(ids, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		acct := accounts.Bucket(id)
		mboxes := acct.Bucket([]byte("mboxes"))
		if mboxes == nil {
			continue
		}
		var recs []*mailboxRecord
		err := mboxes.ForEach(func(_, v []byte) error {
			var r mailboxRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			recs = append(recs, &r)
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if msgs := acct.Bucket(msgBucketKey(r.ID)); msgs != nil {
				err := msgs.ForEach(func(k, v []byte) error {
					rec, err := decodeMessage(v)
					if err != nil {
						return fmt.Errorf("message %d: %w", be32(k), err)
					}
					for _, kw := range rec.flags.keywords {
						if len(r.Keywords) < MaxMailboxKeywords && !hasKeyword(r.Keywords, kw) {
							r.Keywords = append(r.Keywords, kw)
						}
					}
					return nil
				})
				if err != nil {
					return fmt.Errorf("mailbox %d: %w", r.ID, err)
				}
			}
			r.RecentUID, r.Recent = r.UIDNext, 0
			if err := putMailbox(acct, r); err != nil {
				return err
			}
		}
	}
	return nil
}
