package store

import (
	"context"
	"sync"
)

// EventKind says what changed.
type EventKind int

const (
	// EventNew: messages were added to a mailbox (delivery, APPEND, COPY,
	// MOVE target). UIDs are the new UIDs, ascending.
	EventNew EventKind = iota + 1
	// EventFlags: the flags of UIDs changed; Flags[i] are UIDs[i]'s new flags.
	EventFlags
	// EventExpunge: UIDs were removed from the mailbox, ascending.
	EventExpunge
	// EventMailboxCreated, EventMailboxDeleted, EventMailboxRenamed: the
	// mailbox list changed. For a rename, Mailbox is the new name and
	// OldName the old one.
	EventMailboxCreated
	EventMailboxDeleted
	EventMailboxRenamed
)

// Event is a committed change, published to the subscribers of its user.
type Event struct {
	Kind      EventKind
	UserID    uint64
	MailboxID uint64
	Mailbox   string
	OldName   string
	UIDs      []uint32
	Flags     [][]string
	// Keywords: those the mailbox's keyword set (Mailbox.Keywords) gained
	// in this change (EventNew, EventFlags).
	Keywords []string
	// ModSeq is the mailbox's HIGHESTMODSEQ after the change.
	ModSeq uint64
	// Messages is the number of messages in the mailbox after the change.
	Messages uint32
	// SpecialUse is the mailbox's special use (RFC 6154, e.g. `\Junk`),
	// for EventNew.
	SpecialUse string
	// SourceMailboxID and SourceSpecialUse name the mailbox messages
	// were copied or moved from (EventNew of Copy and Move; 0 and ""
	// for deliveries and APPEND). The spam learner reads them.
	SourceMailboxID  uint64
	SourceSpecialUse string
	// Origin is the value the changing caller put in its context with
	// WithOrigin (nil if none): a session can recognise its own changes.
	Origin any
}

type originKey struct{}

// WithOrigin marks changes made with ctx as coming from origin (typically a
// protocol session), for Event.Origin.
func WithOrigin(ctx context.Context, origin any) context.Context {
	return context.WithValue(ctx, originKey{}, origin)
}

func originFrom(ctx context.Context) any { return ctx.Value(originKey{}) }

type subscription struct {
	fn func(Event)
}

type hub struct {
	mu   sync.RWMutex
	subs map[uint64]map[*subscription]struct{}
	all  map[*subscription]struct{} // WatchAll
}

func newHub() *hub {
	return &hub{subs: make(map[uint64]map[*subscription]struct{}), all: make(map[*subscription]struct{})}
}

// Watch calls fn with every committed change of the user's mailboxes,
// in commit order, until the returned cancel function is called.
//
// fn runs on the store's committer goroutine before the changing caller is
// released: it must be quick, must not block, and must not call the Store.
// (Hand the event to your own goroutine, or update in-memory state under a
// mutex, as IMAP's mailbox trackers do.)
func (s *Store) Watch(userID uint64, fn func(Event)) (cancel func()) {
	sub := &subscription{fn: fn}
	h := s.hub
	h.mu.Lock()
	m := h.subs[userID]
	if m == nil {
		m = make(map[*subscription]struct{})
		h.subs[userID] = m
	}
	m[sub] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs[userID], sub)
			if len(h.subs[userID]) == 0 {
				delete(h.subs, userID)
			}
			h.mu.Unlock()
		})
	}
}

// WatchAll is Watch for every user's changes (the spam learner); the same
// rules apply to fn.
func (s *Store) WatchAll(fn func(Event)) (cancel func()) {
	sub := &subscription{fn: fn}
	h := s.hub
	h.mu.Lock()
	h.all[sub] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.all, sub)
			h.mu.Unlock()
		})
	}
}

func (h *hub) publish(e Event) {
	h.mu.RLock()
	subs := make([]*subscription, 0, len(h.subs[e.UserID])+len(h.all))
	for sub := range h.subs[e.UserID] {
		subs = append(subs, sub)
	}
	for sub := range h.all {
		subs = append(subs, sub)
	}
	h.mu.RUnlock()
	for _, sub := range subs {
		sub.fn(e)
	}
}
