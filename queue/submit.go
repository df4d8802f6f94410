package queue

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailserver/mailserver/store"
)

// Envelope is the SMTP envelope of an accepted message.
type Envelope struct {
	// From is the reverse path; "" is the null sender (bounces).
	From       string
	Recipients []Recipient
	// DSN parameters of MAIL FROM (RFC 3461 §4.3, §4.4).
	EnvelopeID string
	Ret        string // "FULL", "HDRS" or ""
	SMTPUTF8   bool   // the message needs SMTPUTF8 (RFC 6531)
	Body8Bit   bool   // BODY=8BITMIME
	// AuthUser is the authenticated submitter's address, if any (kept
	// with queued mail for the logs).
	AuthUser string
	// Trusted says the client may send as the local domains without
	// AUTH (a trusted network). Only mail with AuthUser or Trusted, and
	// the queue's own DSNs, is DKIM-signed: a message from the internet
	// with a forged local From that reaches an alias forwarding to a
	// remote address must not leave with our signature (dkim.go).
	Trusted bool
	// Junk puts the local copies in each user's Junk mailbox (RFC 6154
	// \Junk, else INBOX): inbound mail that failed DMARC of a domain
	// asking for quarantine (RFC 7489 §6.3).
	Junk bool
	// Spam is the spam filter's verdict: the local copies go to Junk,
	// except for users who asked for their spam in INBOX
	// (store.User.SpamToInbox), where only the added header fields mark it.
	Spam bool
	// RejectAtData says the client waits for the reply to DATA and may be
	// refused (port 25): when Sieve scripts reject the message for every
	// recipient, Submit stores nothing and returns a *RejectedError (550
	// 5.7.1, RFC 5429 §2.1). Otherwise a reject becomes a DSN.
	RejectAtData bool

	// own marks the queue's own messages (DSNs, vacation replies), which
	// no Sieve script filters.
	own bool
}

// Recipient is one RCPT TO with its DSN parameters (RFC 3461 §4.1, §4.2).
type Recipient struct {
	Address string
	Notify  []string // NEVER, or any of SUCCESS, FAILURE, DELAY
	ORcpt   string   // original recipient, "rfc822;addr"

	// Resolved says that Routes and Local are what store.Resolve
	// returned for Address moments ago (smtpd resolves at RCPT), so
	// Submit routes with them rather than resolving again.
	Resolved bool
	Routes   []store.Route
	Local    bool
}

// MaxReceived is the most Received header fields a message may carry
// before it is taken for a mail loop (RFC 5321 §6.3 suggests a count).
const MaxReceived = 50

// ErrLoop: the message has more than MaxReceived Received fields.
var ErrLoop = errors.New("queue: mail loop: too many Received header fields")

// RecipientError is a recipient Submit could not take.
type RecipientError struct {
	Address string
	Err     error // store.ErrNotFound, store.ErrOverQuota, ...
}

// Result reports what Submit stored.
type Result struct {
	QueueID uint64 // outbound entry, 0 if no remote recipient
	Local   int    // local copies stored
	Remote  int    // remote recipients queued
	// Failed lists recipients that were not stored. SMTP refuses unknown
	// and over-quota recipients at RCPT already, so here they only arise
	// from a race (a quota filled meanwhile).
	Failed []RecipientError
	// Filtered counts the local recipients whose Sieve script kept no
	// copy (discard, redirect, reject with a DSN): taken care of,
	// although nothing may have been stored for them.
	Filtered int
}

