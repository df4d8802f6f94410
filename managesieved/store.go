package managesieved

import (
	"context"

	"github.com/mailserver/mailserver/store"
)

// Store is what the ManageSieve server needs from the mail store (the
// script storage of store/sieve.go and the shared login throttle);
// *store.Store satisfies it.
type Store interface {
	Authenticate(ctx context.Context, l store.Login) (*store.User, error)
	SieveScripts(ctx context.Context, userID uint64) ([]store.SieveScript, error)
	SieveScript(ctx context.Context, userID uint64, name string) ([]byte, error)
	PutSieveScript(ctx context.Context, userID uint64, name string, content []byte) error
	SetActiveSieveScript(ctx context.Context, userID uint64, name string) error
	DeleteSieveScript(ctx context.Context, userID uint64, name string) error
	RenameSieveScript(ctx context.Context, userID uint64, oldName, newName string) error
}

var _ Store = (*store.Store)(nil)
