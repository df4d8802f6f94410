package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailserver/mailserver/store"
)

// The administration of the queue (mailserver queue list|show|retry|
// delete|bounce). These work on a Queue whose scheduler runs (through the
// admin socket) as well as on one that does not (the CLI with the server
// stopped): changes are in the store, and a running scheduler is woken.

// List returns every queued message, oldest first.
func (q *Queue) List(ctx context.Context) ([]store.QueuedMessage, error) {
	return q.st.QueueList(ctx)
}

// Get returns one queued message (store.ErrNotFound if it is not queued).
func (q *Queue) Get(ctx context.Context, id uint64) (*store.QueuedMessage, error) {
	return q.st.QueueGet(ctx, id)
}

// Retry makes every pending recipient of message id due now.
func (q *Queue) Retry(ctx context.Context, id uint64) error {
	now := time.Now()
	_, err := q.st.QueueUpdate(ctx, id, func(m *store.QueuedMessage) (*store.Submission, error) {
		for i := range m.Recipients {
			if m.Recipients[i].State.Pending() {
				m.Recipients[i].NextAttempt = now
			}
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("queue: retry %d: %w", id, err)
	}
	q.requestScan()
	return nil
}

// RetryAll makes every pending recipient in the queue due now and returns
// the number of messages.
func (q *Queue) RetryAll(ctx context.Context) (int, error) {
	all, err := q.st.QueueList(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue: retry: %w", err)
	}
	n := 0
	for _, m := range all {
		if err := q.Retry(ctx, m.ID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue // delivered meanwhile
			}
			return n, err
		}
		n++
	}
	return n, nil
}

// Delete removes message id from the queue: no delivery, no DSN.
func (q *Queue) Delete(ctx context.Context, id uint64) error {
	if err := q.st.QueueDelete(ctx, id); err != nil {
		return fmt.Errorf("queue: delete %d: %w", id, err)
	}
	return nil
}

// Bounce fails every pending recipient of message id and sends the sender
// a DSN for those whose NOTIFY asks for failures (none for the null
// sender).
func (q *Queue) Bounce(ctx context.Context, id uint64) error {
	m, err := q.st.QueueGet(ctx, id)
	if err != nil {
		return fmt.Errorf("queue: bounce %d: %w", id, err)
	}
	now := time.Now()
	o := permFail(554, "5.0.0", "message returned by the mail system administrator")
	var notes []dsnRecipient
	for _, r := range m.Recipients {
		if r.State.Pending() && m.Sender != "" && notifies(&r, "FAILURE") {
			notes = append(notes, dsnRecipient{rcpt: r, action: actionFailed, o: o})
		}
	}
	var dsn *store.Submission
	if len(notes) > 0 {
		if dsn = q.makeDSN(ctx, m, notes, now); dsn == nil {
			return fmt.Errorf("queue: bounce %d: the DSN could not be built (see the log)", id)
		}
	}
	_, err = q.st.QueueUpdate(ctx, id, func(m *store.QueuedMessage) (*store.Submission, error) {
		for i := range m.Recipients {
			r := &m.Recipients[i]
			if r.State.Pending() {
				r.State = store.RcptFailed
				r.LastCode, r.LastEnhanced, r.LastError = o.code, o.enhanced, o.text
			}
		}
		return dsn, nil
	})
	if err != nil {
		return fmt.Errorf("queue: bounce %d: %w", id, err)
	}
	for i := range m.Recipients {
		if r := &m.Recipients[i]; r.State.Pending() {
			q.logAttempt(m, r, &o, now)
		}
	}
	if dsn != nil && dsn.Outbound != nil {
		q.requestScan()
	}
	return nil
}