// Submit routes env's recipients and stores body (CRLF line endings, as
// store.ReadBody makes them) durably: one copy per local account, with a
// Return-Path header (RFC 5321 §4.4), and one outbound queue entry for all
// remote recipients (aliases to external addresses included; when there
// is one, the envelope sender of the entry is rewritten with SRS, see
// srs.go). A local account reached through several recipients or
// aliases gets one copy. It returns after the commit is on disk.
//
// Recipients that could not be stored (Result.Failed: a quota filled
// since RCPT, an address gone) are bounced to a non-null sender whose
// NOTIFY allows it, in a DSN submitted after the message itself, provided
// the message was stored for another recipient (if it was stored for none,
// the caller refuses it and the client learns of the failure then).
func (q *Queue) Submit(ctx context.Context, env *Envelope, body *store.Body) (*Result, error) {
	if n := countReceived(body.Reader()); n > MaxReceived {
		return nil, fmt.Errorf("%w (%d)", ErrLoop, n)
	}
	p, err := q.prepare(ctx, env, body, time.Now())
	if err != nil {
		return nil, err
	}
	res := &Result{Failed: p.failed}
	if p.sub != nil {
		sr, err := q.st.Submit(ctx, p.sub)
		if err != nil {
			return nil, fmt.Errorf("queue: submit: %w", err)
		}
		// A user with several copies (Sieve fileinto) failed only when
		// none of them was stored.
		storedFor := map[uint64]bool{}
		for i, d := range sr.Local {
			if d.Err == nil {
				storedFor[p.sub.Local[i].UserID] = true
				res.Local++
			}
		}
		failed := map[uint64]bool{}
		for i, d := range sr.Local {
			if uid := p.sub.Local[i].UserID; d.Err != nil && !storedFor[uid] && !failed[uid] {
				failed[uid] = true
				res.Failed = append(res.Failed, RecipientError{Address: p.localRcpt[i], Err: d.Err})
			}
		}
		if sr.QueueID != 0 {
			res.QueueID, res.Remote = sr.QueueID, len(p.sub.Outbound.Recipients)
			q.announce(sr.QueueID, p.sub.Outbound.Recipients)
		}
		for i, ar := range sr.Also {
			if ar.QueueID != 0 {
				q.announce(ar.QueueID, p.sub.Also[i].Outbound.Recipients)
			}
			if ar.Suppressed {
				q.log.Debug("vacation reply already sent in this period", "sender", env.From)
			}
		}
	}
	res.Filtered = p.filtered
	// When nothing was stored the caller refuses the whole message (the
	// SMTP client gets the error), so a DSN would notify twice.
	if len(res.Failed) > 0 && env.From != "" && res.Local+res.Remote+res.Filtered > 0 {
		q.bounceRejected(ctx, env, body, res.Failed)
	}
	q.opts.Metrics.submitted(res) // metrics.go
	return res, nil
}

// prepared is a routed message, ready for store.Submit.
type prepared struct {
	sub       *store.Submission // nil: nothing to store
	localRcpt []string          // the recipient address of each sub.Local
	failed    []RecipientError  // recipients that route nowhere
	filtered  int               // Result.Filtered
}

