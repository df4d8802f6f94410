package queue

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mailserver/mailserver/store"
)

// attempt runs one delivery job: it records the attempt before dialling
// (the claimed recipients' next attempt moves to the retry time, so a
// crash mid-attempt neither loses the message nor retries it in a storm),
// delivers outside any transaction, then records every recipient's
// outcome together with the DSN it calls for, in one transaction. It
// reports whether the scheduler must read the due index (a DSN was queued
// for remote delivery).
//
// stop ends when the queue shuts down: no new session is opened then.
// ctx ends when the shutdown timeout has passed: the connections in use
// are cut, and the recipients they carried are recorded as not attempted.
func (q *Queue) attempt(stop, ctx context.Context, j job) bool {
	if stop.Err() != nil {
		return false
	}
	// Recording must survive shutdown: what was done must be written.
	rec := context.WithoutCancel(ctx)
	now := time.Now()
	var msg store.QueuedMessage
	var claimed []store.QueuedRecipient
	var prevLast []time.Time // LastAttempt before the claim
	_, err := q.st.QueueUpdate(rec, j.id, func(m *store.QueuedMessage) (*store.Submission, error) {
		claimed, prevLast = claimed[:0], prevLast[:0]
		expires := m.Created.Add(q.opts.Lifetime)
		for i := range m.Recipients {
			r := &m.Recipients[i]
			if !r.State.Pending() || r.NextAttempt.After(now) || q.destination(r.Address) != j.dest {
				continue
			}
			prevLast = append(prevLast, r.LastAttempt)
			r.Attempts++
			r.LastAttempt = now
			r.NextAttempt = q.nextAttempt(now, r.Attempts, expires)
			claimed = append(claimed, *r)
		}
		msg = *m
		msg.Recipients = nil
		return nil, nil
	})
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			q.log.Error("queue: recording a delivery attempt failed", "queue_id", j.id, "err", err)
		}
		return false
	}
	if len(claimed) == 0 {
		return false
	}
	outs := q.deliver(stop, ctx, j.dest, &msg, claimed)
	if ctx.Err() != nil {
		// Cut by the end of the shutdown timeout: what failed without a
		// reply from the remote was not attempted.
		for i := range outs {
			if outs[i].state == store.RcptDeferred && !outs[i].remote {
				outs[i].interrupted = true
			}
		}
	}
	return q.record(rec, &msg, claimed, prevLast, outs)
}

// deliver sends msg to the claimed recipients of one destination and
// returns their outcomes, in order. Once stop has ended, no session is
// opened: the recipients are then not attempted.
func (q *Queue) deliver(stop, ctx context.Context, dest string, msg *store.QueuedMessage, rcpts []store.QueuedRecipient) []outcome {
	fail := func(o outcome) []outcome {
		out := make([]outcome, len(rcpts))
		for i := range out {
			out[i] = o
		}
		return out
	}
	for try := 0; ; try++ {
		var cn *conn
		if try == 0 {
			cn = q.pool.get(dest)
		}
		if cn == nil && stop.Err() != nil {
			return fail(notAttempted())
		}
		if cn == nil {
			var o *outcome
			if cn, o = q.connect(ctx, dest); o != nil {
				return fail(*o)
			}
		}
		out, usable, stale := q.send(cn, msg, rcpts)
		for i := range out {
			out[i].tls = cn.tls
		}
		if stale {
			// Closed by the server while idle. Once more over a fresh
			// session: the other pooled ones are likely closed too.
			cn.abort()
			if try == 0 {
				continue
			}
		}
		if usable && !stale && ctx.Err() == nil {
			// At shutdown too: the pool's closeAll then ends it with QUIT.
			q.pool.put(cn)
		} else {
			cn.abort()
		}
		// Every recipient needs an outcome: one without would leave the
		// queue unrecorded, and the message would be lost.
		for i := range out {
			if out[i].state == "" {
				q.log.Error("queue: delivery ended without an outcome", "queue_id", msg.ID, "to", rcpts[i].Address)
				out[i] = tempFail("4.4.0", "%s: session ended without a reply", dest)
			}
		}
		return out
	}
}

