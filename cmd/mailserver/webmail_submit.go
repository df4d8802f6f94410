package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/mailserver/mailserver/httpd/webmail"
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/smtpd"
	"github.com/mailserver/mailserver/store"
)

// webmailSubmitter is the webmail's way to send: the submission path's
// rules over the same queue (nil, sending off, without a queue).
func webmailSubmitter(e *env) webmail.Submitter {
	if e.queue == nil {
		return nil
	}
	return &submitter{
		st: e.store, q: e.queue, log: e.log.With("service", "webmail-submit"),
		hostname: e.cfg.Hostname, maxBytes: e.cfg.SMTP.MaxMessageBytes, maxRcpts: e.cfg.SMTP.MaxRecipients,
		now: time.Now,
	}
}

// submitStore is what sending needs of the store.
type submitStore interface {
	UserByAddress(ctx context.Context, address string) (*store.User, error)
	MaySendAs(ctx context.Context, user *store.User, address string) (bool, error)
	SendAsAddresses(ctx context.Context, user *store.User) ([]string, error)
	Resolve(ctx context.Context, address string) ([]store.Route, bool, error)
	CheckQuota(ctx context.Context, userID uint64, size int64) error
}

// submitQueue is the queue's submission entry (*queue.Queue).
type submitQueue interface {
	Submit(ctx context.Context, env *queue.Envelope, body *store.Body) (*queue.Result, error)
}

// submitter applies to a webmail message what smtpd applies to an
// authenticated submission (smtpd/session.go Mail and Rcpt, header.go
// checkSubmission): the envelope sender and every From:/Sender: address
// must be the user's (store.MaySendAs), exactly one From:, at most one
// Sender: and one when From: has several mailboxes (RFC 5322 §3.6.2),
// the [smtp] max_message_bytes and max_recipients limits, recipients of
// local domains must exist and have room; then queue.Submit with AuthUser
// set, so DKIM signing and routing are the submission path's.
type submitter struct {
	st       submitStore
	q        submitQueue
	log      *slog.Logger
	hostname string
	maxBytes int64
	maxRcpts int
	now      func() time.Time
}

var _ webmail.Submitter = (*submitter)(nil)

func (s *submitter) MaxMessageBytes() int64 { return s.maxBytes }

// user is the session's user, still the same account (an address deleted
// and added again is another user).
func (s *submitter) user(ctx context.Context, id uint64, address string) (*store.User, error) {
	u, err := s.st.UserByAddress(ctx, address)
	if err != nil {
		return nil, fmt.Errorf("webmail submit: user %s: %w", address, err)
	}
	if u.ID != id {
		return nil, fmt.Errorf("webmail submit: user %s is not user %d", address, id)
	}
	return u, nil
}

func (s *submitter) Identities(ctx context.Context, userID uint64, address string) ([]string, error) {
	u, err := s.user(ctx, userID, address)
	if err != nil {
		return nil, err
	}
	return s.st.SendAsAddresses(ctx, u)
}