// prepare routes env's recipients (see Submit) into a Submission whose
// remote recipients are due at now.
func (q *Queue) prepare(ctx context.Context, env *Envelope, body *store.Body, now time.Time) (*prepared, error) {
	p := &prepared{}
	var locals []store.LocalDelivery
	seenUser := map[uint64]bool{}
	var remote []store.QueuedRecipient
	seenRemote := map[string]bool{}
	forwarder := "" // the local domain of the first alias forwarding to a remote address
	filtering := q.opts.Sieve.Store != nil && !env.own
	msg := &filterMessage{body: body}
	var redirects []redirectTask
	var vacations []vacationTask
	var rejections []rejection
	for _, rcpt := range env.Recipients {
		routes, local, err := rcpt.Routes, rcpt.Local, error(nil)
		if !rcpt.Resolved {
			routes, local, err = q.st.Resolve(ctx, rcpt.Address)
		}
		if err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidAddress) {
				p.failed = append(p.failed, RecipientError{Address: rcpt.Address, Err: err})
				continue
			}
			return nil, fmt.Errorf("queue: route %s: %w", rcpt.Address, err)
		}
		if !local {
			routes = []store.Route{{Remote: rcpt.Address}}
		}
		for _, r := range routes {
			switch {
			case r.Local != nil && !seenUser[r.Local.ID]:
				seenUser[r.Local.ID] = true
				d := store.LocalDelivery{UserID: r.Local.ID}
				if env.Junk || (env.Spam && !r.Local.SpamToInbox) {
					d.SpecialUse = `\Junk`
				}
				var f *filtered
				if filtering {
					var err error
					if f, err = q.filter(ctx, env, rcpt.Address, r.Local, d, msg, now); err != nil {
						return nil, fmt.Errorf("queue: sieve script of %s: %w", r.Local.Address, err)
					}
				}
				if f == nil {
					locals = append(locals, d)
					p.localRcpt = append(p.localRcpt, rcpt.Address)
					continue
				}
				for _, fd := range f.deliveries {
					locals = append(locals, fd)
					p.localRcpt = append(p.localRcpt, rcpt.Address)
				}
				if len(f.deliveries) == 0 {
					p.filtered++
				}
				for _, a := range f.redirects {
					redirects = append(redirects, redirectTask{rcpt: rcpt, user: r.Local, address: a})
				}
				if f.reject != nil {
					rejections = append(rejections, rejection{rcpt: rcpt, user: r.Local.Address, reason: f.reject.Reason})
				}
				if f.vacation != nil {
					vacations = append(vacations, vacationTask{user: r.Local, rcpt: rcpt.Address, action: f.vacation, seconds: f.seconds, script: f.script})
				}
			case r.Remote != "" && !seenRemote[strings.ToLower(r.Remote)]:
				seenRemote[strings.ToLower(r.Remote)] = true
				orcpt := rcpt.ORcpt
				if orcpt == "" && !strings.EqualFold(r.Remote, rcpt.Address) {
					orcpt = "rfc822;" + rcpt.Address // RFC 3461 §4.2: keep the original
				}
				if local && forwarder == "" {
					forwarder = addressDomain(rcpt.Address)
				}
				remote = append(remote, store.QueuedRecipient{
					Address: r.Remote, Notify: rcpt.Notify, ORcpt: orcpt,
					State: store.RcptQueued, NextAttempt: now,
				})
			}
		}
	}
	// Redirects (RFC 5228 §4.2) go where mail for their address goes:
	// a local account gets a copy in INBOX (unfiltered, so scripts
	// cannot loop through each other), a remote address joins the
	// outbound entry, with the SRS sender of the redirecting user's
	// domain, as alias forwarding has.
	for _, rd := range redirects {
		routes, local, err := q.st.Resolve(ctx, rd.address)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidAddress) {
			q.log.Warn("sieve redirect to an address that does not exist; ignored",
				"user", rd.user.Address, "address", rd.address)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("queue: route redirect to %s: %w", rd.address, err)
		}
		if !local {
			routes = []store.Route{{Remote: rd.address}}
		}
		for _, r := range routes {
			switch {
			case r.Local != nil && !seenUser[r.Local.ID]:
				seenUser[r.Local.ID] = true
				locals = append(locals, store.LocalDelivery{UserID: r.Local.ID})
				p.localRcpt = append(p.localRcpt, rd.address)
			case r.Remote != "" && !seenRemote[strings.ToLower(r.Remote)]:
				seenRemote[strings.ToLower(r.Remote)] = true
				orcpt := rd.rcpt.ORcpt
				if orcpt == "" {
					orcpt = "rfc822;" + rd.rcpt.Address
				}
				if forwarder == "" {
					forwarder = addressDomain(rd.user.Address)
				}
				remote = append(remote, store.QueuedRecipient{
					Address: r.Remote, Notify: rd.rcpt.Notify, ORcpt: orcpt,
					State: store.RcptQueued, NextAttempt: now,
				})
			}
		}
	}
	var also []*store.Submission
	for i := range vacations {
		a, err := q.vacationSubmission(ctx, env, &vacations[i], msg, now)
		if err != nil {
			return nil, err
		}
		if a != nil {
			also = append(also, a)
		}
	}
	if len(rejections) > 0 {
		if env.RejectAtData && len(locals) == 0 && len(remote) == 0 && len(also) == 0 && len(rejections) == len(env.Recipients) {
			r := rejections[0]
			q.log.Info("message rejected by a sieve script", "user", r.user, "from", env.From)
			return nil, &RejectedError{Recipient: r.rcpt.Address, Reason: rejectReplyText(r.reason)}
		}
		a, err := q.rejectDSN(ctx, env, body, rejections, now)
		if err != nil {
			return nil, err
		}
		if a != nil {
			also = append(also, a)
		}
	}
	if len(locals) == 0 && len(remote) == 0 && len(also) == 0 {
		return p, nil
	}
	sub := &store.Submission{Body: body, Local: locals, Also: also}
	// What leaves is DKIM-signed here, once: the signature is part of
	// the stored outbound body (dkim.go).
	outbound := body
	if len(remote) > 0 && (env.AuthUser != "" || env.Trusted) {
		sig, err := q.dkimSign(ctx, body.Reader(), now)
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		if sig != nil {
			signed := *body
			signed.Prepend(sig)
			outbound = &signed
			sub.Body = outbound
		}
	}
	if len(locals) > 0 {
		local := *body
		local.Prepend([]byte("Return-Path: <" + env.From + ">\r\n"))
		sub.Body = &local
		if len(remote) > 0 {
			sub.OutboundBody = outbound
		}
	}
	if len(remote) > 0 {
		sender, err := q.srsSender(ctx, env.From, forwarder, now)
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		qm := &store.QueuedMessage{
			Sender: sender, EnvelopeID: env.EnvelopeID, Ret: env.Ret,
			SMTPUTF8: env.SMTPUTF8, Body8Bit: env.Body8Bit, Recipients: remote,
		}
		if env.AuthUser != "" {
			qm.Meta = map[string]string{"auth": env.AuthUser}
		}
		if sender != env.From {
			if qm.Meta == nil {
				qm.Meta = map[string]string{}
			}
			qm.Meta["srs-from"] = env.From // for the logs and `queue show`
		}
		sub.Outbound = qm
	}
	p.sub = sub
	return p, nil
}

