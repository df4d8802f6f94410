package store

import (
	"context"

	bolt "go.etcd.io/bbolt"
)

// \Recent (RFC 3501 §2.3.2; IMAP4rev2 dropped it): a message is recent in
// exactly one session, the first to be told of it. Each mailbox keeps the
// first UID no session has claimed yet (mailboxRecord.RecentUID; 0 means
// 1) and how many of its messages lie at or above it (Recent, which
// STATUS RECENT reports). A read-write session claims with ClaimRecent
// what it is told at SELECT and every new arrival it is told of later; a
// read-only one (EXAMINE, which "MUST NOT cause messages to lose the
// \Recent flag", RFC 3501 §6.3.2) only asks.

// firstUnclaimed is the lowest UID no session has claimed.
func (m *mailboxRecord) firstUnclaimed() uint32 { return max(m.RecentUID, 1) }

// claimOne claims uid, just inserted, if it is the only unclaimed message
// (an APPEND by a session that has the mailbox selected, which would
// otherwise claim it in a transaction of its own when told of it).
func (m *mailboxRecord) claimOne(uid uint32) bool {
	if m.firstUnclaimed() != uid {
		return false
	}
	m.RecentUID = uid + 1
	m.Recent--
	return true
}

// ClaimRecent returns first, the lowest UID of the mailbox no session had
// claimed as recent: the messages from first to upto are recent in the
// calling session (none if first > upto). With claim, they are recorded as
// claimed, in the same transaction, so that no later session sees them as
// recent; without, nothing changes.
func (s *Store) ClaimRecent(ctx context.Context, userID, mailboxID uint64, upto uint32, claim bool) (first uint32, err error) {
	// A read first: when several sessions are told of the same arrival,
	// all but the first find nothing left to claim, and cost no commit.
	err = s.view(ctx, func(tx *bolt.Tx) error {
		_, m, err := mailboxTx(tx, userID, mailboxID)
		if err == nil {
			first = m.firstUnclaimed()
		}
		return err
	})
	if err != nil || !claim || first > upto {
		return first, err
	}
	err = s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		acct, m, err := mailboxTx(tx, userID, mailboxID)
		if err != nil {
			return err
		}
		first = m.firstUnclaimed()
		if upto < first {
			return nil
		}
		m.RecentUID = upto + 1
		// The messages still unclaimed are those above upto (usually
		// none: upto is the last the session knows).
		m.Recent = 0
		c := acct.Bucket(msgBucketKey(m.ID)).Cursor()
		for k, _ := c.Seek(u32(m.RecentUID)); k != nil; k, _ = c.Next() {
			m.Recent++
		}
		return putMailbox(acct, m)
	})
	return first, err
}