func (s *submitter) Submit(ctx context.Context, m *webmail.Outgoing) error {
	u, err := s.user(ctx, m.UserID, m.UserAddress)
	if err != nil {
		return err
	}
	if s.maxBytes > 0 && int64(len(m.Message)) > s.maxBytes {
		return webmail.ErrMessageTooLarge
	}
	body, err := store.ReadBody(bytes.NewReader(m.Message), s.maxBytes)
	if errors.Is(err, store.ErrTooLarge) {
		return webmail.ErrMessageTooLarge
	}
	if err != nil {
		return fmt.Errorf("webmail submit: %w", err)
	}
	// The envelope sender (smtpd Mail: MaySendAs for MAIL FROM).
	if ok, err := s.st.MaySendAs(ctx, u, m.From); err != nil {
		return fmt.Errorf("webmail submit: %w", err)
	} else if !ok {
		s.log.Warn("sender refused", "user", u.Address, "from", m.From)
		return webmail.ErrSenderNotAllowed
	}
	// The header (smtpd checkSubmission).
	h, err := textproto.ReadHeader(bufio.NewReader(body.Reader()))
	if err != nil {
		return fmt.Errorf("webmail submit: malformed header: %w", err)
	}
	addrs, err := smtpd.Originators(h) // the rules of port 587
	if err != nil {
		s.log.Warn("submission refused", "user", u.Address, "reason", err)
		return webmail.ErrSenderNotAllowed
	}
	for _, a := range addrs {
		if ok, err := s.st.MaySendAs(ctx, u, a); err != nil {
			return fmt.Errorf("webmail submit: %w", err)
		} else if !ok {
			s.log.Warn("From: or Sender: refused", "user", u.Address, "address", a)
			return webmail.ErrSenderNotAllowed
		}
	}
	// The recipients (smtpd Rcpt): routed now, so that an unknown local
	// address or a full mailbox is refused before anything is sent.
	if len(m.Recipients) == 0 {
		return &webmail.RecipientsError{Refused: []webmail.RecipientRefusal{{Reason: "no recipient"}}}
	}
	if s.maxRcpts > 0 && len(m.Recipients) > s.maxRcpts {
		return &webmail.RecipientsError{Refused: []webmail.RecipientRefusal{{
			Address: m.Recipients[s.maxRcpts], Reason: fmt.Sprintf("at most %d recipients per message", s.maxRcpts)}}}
	}
	var rcpts []queue.Recipient
	var refused []webmail.RecipientRefusal
	for _, to := range m.Recipients {
		routes, local, err := s.st.Resolve(ctx, to)
		switch {
		case errors.Is(err, store.ErrNotFound):
			refused = append(refused, webmail.RecipientRefusal{Address: to, Reason: "no such mailbox here"})
			continue
		case errors.Is(err, store.ErrInvalidAddress):
			refused = append(refused, webmail.RecipientRefusal{Address: to, Reason: "not a valid address"})
			continue
		case err != nil:
			return fmt.Errorf("webmail submit: route %s: %w", to, err)
		}
		for _, r := range routes {
			if r.Local == nil {
				continue
			}
			if err := s.st.CheckQuota(ctx, r.Local.ID, body.Size()); errors.Is(err, store.ErrOverQuota) {
				refused = append(refused, webmail.RecipientRefusal{Address: to, Reason: "mailbox full"})
			} else if err != nil {
				return fmt.Errorf("webmail submit: quota of %s: %w", to, err)
			}
		}
		rcpts = append(rcpts, queue.Recipient{Address: to, Resolved: true, Routes: routes, Local: local})
	}
	if len(refused) > 0 {
		return &webmail.RecipientsError{Refused: refused}
	}

	id := newSubmitID()
	mh := mail.Header{Header: gomessage.Header{Header: h}}
	var extra strings.Builder
	// RFC 5322 §3.6.7 trace field; there is no SMTP client to name, so
	// only who submitted it and how.
	fmt.Fprintf(&extra, "Received: by %s (webmail) id %s\r\n\t(authenticated as %s);\r\n\t%s\r\n",
		s.hostname, id, u.Address, s.now().Format(time.RFC1123Z))
	if !mh.Has("Message-Id") {
		fmt.Fprintf(&extra, "Message-ID: <%s@%s>\r\n", strings.ToLower(id), s.hostname)
	}
	if !mh.Has("Date") {
		fmt.Fprintf(&extra, "Date: %s\r\n", s.now().Format(time.RFC1123Z))
	}
	body.Prepend([]byte(extra.String()))

	env := &queue.Envelope{
		From: m.From, Recipients: rcpts, AuthUser: u.Address,
		SMTPUTF8: m.SMTPUTF8, Body8Bit: has8Bit(m.Message),
	}
	res, err := s.q.Submit(ctx, env, body)
	if err != nil {
		return fmt.Errorf("webmail submit: %w", err)
	}
	// Filtered: a local recipient's Sieve script took the message
	// (discard, reject with a DSN, redirect only): it was accepted.
	if res.Local+res.Remote+res.Filtered == 0 {
		if len(res.Failed) > 0 {
			return fmt.Errorf("webmail submit: %s: %w", res.Failed[0].Address, res.Failed[0].Err)
		}
		return errors.New("webmail submit: no recipient stored")
	}
	for _, f := range res.Failed {
		s.log.Warn("recipient not delivered", "id", id, "rcpt", f.Address, "err", f.Err)
	}
	s.log.Info("message accepted", "id", id, "user", u.Address, "from", m.From, "rcpts", len(rcpts),
		"size", body.Size(), "local", res.Local, "remote", res.Remote, "queue_id", res.QueueID)
	return nil
}

func has8Bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// newSubmitID is the id in the trace field and the logs.
func newSubmitID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
