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
	// goroutine, so it is only ever held briefly: never across network I/O
	// nor a store read (a SELECT of a big mailbox would hold up every
	// commit of every user).
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
		u = update{kind: updateNew, uids: ev.UIDs, keywords: ev.Keywords}
	case store.EventExpunge:
		u = update{kind: updateExpunge, uids: ev.UIDs}
	case store.EventFlags:
		u = update{kind: updateFlags, uids: ev.UIDs, flags: ev.Flags, origin: ev.Origin, keywords: ev.Keywords}
	default:
		return // mailbox list changes: LIST reads the store each time
	}
	uw.mu.Lock()
	defer uw.mu.Unlock()
	for v := range uw.views[ev.MailboxID] {
		v.push(u)
	}
}

// open creates a view of a mailbox for a session. The view is registered
// before the mailbox's UIDs are read, outside uw.mu, so that no change
// falls between the read and the registration: a change committed before
// the read and published after the registration reaches the view twice,
// in the UIDs and as an update, and applying an update is idempotent
// (view.poll: new UIDs above the last one, expunges and flags of UIDs the
// picture holds). overflow is called, once, if the client falls too far
// behind (view.push).
func (uw *userWatch) open(ctx context.Context, st Store, userID, mailboxID uint64, overflow func()) (*view, error) {
	v := newView(mailboxID, nil)
	v.overflow = overflow
	uw.mu.Lock()
	m := uw.views[mailboxID]
	if m == nil {
		m = make(map[*view]struct{})
		uw.views[mailboxID] = m
	}
	m[v] = struct{}{}
	uw.mu.Unlock()
	uids, err := st.UIDs(ctx, userID, mailboxID)
	if err != nil {
		uw.close(v)
		return nil, err
	}
	v.setUIDs(uids)
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
