package store

import (
	"context"
	"errors"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// A body whose last reference goes (the last message or queue entry that
// used it is expunged, moved away or delivered) is not deleted in that
// transaction: readers may still be sending it. The transaction sets its
// reference count to 0 and lists it in the bodygc bucket; after the commit
// the bodyKeeper takes it over, and the collector deletes it once nobody
// can read it any more:
//
//   - no BodyReader (or AppendBody) has it pinned, and
//   - no hold (HoldBodies) older than its last reference is open.
//
// A crash meanwhile leaves it listed in bodygc, and Open deletes every body
// listed there: nothing leaks, and no reader survives a restart.
//
// Pinning races with deletion only through the keeper's mutex: pin fails
// for a body being deleted, and a pinned reader then checks, in a read
// transaction begun after the pin, that the body still exists. A deletion
// decided before the pin has then either committed (the body is gone in
// that transaction) or is still marked deleting (the pin failed), so a
// reader that got its pin and found the body keeps it to the end.
type bodyKeeper struct {
	mu sync.Mutex
	// epoch counts commits that freed bodies; a hold taken at epoch t
	// protects every body freed at an epoch after t.
	epoch    uint64
	pins     map[uint64]int    // body ID → open readers
	dead     map[uint64]uint64 // unreferenced body ID → epoch it was freed in
	deleting map[uint64]bool   // in a deletion transaction not yet committed
	holds    map[uint64]int    // epoch → open holds taken in it

	kick chan struct{} // wakes the collector (capacity 1)
}

func newBodyKeeper() *bodyKeeper {
	return &bodyKeeper{
		pins:     make(map[uint64]int),
		dead:     make(map[uint64]uint64),
		deleting: make(map[uint64]bool),
		holds:    make(map[uint64]int),
		kick:     make(chan struct{}, 1),
	}
}

func (k *bodyKeeper) wake() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// freed takes over the bodies a committed transaction left without
// references.
func (k *bodyKeeper) freed(ids []uint64) {
	if len(ids) == 0 {
		return
	}
	k.mu.Lock()
	k.epoch++
	for _, id := range ids {
		k.dead[id] = k.epoch
	}
	k.mu.Unlock()
	k.wake()
}

// pin registers a reader of body id; false if the body is being deleted.
func (k *bodyKeeper) pin(id uint64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.deleting[id] {
		return false
	}
	k.pins[id]++
	return true
}

func (k *bodyKeeper) unpin(id uint64) {
	k.mu.Lock()
	n := k.pins[id] - 1
	if n > 0 {
		k.pins[id] = n
	} else {
		delete(k.pins, id)
	}
	_, dead := k.dead[id]
	k.mu.Unlock()
	if n <= 0 && dead {
		k.wake()
	}
}

// hold protects every body referenced from now on until release.
func (k *bodyKeeper) hold() (release func()) {
	k.mu.Lock()
	t := k.epoch
	k.holds[t]++
	k.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			k.mu.Lock()
			if k.holds[t]--; k.holds[t] <= 0 {
				delete(k.holds, t)
			}
			k.mu.Unlock()
			k.wake()
		})
	}
}

// maxDeletePerTx bounds the bodies one collector transaction deletes.
const maxDeletePerTx = 256

// collectable moves up to maxDeletePerTx bodies nobody can read any more
// from dead to deleting and returns them.
func (k *bodyKeeper) collectable() []uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	oldestHold := ^uint64(0)
	for t := range k.holds {
		oldestHold = min(oldestHold, t)
	}
	var out []uint64
	for id, freedAt := range k.dead {
		if k.pins[id] > 0 || oldestHold < freedAt {
			continue
		}
		delete(k.dead, id)
		k.deleting[id] = true
		if out = append(out, id); len(out) == maxDeletePerTx {
			break
		}
	}
	return out
}

// done ends a deletion transaction: committed, or failed (the bodies go
// back to dead, for the next try or the next Open).
func (k *bodyKeeper) done(ids []uint64, committed bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		delete(k.deleting, id)
		if !committed {
			k.dead[id] = 0
		}
	}
}

// idle reports whether no deletion is waiting that could run now (tests).
func (k *bodyKeeper) idle() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.deleting) > 0 {
		return false
	}
	oldestHold := ^uint64(0)
	for t := range k.holds {
		oldestHold = min(oldestHold, t)
	}
	for id, freedAt := range k.dead {
		if k.pins[id] == 0 && oldestHold >= freedAt {
			return false
		}
	}
	return true
}

// collectLoop deletes bodies nobody can read any more, until the store
// closes. What it has not deleted by then, Open deletes next time.
func (s *Store) collectLoop() {
	defer close(s.collectorDone)
	for {
		select {
		case <-s.closing:
			return
		case <-s.bodies.kick:
		}
		for {
			ids := s.bodies.collectable()
			if len(ids) == 0 {
				break
			}
			err := s.update(context.Background(), func(tx *bolt.Tx, _ *changes) error {
				return deleteBodies(tx, ids)
			})
			s.bodies.done(ids, err == nil)
			if errors.Is(err, ErrClosed) {
				return
			}
			if err != nil {
				s.log.Error("deleting unreferenced bodies failed; retrying at the next change", "bodies", len(ids), "err", err)
				break
			}
		}
	}
}

// deleteBodies deletes the listed bodies that are still unreferenced, and
// their bodygc entries.
func deleteBodies(tx *bolt.Tx, ids []uint64) error {
	gc := tx.Bucket(bucketBodyGC)
	for _, id := range ids {
		if err := deleteBody(tx, id); err != nil {
			return err
		}
		if err := gc.Delete(u64(id)); err != nil {
			return err
		}
	}
	return nil
}

// collectGarbageAtOpen deletes every body a previous run left unreferenced
// (a crash or a Close while readers or holds kept them).
func collectGarbageAtOpen(tx *bolt.Tx) (int, error) {
	var ids []uint64
	err := tx.Bucket(bucketBodyGC).ForEach(func(k, _ []byte) error {
		if len(k) != 8 {
			return errCorrupt
		}
		ids = append(ids, be64(k))
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(ids), deleteBodies(tx, ids)
}

// HoldBodies keeps every body that is referenced at any moment while the
// hold is open readable until release is called (OpenBody, AppendBody and
// ReadBodyBytes succeed for it), even if its messages are expunged
// meanwhile. A protocol command that reads message records and then their
// bodies in separate transactions (an IMAP FETCH or SEARCH while another
// session expunges) takes a hold first: every message it found is then
// readable to the end of the command (RFC 2180 §4.1). Holds are meant to
// be short (one command): bodies freed while one is open are deleted only
// after it is released. release may be called more than once.
func (s *Store) HoldBodies() (release func()) {
	return s.bodies.hold()
}
