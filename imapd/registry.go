package imapd

import (
	"context"
	"sync"

	"github.com/mailserver/mailserver/store"
)

// registry routes the store's change events to the views of the sessions
// that have the changed mailbox selected. Each logged-in user has one
// store.Watch subscription, shared by that user's sessions.
type registry struct {
	st Store

	mu    sync.Mutex
	users map[uint64]*userWatch
}

// userWatch is one user's subscription and selected mailboxes.
type userWatch struct {
	refs   int // sessions logged in as this user; guarded by registry.mu
	cancel func()

	// mu guards views. The Watch callback takes it on the store's committer
	// goroutine, so it is only ever held briefly and never across network
	// I/O; select holds it while reading the UID list so that no event falls
	// between that read and the view's registration.
	mu    sync.Mutex
	views map[uint64]map[*view]struct{} // mailbox ID → views
}

func newRegistry(st Store) *registry {
	return &registry{st: st, users: make(map[uint64]*userWatch)}
}

// acquire subscribes to a user's changes (or shares the subscription).
func (r *registry) acquire(userID uint64) *userWatch {
	r.mu.Lock()
	defer r.mu.Unlock()
	uw := r.users[userID]
	if uw == nil {
		uw = &userWatch{views: make(map[uint64]map[*view]struct{})}
		uw.cancel = r.st.Watch(userID, uw.event)
		r.users[userID] = uw
	}
	uw.refs++
	return uw
}

// release drops a session's reference; the last one unsubscribes.
func (r *registry) release(userID uint64, uw *userWatch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if uw.refs--; uw.refs == 0 {
		uw.cancel()
		delete(r.users, userID)
	}
}

// event is the store.Watch callback: it runs on the committer goroutine in
// commit order, so it only queues updates (see view.push).
func (uw *userWatch) event(ev store.Event) {
	var u update
	switch ev.Kind {
	case store.EventNew:
		u = update{kind: updateNew, uids: ev.UIDs}
	case store.EventExpunge:
		u = update{kind: updateExpunge, uids: ev.UIDs}
	case store.EventFlags:
		u = update{kind: updateFlags, uids: ev.UIDs, flags: ev.Flags, origin: ev.Origin}
	default:
		return // mailbox list changes: LIST reads the store each time
	}
	uw.mu.Lock()
	defer uw.mu.Unlock()
	for v := range uw.views[ev.MailboxID] {
		v.push(u)
	}
}

// open creates a view of a mailbox for a session: the current UIDs read
// under uw.mu, so every later change reaches the view.
func (uw *userWatch) open(ctx context.Context, st Store, userID, mailboxID uint64) (*view, error) {
	uw.mu.Lock()
	defer uw.mu.Unlock()
	uids, err := st.UIDs(ctx, userID, mailboxID)
	if err != nil {
		return nil, err
	}
	v := newView(mailboxID, uids)
	m := uw.views[mailboxID]
	if m == nil {
		m = make(map[*view]struct{})
		uw.views[mailboxID] = m
	}
	m[v] = struct{}{}
	return v, nil
}

// close unregisters a view.
func (uw *userWatch) close(v *view) {
	uw.mu.Lock()
	defer uw.mu.Unlock()
	if m := uw.views[v.mailboxID]; m != nil {
		delete(m, v)
		if len(m) == 0 {
			delete(uw.views, v.mailboxID)
		}
	}
}
