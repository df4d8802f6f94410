package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/mailserver/mailserver/store"
)

// Store is what the queue needs of the mail store (*store.Store).
type Store interface {
	Resolve(ctx context.Context, address string) ([]store.Route, bool, error)
	Submit(ctx context.Context, sub *store.Submission) (*store.SubmitResult, error)
	IsLocalDomain(ctx context.Context, name string) (bool, error)
	QueueGet(ctx context.Context, id uint64) (*store.QueuedMessage, error)
	QueueList(ctx context.Context) ([]store.QueuedMessage, error)
	QueueNextDue(ctx context.Context) (time.Time, bool, error)
	QueueDue(ctx context.Context, now time.Time, limit int) ([]store.QueuedMessage, error)
	QueueUpdate(ctx context.Context, id uint64, fn func(m *store.QueuedMessage) (*store.Submission, error)) (*store.QueuedMessage, error)
	QueueDelete(ctx context.Context, id uint64) error
	OpenBody(bodyID uint64) (*store.BodyReader, error)
}

// Options configure a Queue.
type Options struct {
	// Hostname is this host's name, used in Received, DSNs and EHLO.
	Hostname string
	Logger   *slog.Logger
}

// Queue routes and stores accepted mail and delivers the remote part.
type Queue struct {
	st   Store
	opts Options
	log  *slog.Logger
	// wake tells the scheduler that new mail was queued (buffered, 1).
	wake chan struct{}
}

// New returns a Queue over st.
func New(st Store, opts Options) *Queue {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Queue{st: st, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1)}
}

// kick wakes the scheduler without blocking.
func (q *Queue) kick() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
