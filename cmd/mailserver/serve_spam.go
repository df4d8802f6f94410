package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailserver/mailserver/smtpd/rspamd"
	"github.com/mailserver/mailserver/store"
)

// The spam learner: messages a user moves (or copies) into their Junk
// mailbox are taught to rspamd as spam (/learnspam), messages moved out of
// Junk into anything but Trash as ham (/learnham). It is driven by the
// store's change events, whoever made the change (IMAP now, webmail
// later), so the protocol servers know nothing of it; the event handler
// only queues (the store calls it on its committer goroutine), and a few
// workers post to rspamd's controller, so a MOVE never waits for rspamd.

// learnQueueSize bounds the jobs waiting (one per copy/move command);
// beyond it jobs are dropped, with a warning, rather than blocking the
// store.
const learnQueueSize = 4096

// learnWorkers is how many learn requests are in flight at once: one,
// so that a message moved into Junk and out again is learned in that
// order (the last verdict wins in rspamd).
const learnWorkers = 1

// maxLearnBytes: larger messages are not sent (Bayes learns from the
// text; rspamd's own limit is 50 MB).
const maxLearnBytes = 10 << 20

// learnDedupSize is how many (user, message) verdicts are remembered to
// skip learning the same message the same way twice.
const learnDedupSize = 100000

// learnStore is what the learner reads of the store.
type learnStore interface {
	GetMessages(ctx context.Context, userID, mailboxID uint64, uids []uint32) ([]store.Message, error)
	ReadBodyBytes(bodyID uint64) ([]byte, error)
}

// learner teaches rspamd (rspamd.Client's Learn).
type learner interface {
	Learn(ctx context.Context, spam bool, msg []byte) error
}

type learnJob struct {
	userID, mailboxID uint64
	uids              []uint32
	spam              bool
}

type spamLearner struct {
	st      learnStore
	rspamd  learner
	log     *slog.Logger
	jobs    chan learnJob
	dedup   *learnDedup
	stop    func() // ends the store subscription
	dropped atomic.Int64
	learned atomic.Int64
	failed  atomic.Int64
	warnMu  sync.Mutex
	warned  time.Time
}

// spamWorkers returns the learner, subscribed to the store's changes
// already (so nothing committed after start-up is missed), or nothing
// when [spam] has no rspamd.
func spamWorkers(e *env) []worker {
	c := e.cfg.Spam
	if c.RspamdURL == "" || c.RspamdControllerURL == "" {
		return nil
	}
	l := newSpamLearner(e.store, &rspamd.Client{
		ControllerURL: c.RspamdControllerURL, Password: c.RspamdPassword, Timeout: c.RspamdTimeout.Duration,
		HTTP: rspamdHTTPClient(),
	}, e.log.With("component", "spam-learner"))
	l.stop = e.store.WatchAll(l.onEvent)
	return []worker{l}
}

func newSpamLearner(st learnStore, r learner, log *slog.Logger) *spamLearner {
	return &spamLearner{st: st, rspamd: r, log: log, jobs: make(chan learnJob, learnQueueSize), dedup: newLearnDedup(learnDedupSize)}
}

// onEvent runs on the store's committer goroutine: it only looks at the
// event and queues, never blocks.
func (l *spamLearner) onEvent(e store.Event) {
	if e.Kind != store.EventNew || e.SourceMailboxID == 0 {
		return // deliveries and APPEND are not a user's verdict
	}
	const junk, trash = `\Junk`, `\Trash`
	var spam bool
	switch {
	case e.SpecialUse == junk && e.SourceSpecialUse != junk:
		spam = true
	case e.SourceSpecialUse == junk && e.SpecialUse != junk && e.SpecialUse != trash:
		spam = false
	default:
		return
	}
	job := learnJob{userID: e.UserID, mailboxID: e.MailboxID, uids: append([]uint32(nil), e.UIDs...), spam: spam}
	select {
	case l.jobs <- job:
	default:
		if n := l.dropped.Add(1); l.mayWarn() {
			l.log.Warn("spam learning queue full; a move was not learned", "dropped_total", n)
		}
	}
}

// Run posts the queued jobs until ctx ends.
func (l *spamLearner) Run(ctx context.Context) error {
	defer func() {
		if l.stop != nil {
			l.stop()
		}
	}()
	var wg sync.WaitGroup
	for range learnWorkers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case job := <-l.jobs:
					l.learn(ctx, job)
				}
			}
		})
	}
	wg.Wait()
	l.log.Info("spam learner stopped", "learned", l.learned.Load(), "failed", l.failed.Load(), "dropped", l.dropped.Load())
	return nil
}

func (l *spamLearner) learn(ctx context.Context, job learnJob) {
	msgs, err := l.st.GetMessages(ctx, job.userID, job.mailboxID, job.uids)
	if err != nil {
		// Moved on or deleted since: nothing to learn.
		l.log.Debug("spam learning: messages gone", "user", job.userID, "err", err)
		return
	}
	for _, m := range msgs {
		if m.Size > maxLearnBytes || !l.dedup.first(job.userID, m.BodyID, job.spam) {
			continue
		}
		body, err := l.st.ReadBodyBytes(m.BodyID)
		if err != nil {
			continue
		}
		err = l.rspamd.Learn(ctx, job.spam, body)
		switch {
		case err == nil, errors.Is(err, rspamd.ErrAlreadyLearned):
			l.learned.Add(1)
			l.log.Debug("learned", "user", job.userID, "uid", m.UID, "spam", job.spam)
		case ctx.Err() != nil:
			return
		default:
			l.dedup.forget(job.userID, m.BodyID)
			n := l.failed.Add(1)
			if l.mayWarn() {
				l.log.Warn("spam learning failed", "spam", job.spam, "failed_total", n, "err", err)
			}
		}
	}
}

// mayWarn lets one warning through per minute.
func (l *spamLearner) mayWarn() bool {
	l.warnMu.Lock()
	defer l.warnMu.Unlock()
	now := time.Now()
	if !l.warned.IsZero() && now.Sub(l.warned) < time.Minute {
		return false
	}
	l.warned = now
	return true
}

// learnDedup remembers the last class each (user, body) was learned as,
// for the most recent n; the oldest is forgotten first.
type learnDedup struct {
	mu    sync.Mutex
	class map[dedupKey]bool
	order []dedupKey // ring
	next  int
}

type dedupKey struct{ user, body uint64 }

func newLearnDedup(n int) *learnDedup {
	return &learnDedup{class: make(map[dedupKey]bool), order: make([]dedupKey, 0, n)}
}

// first reports whether (user, body) was not learned as this class last
// time, and records that it now is.
func (d *learnDedup) first(user, body uint64, spam bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := dedupKey{user, body}
	if c, ok := d.class[k]; ok {
		if c == spam {
			return false
		}
		d.class[k] = spam
		return true
	}
	if len(d.order) < cap(d.order) {
		d.order = append(d.order, k)
	} else {
		delete(d.class, d.order[d.next])
		d.order[d.next] = k
		d.next = (d.next + 1) % len(d.order)
	}
	d.class[k] = spam
	return true
}

// forget drops a record whose learning failed, so a later move retries.
func (d *learnDedup) forget(user, body uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.class, dedupKey{user, body})
}
