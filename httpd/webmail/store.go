package webmail

import (
	"context"

	"github.com/mailserver/mailserver/store"
)

// Store is what the webmail needs of the mail store (satisfied by
// *store.Store). Every call that touches mail takes the session's user
// ID: a user reaches only their own mailboxes, as over IMAP. The areas of
// other owners add their methods in their own interfaces (composeStore,
// settingsStore in their route files).
type Store interface {
	authStore
	readStore
	actStore
	composeStore
	settingsStore
}

// authStore: logging in, through the throttle every protocol shares.
type authStore interface {
	Authenticate(ctx context.Context, l store.Login) (*store.User, error)
}

// readStore: folders, message lists and message bytes.
type readStore interface {
	Mailboxes(ctx context.Context, userID uint64) ([]store.Mailbox, error)
	MailboxByName(ctx context.Context, userID uint64, name string) (*store.Mailbox, error)
	MailboxByID(ctx context.Context, userID, mailboxID uint64) (*store.Mailbox, error)
	UIDs(ctx context.Context, userID, mailboxID uint64) ([]uint32, error)
	ListMessages(ctx context.Context, userID, mailboxID uint64, lo, hi uint32) ([]store.Message, error)
	GetMessages(ctx context.Context, userID, mailboxID uint64, uids []uint32) ([]store.Message, error)
	OpenBody(bodyID uint64) (*store.BodyReader, error)
	ReadBodyBytes(bodyID uint64) ([]byte, error)
	Watch(userID uint64, fn func(store.Event)) (cancel func())
	HoldBodies() (release func())
	SearchMessages(ctx context.Context, userID, mailboxID uint64, c *store.SearchCriteria) ([]uint32, error)
}

// actStore: flags, moving, deleting, folders.
type actStore interface {
	StoreFlags(ctx context.Context, userID, mailboxID uint64, uids []uint32, op store.FlagOp, flags []string, opts store.StoreFlagsOptions) (*store.StoreFlagsResult, error)
	Move(ctx context.Context, userID, srcID uint64, uids []uint32, dest string) (*store.CopyResult, error)
	Expunge(ctx context.Context, userID, mailboxID uint64, opts store.ExpungeOptions) ([]uint32, error)
	CreateMailbox(ctx context.Context, userID uint64, name, specialUse string) (*store.Mailbox, error)
	RenameMailbox(ctx context.Context, userID uint64, oldName, newName string) error
	DeleteMailbox(ctx context.Context, userID uint64, name string, recursive bool) error
}
