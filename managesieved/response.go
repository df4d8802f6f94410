package managesieved

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mailserver/mailserver/store"
)

// Response codes (RFC 5804 §1.3).
const (
	codeAuthTooWeak   = "AUTH-TOO-WEAK"
	codeEncryptNeeded = "ENCRYPT-NEEDED"
	codeQuota         = "QUOTA"
	codeQuotaScripts  = "QUOTA/MAXSCRIPTS"
	codeQuotaSize     = "QUOTA/MAXSIZE"
	codeTryLater      = "TRYLATER"
	codeActive        = "ACTIVE"
	codeNonexistent   = "NONEXISTENT"
	codeAlreadyExists = "ALREADYEXISTS"
)

// respError is a NO (or, with bye, BYE) to send as it is.
type respError struct {
	code string // "" for none; "TAG ..." style codes are written by their command
	text string
	// bye answers BYE and ends the session (RFC 5804 §1.3: BYE is the
	// server closing the connection).
	bye bool
}

func (e *respError) Error() string { return "NO (" + e.code + ") " + e.text }

func no(code, format string, args ...any) *respError {
	return &respError{code: code, text: fmt.Sprintf(format, args...)}
}

func bye(code, format string, args ...any) *respError {
	e := no(code, format, args...)
	e.bye = true
	return e
}

// errLogout ends the session after LOGOUT wrote its OK.
var errLogout = errors.New("managesieved: logout")

// abortError ends the session without a reply (the connection failed).
type abortError struct{ err error }

func (e *abortError) Error() string { return "managesieved: session aborted: " + e.err.Error() }
func (e *abortError) Unwrap() error { return e.err }

// replyFor turns a command's error into the response the client sees;
// it is the one place where that happens. Protocol errors go out as they
// are, store errors a client may know of get fixed texts with their RFC
// 5804 §1.3 codes, anything else is logged and the client gets a
// temporary error, so internal error text never reaches the wire. It
// reports whether the session ends after the response.
func (s *session) replyFor(err error) (e *respError) {
	var re *respError
	switch {
	case errors.As(err, &re):
		return re
	case errors.Is(err, store.ErrInvalidScriptName):
		return no("", "invalid script name (RFC 5804 section 1.6)")
	case errors.Is(err, store.ErrSieveScriptActive):
		return no(codeActive, "the script is active; deactivate it first")
	case errors.Is(err, store.ErrNotFound):
		return no(codeNonexistent, "no such script")
	case errors.Is(err, store.ErrExists):
		return no(codeAlreadyExists, "a script with that name exists")
	case errors.Is(err, store.ErrAuthFailed):
		// The same reply for an unknown user and a wrong password.
		return no("", "authentication failed")
	case errors.Is(err, store.ErrThrottled):
		// Per client network, never per user: it says nothing of the account.
		return bye(codeTryLater, "too many failed logins from your network, try again later")
	case errors.Is(err, store.ErrAuthUnavailable):
		return no(codeTryLater, "authentication temporarily unavailable, try again later")
	case errors.Is(err, store.ErrNoSpace):
		return no(codeTryLater, "the server is out of disk space, try again later")
	case errors.Is(err, store.ErrClosed), errors.Is(err, context.Canceled):
		return bye(codeTryLater, "server shutting down")
	case errors.Is(err, context.DeadlineExceeded):
		return no(codeTryLater, "the command took too long, try again later")
	default:
		s.log.Error("managesieve command failed", "err", err)
		return no(codeTryLater, "internal server error, try again later")
	}
}

// writeResponse writes "OK"/"NO"/"BYE" [SP "(" code ")"] [SP string] CRLF.
func (s *session) writeResponse(kind, code, text string) {
	s.bw.WriteString(kind)
	if code != "" {
		s.bw.WriteString(" (")
		s.bw.WriteString(code)
		s.bw.WriteString(")")
	}
	if text != "" {
		s.bw.WriteString(" ")
		s.bw.WriteString(quoteString(text))
	}
	s.bw.WriteString("\r\n")
}

func (s *session) ok(text string) { s.writeResponse("OK", "", text) }

// quoteString renders s as a quoted string when the grammar allows it
// (RFC 5804 §4: at most 1024 octets of UTF-8 without NUL, CR, LF; " and
// \ escaped), else as a literal ({n} CRLF octets).
func quoteString(s string) string {
	if len(s) <= maxQuoted && utf8.ValidString(s) && !strings.ContainsAny(s, "\x00\r\n") {
		var b strings.Builder
		b.Grow(len(s) + 2)
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte('"')
		return b.String()
	}
	return "{" + strconv.Itoa(len(s)) + "}\r\n" + s
}
