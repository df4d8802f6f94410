package pop3d

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/mailserver/mailserver/store"
)

// cmdQuit ends the session. In TRANSACTION it enters the UPDATE state
// (RFC 1939 §6): the messages marked by DELE are removed in one store
// transaction, all or none, and IMAP sessions see them expunged.
func (s *session) cmdQuit(args string) error {
	if args != "" {
		return errorf("", "QUIT takes no arguments")
	}
	if s.state != stateTransaction {
		s.writeLine("+OK bye")
		return errQuit
	}
	marked := s.drop.marked()
	if len(marked) == 0 {
		// Never call Expunge without UIDs: nil would mean every message.
		s.writeLine("+OK bye")
		return errQuit
	}
	removed, err := s.srv.st.Expunge(s.ctx, s.user.ID, s.drop.mailboxID, store.ExpungeOptions{UIDs: marked})
	if err != nil {
		s.log.Error("pop3 update failed", "err", fmt.Errorf("expunge %d messages: %w", len(marked), err))
		// RFC 1939 §6: -ERR if some deleted messages were not removed.
		// The maildrop is as it was: nothing was expunged.
		if errors.Is(err, store.ErrNoSpace) {
			return errorClose(codeSysTemp, "mail system full, deleted messages not removed, try again later")
		}
		return errorClose(codeSysTemp, "deleted messages not removed, try again later")
	}
	s.log.Info("pop3 update", "deleted", len(removed))
	// Messages already expunged by another client count as removed.
	s.writeLine("+OK bye, " + strconv.Itoa(len(marked)) + " messages deleted")
	return errQuit
}