// record writes the outcomes of an attempt, decides which recipients
// expire or get a delay warning, and queues the DSN for them in the same
// transaction. A recipient whose outcome is interrupted is put back as it
// was before the attempt (prevLast holds its LastAttempt then), due now.
func (q *Queue) record(ctx context.Context, msg *store.QueuedMessage, rcpts []store.QueuedRecipient, prevLast []time.Time, outs []outcome) bool {
	now := time.Now()
	expires := msg.Created.Add(q.opts.Lifetime)
	var notes []dsnRecipient
	for i := range rcpts {
		r, o := &rcpts[i], &outs[i]
		if o.interrupted {
			q.log.Info("delivery interrupted by shutdown, not counted as an attempt",
				"queue_id", msg.ID, "from", msg.Sender, "to", r.Address, "relay", o.remoteMTA, "reason", o.String())
			continue
		}
		action := ""
		switch o.state {
		case store.RcptDelivered:
			if o.dsnRelayed {
				action = actionRelayed // RFC 3461 §6.2.3
			}
		case store.RcptDeferred:
			if !now.Before(expires) {
				// RFC 5321 §4.5.4.1: give up after the lifetime.
				mta := o.remoteMTA
				*o = permFail(554, "5.4.7", "delivery time expired after %s; last error: %s", q.opts.Lifetime, o.String())
				o.remoteMTA = mta
				action = actionFailed
			} else if q.opts.DelayWarning > 0 && !r.DelayWarned && now.Sub(msg.Created) >= q.opts.DelayWarning {
				action = actionDelayed
			}
		case store.RcptFailed:
			action = actionFailed
		}
		kind := map[string]string{actionFailed: "FAILURE", actionDelayed: "DELAY", actionRelayed: "SUCCESS"}[action]
		if action != "" && msg.Sender != "" && notifies(r, kind) {
			notes = append(notes, dsnRecipient{rcpt: *r, action: action, o: *o, until: expires})
		}
		q.logAttempt(msg, r, o, now)
		q.opts.Metrics.attempted(o.state, q.opts.Relay != nil) // metrics.go
	}
	var dsn *store.Submission
	if len(notes) > 0 {
		dsn = q.makeDSN(ctx, msg, notes, now)
	}
	_, err := q.st.QueueUpdate(ctx, msg.ID, func(m *store.QueuedMessage) (*store.Submission, error) {
		for i := range rcpts {
			k := slices.IndexFunc(m.Recipients, func(x store.QueuedRecipient) bool {
				return strings.EqualFold(x.Address, rcpts[i].Address)
			})
			if k < 0 || !m.Recipients[k].State.Pending() {
				continue // bounced or changed by an administrator meanwhile
			}
			r, o := &m.Recipients[k], &outs[i]
			if o.interrupted {
				// Not attempted: undo the claim, and due at once.
				r.Attempts = max(0, rcpts[i].Attempts-1)
				r.LastAttempt = prevLast[i]
				r.NextAttempt = now
				continue
			}
			r.State = o.state
			r.LastCode, r.LastEnhanced, r.LastError, r.RemoteMTA = o.code, o.enhanced, o.String(), o.remoteMTA
			if o.state == store.RcptDeferred {
				r.NextAttempt = q.nextAttempt(now, r.Attempts, expires)
				if slices.ContainsFunc(notes, func(n dsnRecipient) bool {
					return n.action == actionDelayed && strings.EqualFold(n.rcpt.Address, r.Address)
				}) {
					r.DelayWarned = true
				}
			}
		}
		return dsn, nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		q.log.Error("queue: recording delivery results failed", "queue_id", msg.ID, "err", err)
		return false
	}
	return dsn != nil && dsn.Outbound != nil
}

// makeDSN builds the DSN for notes and routes it to msg's sender; nil if
// that fails (logged: the delivery results are recorded regardless).
func (q *Queue) makeDSN(ctx context.Context, msg *store.QueuedMessage, notes []dsnRecipient, now time.Time) *store.Submission {
	body, err := q.st.OpenBody(msg.BodyID)
	if err != nil {
		q.log.Error("queue: DSN: open message", "queue_id", msg.ID, "err", err)
		return nil
	}
	dsn, err := q.buildDSN(msg, notes, body, now)
	if err != nil {
		q.log.Error("queue: DSN", "queue_id", msg.ID, "err", err)
		return nil
	}
	p, err := q.prepareDSN(ctx, msg.Sender, dsn, now)
	if err != nil {
		q.log.Error("queue: DSN: route", "queue_id", msg.ID, "sender", msg.Sender, "err", err)
		return nil
	}
	return p.sub
}

// logAttempt writes the one line per recipient and attempt, in the spirit
// of Postfix's "status=sent/deferred/bounced"; tls= names the TLS version
// of the session (Postfix's "TLS connection established ... TLSv1.3"), or
// "none" when the message went, or would have gone, in plaintext.
func (q *Queue) logAttempt(msg *store.QueuedMessage, r *store.QueuedRecipient, o *outcome, now time.Time) {
	status := map[store.RecipientState]string{store.RcptDelivered: "sent", store.RcptDeferred: "deferred", store.RcptFailed: "bounced"}[o.state]
	q.log.Info("delivery",
		"queue_id", msg.ID, "from", msg.Sender, "to", r.Address, "relay", o.remoteMTA,
		"attempt", r.Attempts, "delay", now.Sub(msg.Created).Round(time.Millisecond).String(),
		"status", status, "tls", cmp.Or(o.tls, "none"), "code", o.code, "dsn", o.enhanced, "reply", o.String())
}
