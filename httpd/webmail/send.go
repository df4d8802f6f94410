package webmail

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Submitter sends mail the way SMTP submission does (cmd implements it
// over the queue): the same sender rules, size limit, DKIM signing and
// routing.
type Submitter interface {
	// Identities are the addresses the user may send as, their own
	// address first.
	Identities(ctx context.Context, userID uint64, address string) ([]string, error)
	// Submit sends m for the user. It returns only after the queue has
	// the message on disk. Errors the user can act on are
	// ErrSenderNotAllowed, ErrMessageTooLarge and *RecipientsError;
	// anything else is the server's.
	Submit(ctx context.Context, m *Outgoing) error
	// MaxMessageBytes is the largest message Submit takes.
	MaxMessageBytes() int64
}

// Outgoing is a message to send.
type Outgoing struct {
	UserID      uint64
	UserAddress string   // the session's user (checked against UserID)
	From        string   // the envelope sender; also the From: address
	Recipients  []string // the envelope recipients: To, Cc and Bcc
	Message     []byte   // CRLF lines, no Bcc field
	SMTPUTF8    bool     // an address is not ASCII (RFC 6531)
}

// ErrSenderNotAllowed: the From: or Sender: field or the envelope sender
// is not one of the user's identities (RFC 6409 §8.1 lets the submission
// server refuse it; the SMTP submission path does the same).
var ErrSenderNotAllowed = errors.New("you may not send as this address")

// ErrMessageTooLarge: the message is over the submission size limit.
var ErrMessageTooLarge = errors.New("the message is larger than the server accepts")

// RecipientsError lists recipients the server refused (an unknown
// address of a local domain, a full mailbox); nothing was sent.
type RecipientsError struct {
	Refused []RecipientRefusal
}

// RecipientRefusal is one refused recipient.
type RecipientRefusal struct{ Address, Reason string }

func (e *RecipientsError) Error() string {
	var s []string
	for _, r := range e.Refused {
		s = append(s, fmt.Sprintf("%s: %s", r.Address, r.Reason))
	}
	return "recipients refused: " + strings.Join(s, "; ")
}