// bounceRejected sends the sender a DSN for the recipients Submit could
// not store. The message itself is stored already, so a failure here is
// only logged.
func (q *Queue) bounceRejected(ctx context.Context, env *Envelope, body *store.Body, failed []RecipientError) {
	now := time.Now()
	m := &store.QueuedMessage{Sender: env.From, EnvelopeID: env.EnvelopeID, Ret: env.Ret, Size: body.Size(), Created: now}
	var rs []dsnRecipient
	for _, f := range failed {
		var r *Recipient
		for i := range env.Recipients {
			if strings.EqualFold(env.Recipients[i].Address, f.Address) {
				r = &env.Recipients[i]
				break
			}
		}
		qr := store.QueuedRecipient{Address: f.Address}
		if r != nil {
			qr.Notify, qr.ORcpt = r.Notify, r.ORcpt
		}
		if !notifies(&qr, "FAILURE") {
			continue
		}
		o := permFail(550, "5.1.1", "no such recipient")
		if errors.Is(f.Err, store.ErrOverQuota) {
			o = permFail(552, "5.2.2", "mailbox full")
		}
		rs = append(rs, dsnRecipient{rcpt: qr, action: actionFailed, o: o})
	}
	if len(rs) == 0 {
		return
	}
	dsn, err := q.buildDSN(m, rs, body.Reader(), now)
	if err == nil {
		var p *prepared
		if p, err = q.prepareDSN(ctx, env.From, dsn, now); err == nil && p.sub != nil {
			_, err = q.st.Submit(ctx, p.sub)
			if err == nil && p.sub.Outbound != nil {
				q.requestScan()
			}
		}
	}
	if err != nil {
		q.log.Error("bounce of rejected recipients failed", "sender", env.From, "err", err)
	}
}

// prepareDSN routes a DSN to the original sender, with the null sender.
func (q *Queue) prepareDSN(ctx context.Context, sender string, dsn []byte, now time.Time) (*prepared, error) {
	// Trusted: a DSN is this server's own mail, and signed (dkim.go).
	p, err := q.prepare(ctx, &Envelope{Trusted: true, own: true, Recipients: []Recipient{{Address: sender, Notify: []string{"NEVER"}}}}, store.NewBody(dsn), now)
	if err != nil {
		return nil, err
	}
	if len(p.failed) > 0 {
		q.log.Warn("DSN recipient does not exist; DSN dropped", "recipient", sender)
	}
	return p, nil
}

// countReceived counts the Received fields of a message's header.
func countReceived(r io.Reader) int {
	br := bufio.NewReader(r)
	n := 0
	for {
		line, err := br.ReadSlice('\n')
		if len(bytes.TrimRight(line, "\r\n")) == 0 && err != bufio.ErrBufferFull {
			return n // end of header (or of input)
		}
		if len(line) > 9 && bytes.EqualFold(line[:9], []byte("received:")) {
			n++
		}
		if err != nil && err != bufio.ErrBufferFull {
			return n
		}
	}
}
