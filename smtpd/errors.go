package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"syscall"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// Replies. go-smtp sends an *smtp.SMTPError as it is; these are the only
// texts the client sees besides go-smtp's own.
var (
	// RFC 4954 §6.
	errAuthRequired       = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errEncryptionRequired = &smtp.SMTPError{Code: 538, EnhancedCode: smtp.EnhancedCode{5, 7, 11},
		Message: "Encryption required for requested authentication mechanism"}
	errAuthTemporary = &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Temporary authentication failure"}
	errAuthThrottled = &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many failed logins, try again later"}
	errNoAuthHere    = &smtp.SMTPError{Code: 502, EnhancedCode: smtp.EnhancedCode{5, 5, 1},
		Message: "AUTH is not available on this port; use submission (587 or 465)"}
	errAuthzMismatch = &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication failed"}

	// RFC 5321 §3.6.2, §4.2.2; RFC 3463 for the enhanced codes.
	errRelayDenied   = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relay access denied"}
	errUnknownUser   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	errBadRcptSyntax = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Bad recipient address syntax"}
	errNestedMail    = &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "Nested MAIL command"}
	errBadParam      = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 4}, Message: "Invalid ESMTP parameter value"}
	errBadFromSyntax = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "Bad sender address syntax"}
	errNotOwner      = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Sender address is not yours"}
	errFromNotOwner  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "From: header address is not yours"}
	// RFC 6531 §3.5: non-ASCII addresses need SMTPUTF8.
	errNeedUTF8 = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 6, 7}, Message: "Non-ASCII address requires SMTPUTF8"}

	// Quotas (RFC 3463 §3.3).
	errOverQuota    = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full, try again later"}
	errExceedsQuota = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "Message exceeds the mailbox quota"}

	// Content.
	errTooLarge = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too large"}
	errBareCRLF = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: "Message contains a bare CR, or a bare LF next to a '.' line; lines must end in CRLF (RFC 5321 section 2.3.8)"}
	errLineTooLong = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Line too long (RFC 5321 section 4.5.3.1.6)"}
	errLoop        = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 6}, Message: "Mail loop detected: too many Received headers"}
	// Originator fields of a submission, RFC 5322 §3.6, §3.6.2.
	errOneFrom    = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "A message needs exactly one From: header field (RFC 5322 section 3.6)"}
	errOneSender  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "A message may have at most one Sender: header field (RFC 5322 section 3.6)"}
	errBadFrom    = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Malformed From: header field"}
	errBadSender  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Sender: must name exactly one mailbox (RFC 5322 section 3.6.2)"}
	errNeedSender = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "A From: with several mailboxes needs a Sender: (RFC 5322 section 3.6.2)"}
	errBadHeader  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Malformed message header"}
	// RFC 3030 §2 leaves "BDAT 0 LAST" as a whole message open; an
	// empty message is no message (RFC 5322 §3.6: From and Date are
	// required).
	errEmptyMessage = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message is empty"}
	// The command filter is off (another go-smtp), so a chunk cut short
	// could not be told from a whole one (gosmtpguard.go).
	errNoBDAT     = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "BDAT is unavailable, use DATA"}
	errNoneStored = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No recipient could take the message"}

	// Connection level.
	errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Server shutting down, try again later"}
	errDataTimeout  = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Timeout reading message data"}
	errAborted      = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Message transfer aborted"}
	// The store's disk is full (RFC 3463 §3.4: 4.3.1 "Mail system full");
	// the client keeps the connection and retries later.
	errSystemFull = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Mail system full, try again later"}
	// errTemporary is what any unexpected failure becomes.
	errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again later"}
)

// reply turns err into what go-smtp sends. SMTP errors go out as they are
// (go-smtp looks them up by type assertion, so they must not be wrapped);
// known store and queue conditions get their reply; everything else is
// logged with context and answered with a generic temporary failure.
// This is the only place that decides what an internal error looks like on
// the wire.
func reply(log *slog.Logger, what string, err error) error {
	if err == nil {
		return nil
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se
	}
	// RFC 5429 §2.1: a Sieve reject answered at DATA, with the script's
	// reason (the queue made it one line of printable ASCII).
	var rej *queue.RejectedError
	if errors.As(err, &rej) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: rej.Reason}
	}
	switch {
	case errors.Is(err, store.ErrNoSpace):
		return errSystemFull // the store logs the full disk, once
	case errors.Is(err, store.ErrExceedsQuota):
		return errExceedsQuota
	case errors.Is(err, store.ErrOverQuota):
		return errOverQuota
	case errors.Is(err, store.ErrNotFound):
		return errUnknownUser
	case errors.Is(err, store.ErrInvalidAddress):
		return errBadRcptSyntax
	case errors.Is(err, store.ErrTooLarge):
		return errTooLarge
	case errors.Is(err, store.ErrThrottled):
		return errAuthThrottled
	case errors.Is(err, store.ErrAuthUnavailable):
		// RFC 4954 §6: 454 4.7.0 for a temporary authentication failure.
		return errAuthTemporary
	case errors.Is(err, store.ErrAuthFailed):
		return smtp.ErrAuthFailed
	case errors.Is(err, queue.ErrLoop):
		return errLoop
	case errors.Is(err, smtp.ErrTooLongLine):
		return errLineTooLong
	case isTimeout(err):
		return errDataTimeout
	case isClientGone(err):
		// The client went away or aborted BDAT; nothing was stored. A
		// client's doing, so not an error of ours (info, not ERROR).
		log.Info("message transfer aborted", "during", what, "err", err)
		return errAborted
	case errors.Is(err, store.ErrClosed), errors.Is(err, context.Canceled):
		return errShuttingDown
	}
	log.Error("internal error", "during", what, "err", err)
	return errTemporary
}

// isClientGone reports whether err means the client's connection ended or
// broke (EOF in the middle, reset, a broken TLS stream) or the client
// aborted BDAT (RSET, or the connection ended between chunks).
func isClientGone(err error) bool {
	var op *net.OpError
	var rh tls.RecordHeaderError
	var alert tls.AlertError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, smtp.ErrDataReset) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &op) || errors.As(err, &rh) || errors.As(err, &alert)
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Inbound verification refusals (RFC 7372 for the enhanced codes).
var (
	// RFC 7489 §7.3 (the brief's 5.7.1: delivery not authorized).
	errDMARCReject = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "Message rejected: DMARC policy of the From: domain says reject"}
	errSPFFail = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 23},
		Message: "Message rejected: SPF validation failed"}
	errSPFTemp = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 24},
		Message: "SPF validation error (DNS), try again later"}
	errAuthDNSTemp = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
		Message: "DNS failure while authenticating the message, try again later"}
)
