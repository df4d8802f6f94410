package queue

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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
}

// Recipient is one RCPT TO with its DSN parameters (RFC 3461 §4.1, §4.2).
type Recipient struct {
	Address string
	Notify  []string // NEVER, or any of SUCCESS, FAILURE, DELAY
	ORcpt   string   // original recipient, "rfc822;addr"
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
}

// Submit routes env's recipients and stores body (CRLF line endings, as
// store.ReadBody makes them) durably: one copy per local account, with a
// Return-Path header (RFC 5321 §4.4), and one outbound queue entry for all
// remote recipients (aliases to external addresses included, envelope
// sender kept). A local account reached through several recipients or
// aliases gets one copy. It returns after the commit is on disk.
func (q *Queue) Submit(ctx context.Context, env *Envelope, body *store.Body) (*Result, error) {
	if n := countReceived(body.Reader()); n > MaxReceived {
		return nil, fmt.Errorf("%w (%d)", ErrLoop, n)
	}
	res := &Result{}
	var locals []store.LocalDelivery
	var localRcpt []string // the recipient address of each local delivery
	seenUser := map[uint64]bool{}
	var remote []store.QueuedRecipient
	seenRemote := map[string]bool{}
	for _, rcpt := range env.Recipients {
		routes, local, err := q.st.Resolve(ctx, rcpt.Address)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidAddress) {
				res.Failed = append(res.Failed, RecipientError{Address: rcpt.Address, Err: err})
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
				locals = append(locals, store.LocalDelivery{UserID: r.Local.ID})
				localRcpt = append(localRcpt, rcpt.Address)
			case r.Remote != "" && !seenRemote[strings.ToLower(r.Remote)]:
				seenRemote[strings.ToLower(r.Remote)] = true
				orcpt := rcpt.ORcpt
				if orcpt == "" && !strings.EqualFold(r.Remote, rcpt.Address) {
					orcpt = "rfc822;" + rcpt.Address // RFC 3461 §4.2: keep the original
				}
				remote = append(remote, store.QueuedRecipient{
					Address: r.Remote, Notify: rcpt.Notify, ORcpt: orcpt, State: store.RcptQueued,
				})
			}
		}
	}
	if len(locals) == 0 && len(remote) == 0 {
		return res, nil
	}
	sub := &store.Submission{Body: body, Local: locals}
	if len(locals) > 0 {
		local := *body
		local.Prepend([]byte("Return-Path: <" + env.From + ">\r\n"))
		sub.Body = &local
		if len(remote) > 0 {
			sub.OutboundBody = body
		}
	}
	if len(remote) > 0 {
		qm := &store.QueuedMessage{
			Sender: env.From, EnvelopeID: env.EnvelopeID, Ret: env.Ret,
			SMTPUTF8: env.SMTPUTF8, Body8Bit: env.Body8Bit, Recipients: remote,
		}
		if env.AuthUser != "" {
			qm.Meta = map[string]string{"auth": env.AuthUser}
		}
		sub.Outbound = qm
	}
	sr, err := q.st.Submit(ctx, sub)
	if err != nil {
		return nil, fmt.Errorf("queue: submit: %w", err)
	}
	for i, d := range sr.Local {
		if d.Err != nil {
			res.Failed = append(res.Failed, RecipientError{Address: localRcpt[i], Err: d.Err})
			continue
		}
		res.Local++
	}
	if sr.QueueID != 0 {
		res.QueueID, res.Remote = sr.QueueID, len(remote)
		q.kick()
	}
	return res, nil
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
