package store

import (
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// op is one mutation waiting for the committer.
type op struct {
	ctx context.Context
	// fn applies the mutation. It may run more than once (see doc.go), so it
	// must only touch tx and ch, which is reset before each run.
	fn     func(tx *bolt.Tx, ch *changes) error
	ch     changes
	err    error
	result chan struct{}
}

// changes collects what an operation did, for the hub after the commit.
type changes struct {
	events []Event
	freed  []uint64 // bodies left without references (see bodyKeeper)
}

func (c *changes) emit(e Event) { c.events = append(c.events, e) }

// update queues fn for the next group commit and waits until it is durable
// (or failed). The events fn emitted are delivered before update returns.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx, ch *changes) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{ctx: ctx, fn: fn, result: make(chan struct{})}
	// Close waits for handovers in progress, so every op that got into the
	// channel is committed by the loop's final drain.
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	s.ops <- o
	s.closeMu.RUnlock()
	<-o.result
	return o.err
}

// commitLoop is the single writer. It takes whatever operations are waiting
// (at most MaxBatch), commits them in one transaction, publishes their
// events and releases their callers. While it commits, new operations queue
// up for the next batch: concurrency turns into batch size, with no timer.
func (s *Store) commitLoop() {
	defer close(s.done)
	batch := make([]*op, 0, s.opts.MaxBatch)
	for {
		var first *op
		select {
		case first = <-s.ops:
		case <-s.closing:
			// Drain what was queued before Close.
			for {
				select {
				case o := <-s.ops:
					s.run([]*op{o})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.opts.MaxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		s.run(batch)
	}
}

// run commits a batch. An operation that fails is taken out and the rest
// retried, so one bad request never fails its neighbours; the failed one
// then runs alone to get its own, definitive result.
func (s *Store) run(batch []*op) {
	live := batch[:0:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.err = err
			close(o.result)
			continue
		}
		live = append(live, o)
	}
	var solo []*op
	for len(live) > 0 {
		failed := -1
		start := time.Now()
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, o := range live {
				o.ch = changes{}
				if err := o.fn(tx, &o.ch); err != nil {
					failed = i
					o.err = err
					return errOpFailed
				}
			}
			return nil
		})
		if failed >= 0 && len(live) > 1 {
			solo = append(solo, live[failed])
			live = append(live[:failed:failed], live[failed+1:]...)
			continue
		}
		if failed < 0 {
			s.opts.Metrics.observeCommit(len(live), time.Since(start), err) // metrics.go
		}
		if failed < 0 && err == nil {
			s.commits.Add(1)
			s.space.committed(s.log)
		}
		if failed < 0 && err != nil { // the commit itself failed (disk)
			err = s.space.commitFailed(s.log, err, len(live))
			for _, o := range live {
				o.err = err
			}
		}
		s.finish(live, failed < 0 && err == nil)
		break
	}
	for _, o := range solo {
		o.err = nil
		s.run([]*op{o})
	}
}

var errOpFailed = errors.New("operation failed")

// finish publishes the events of a committed batch in order, then releases
// the callers.
func (s *Store) finish(ops []*op, committed bool) {
	if committed {
		var freed []uint64
		for _, o := range ops {
			freed = append(freed, o.ch.freed...)
		}
		s.bodies.freed(freed)
		for _, o := range ops {
			for _, e := range o.ch.events {
				e.Origin = originFrom(o.ctx)
				s.hub.publish(e)
			}
		}
	}
	for _, o := range ops {
		close(o.result)
	}
}
