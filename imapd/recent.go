package imapd

import (
	"github.com/emersion/go-imap/v2"
)

// \Recent (RFC 3501 §2.3.2) exists for IMAP4rev1 sessions only: IMAP4rev2
// removed it (RFC 9051 Appendix E), so a session that has enabled
// IMAP4rev2 neither sees nor claims it. A message is recent in the first
// session told of it: the one that SELECTs the mailbox after it arrived,
// or, for a message arriving while sessions have the mailbox selected, the
// first of them to write its EXISTS. Which UIDs a session may call recent
// the store decides (store.ClaimRecent, one short transaction); EXAMINE
// sees them without claiming them (RFC 3501 §6.3.2).

// flagRecent is \Recent, never stored (the store ignores it in STORE and
// APPEND: it "can not be altered by the client").
const flagRecent = imap.Flag(`\Recent`)

// uidRange is the UIDs lo..hi.
type uidRange struct{ lo, hi uint32 }

// usesRecent reports whether the session speaks IMAP4rev1's \Recent.
func (s *session) usesRecent() bool { return !s.conn.EnabledCaps().Has(imap.CapIMAP4rev2) }

// claimRecent asks the store which of the UIDs from..upto (those the
// session is being told of) are recent in this session, claiming them
// unless the mailbox is read-only, and records them in the view. If the
// store fails, they are recent (RFC 3501 §2.3.2: a message whose status
// cannot be determined SHOULD be considered recent).
func (s *session) claimRecent(v *view, from, upto uint32) {
	first, err := s.srv.opts.Store.ClaimRecent(s.ctx, s.user.ID, v.mailboxID, upto, !s.readOnly)
	if err != nil {
		s.srv.log.Warn("imap: claiming \\Recent failed; counting the messages as recent", "user", s.user.Address, "err", err)
		first = from
	}
	v.addRecent(max(first, from), upto)
}

// addRecent records lo..hi as recent in this session.
func (v *view) addRecent(lo, hi uint32) {
	if lo > hi {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := len(v.recent); n > 0 && v.recent[n-1].hi+1 >= lo {
		v.recent[n-1].hi = max(v.recent[n-1].hi, hi)
		return
	}
	v.recent = append(v.recent, uidRange{lo, hi})
}

// coversRecentLocked reports whether every UID lo..hi is recent in this
// session (v.mu held).
func (v *view) coversRecentLocked(lo, hi uint32) bool {
	for i := len(v.recent) - 1; i >= 0; i-- {
		if r := v.recent[i]; lo >= r.lo && hi <= r.hi {
			return true
		}
	}
	return false
}

// isRecentLocked reports whether uid is recent in this session (v.mu held).
func (v *view) isRecentLocked(uid uint32) bool {
	for i := len(v.recent) - 1; i >= 0; i-- {
		if r := v.recent[i]; uid >= r.lo && uid <= r.hi {
			return true
		}
	}
	return false
}

func (v *view) isRecent(uid uint32) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.isRecentLocked(uid)
}

// recentCount is the number of messages of the client's picture that are
// recent in this session (SELECT's and the untagged RECENT).
func (v *view) recentCount() uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for _, r := range v.recent {
		lo, _ := v.uids.search(r.lo)
		hi, found := v.uids.search(r.hi)
		if found {
			hi++
		}
		n += hi - lo
	}
	return uint32(n)
}

// withRecent is a message's flags as the client sees them: \Recent added
// when it is recent in this session.
func (v *view) withRecent(uid uint32, flags []string) []imap.Flag {
	f := imapFlags(flags)
	if v.isRecent(uid) {
		f = append(f, flagRecent)
	}
	return f
}
