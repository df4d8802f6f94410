package queue

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// job is one unit of delivery work: the pending, due recipients of one
// queued message that go to one destination (a domain, or the relay).
type job struct {
	id   uint64
	dest string
}

// jobResult is what a worker reports back to the scheduler.
type jobResult struct {
	job job
	// scan: the attempt queued a remote DSN, which the scheduler learns
	// of only by reading the due index.
	scan bool
}

// backlogRescan is how often the scheduler reads the due index while due
// mail waits in memory for a free slot (the index cannot then tell it when
// the next message not yet in memory falls due).
const backlogRescan = time.Second

// scheduler is the state of Run, owned by its goroutine.
type scheduler struct {
	q        *Queue
	known    map[job]bool     // jobs waiting in ready or running
	ready    map[string][]job // per destination, FIFO
	order    []string         // destinations with ready jobs, round-robin
	running  int              // workers in flight
	perDest  map[string]int   // workers in flight per destination
	done     chan jobResult   // worker results
	stop     context.Context  // Run's context: start no new delivery
	dctx     context.Context  // deliveries' context: cancelled when the shutdown timeout ends
	nready   int              // total jobs in ready
	partial  bool             // the last scan hit its limit
	lastScan time.Time
	timer    *time.Timer
}

// Run is the delivery scheduler: a single goroutine that sleeps until the
// earliest next attempt recorded in the store (or until Submit announces
// new mail), starts deliveries within the global and per-destination
// limits, and collects their results.
//
// When ctx is cancelled, Run starts no new delivery and waits for those
// in flight, up to Options.ShutdownTimeout: a transaction under way
// finishes and is recorded as usual. One that is still running then is
// cut and recorded as not attempted (see record), so that it is retried
// at once on the next start instead of after the backoff. Run returns
// when every delivery has recorded its outcome.
func (q *Queue) Run(ctx context.Context) error {
	s := &scheduler{
		q: q, known: map[job]bool{}, ready: map[string][]job{},
		perDest: map[string]int{}, done: make(chan jobResult, q.opts.Concurrency),
		timer: time.NewTimer(time.Hour),
	}
	defer s.timer.Stop()
	// Deliveries run under their own context, which outlives ctx by the
	// shutdown timeout; ctx itself only tells them not to start one.
	dctx, abort := context.WithCancel(context.WithoutCancel(ctx))
	s.stop, s.dctx = ctx, dctx
	defer func() {
		s.drain(abort)
		q.pool.closeAll()
		abort()
	}()
	// Start-up: everything due (including what was queued before a
	// restart) comes from the index.
	if err := s.scan(ctx); err != nil {
		return err
	}
	for {
		s.dispatch(ctx)
		if err := s.arm(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-q.wake:
			jobs, scan := q.takeInbox()
			for _, j := range jobs {
				s.add(j)
			}
			if scan {
				if err := s.scan(ctx); err != nil {
					return err
				}
			}
		case <-s.timer.C:
			if err := s.scan(ctx); err != nil {
				return err
			}
		case r := <-s.done:
			s.finish(r)
			if r.scan || (s.nready == 0 && s.partial) {
				if err := s.scan(ctx); err != nil {
					return err
				}
			}
		}
	}
}

// drain waits for the workers in flight, calling abort (which cuts their
// connections) when the shutdown timeout has passed.
func (s *scheduler) drain(abort context.CancelFunc) {
	if s.running == 0 {
		return
	}
	s.q.log.Info("queue: waiting for deliveries in flight", "deliveries", s.running, "timeout", s.q.opts.ShutdownTimeout)
	grace := time.AfterFunc(s.q.opts.ShutdownTimeout, abort)
	defer grace.Stop()
	for s.running > 0 {
		s.finish(<-s.done)
	}
}

// add puts a job in its destination's ready list unless it is known.
func (s *scheduler) add(j job) {
	if s.known[j] {
		return
	}
	s.known[j] = true
	if len(s.ready[j.dest]) == 0 {
		s.order = append(s.order, j.dest)
	}
	s.ready[j.dest] = append(s.ready[j.dest], j)
	s.nready++
}

// scan reads the due index and adds the jobs not yet known. It reads at
// most a window beyond the jobs already in memory: a larger backlog is
// picked up as the ready lists drain.
func (s *scheduler) scan(ctx context.Context) error {
	now := time.Now()
	s.lastScan = now
	limit := min(len(s.known)+4*s.q.opts.Concurrency, 4096)
	due, err := s.q.st.QueueDue(ctx, now, limit)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("queue: read due messages: %w", err)
	}
	s.partial = len(due) == limit
	for i := range due {
		m := &due[i]
		for _, r := range m.Recipients {
			if r.State.Pending() && !r.NextAttempt.After(now) {
				s.add(job{id: m.ID, dest: s.q.destination(r.Address)})
			}
		}
	}
	return nil
}

// dispatch starts ready jobs while slots are free, round-robin over the
// destinations so that one busy domain does not hold up the others.
func (s *scheduler) dispatch(ctx context.Context) {
	limit := s.q.opts.PerDomainConcurrency
	if s.q.opts.Relay != nil {
		limit = s.q.opts.Concurrency // one destination: the relay
	}
	for progress := true; progress && s.running < s.q.opts.Concurrency && ctx.Err() == nil; {
		progress = false
		for i := 0; i < len(s.order) && s.running < s.q.opts.Concurrency; i++ {
			d := s.order[i]
			if s.perDest[d] >= limit {
				continue
			}
			list := s.ready[d]
			j := list[0]
			if len(list) == 1 {
				delete(s.ready, d)
				s.order = append(s.order[:i], s.order[i+1:]...)
				i--
			} else {
				s.ready[d] = list[1:]
			}
			s.nready--
			s.running++
			s.perDest[d]++
			progress = true
			go func() {
				s.done <- jobResult{job: j, scan: s.q.attempt(s.stop, s.dctx, j)}
			}()
		}
	}
}

// finish books a worker's end.
func (s *scheduler) finish(r jobResult) {
	delete(s.known, r.job)
	s.running--
	if s.perDest[r.job.dest]--; s.perDest[r.job.dest] <= 0 {
		delete(s.perDest, r.job.dest)
	}
}

// arm sets the timer to the earliest next attempt in the store. While
// due mail is already in memory (the index's first entry is in the past),
// it falls back to a slow rescan so that other mail falling due is seen.
func (s *scheduler) arm(ctx context.Context) error {
	next, ok, err := s.q.st.QueueNextDue(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("queue: read next due time: %w", err)
	}
	wait := time.Hour
	if ok {
		wait = time.Until(next)
		if wait <= 0 {
			// Due, but perhaps in memory already: rescan now unless
			// a scan just ran.
			wait = max(0, backlogRescan-time.Since(s.lastScan))
		}
	}
	s.timer.Reset(wait)
	return nil
}

// destination is the key deliveries are grouped and limited by: the
// recipient's domain, or "" for everything when a relay is configured.
func (q *Queue) destination(addr string) string {
	if q.opts.Relay != nil {
		return ""
	}
	return domainOf(addr)
}

// domainOf returns the lower-cased domain of an address.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
	}
	return ""
}
