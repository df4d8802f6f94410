package pop3d

import (
	"context"

	"github.com/mailserver/mailserver/store"
)

// Store is what the POP3 server needs from the mail store; *store.Store
// satisfies it.
type Store interface {
	Authenticate(ctx context.Context, l store.Login) (*store.User, error)
	MailboxByName(ctx context.Context, userID uint64, name string) (*store.Mailbox, error)
	ListMessages(ctx context.Context, userID, mailboxID uint64, lo, hi uint32) ([]store.Message, error)
	OpenBody(bodyID uint64) (*store.BodyReader, error)
	Expunge(ctx context.Context, userID, mailboxID uint64, opts store.ExpungeOptions) ([]uint32, error)
}

var _ Store = (*store.Store)(nil)
