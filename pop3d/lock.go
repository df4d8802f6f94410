package pop3d

import "sync"

// lockTable holds the maildrop locks of one server: RFC 1939 §8 lets one
// session at a time own a maildrop. The lock lives in memory because one
// process owns the database (bbolt's file lock), so it cannot outlive the
// session that holds it, whichever way that session ends.
type lockTable struct {
	mu   sync.Mutex
	held map[uint64]bool
}

// tryLock takes the lock of userID's maildrop. It returns a release
// function (safe to call more than once) and true, or false if another
// session holds the lock.
func (t *lockTable) tryLock(userID uint64) (release func(), ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.held[userID] {
		return nil, false
	}
	if t.held == nil {
		t.held = make(map[uint64]bool)
	}
	t.held[userID] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			delete(t.held, userID)
			t.mu.Unlock()
		})
	}, true
}
