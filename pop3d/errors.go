package pop3d

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailserver/mailserver/store"
)

// Response codes (RFC 2449 §8, RFC 3206).
const (
	codeAuth    = "AUTH"     // the credentials were refused (RFC 3206 §4)
	codeSysTemp = "SYS/TEMP" // a temporary system problem (RFC 3206 §5)
	codeSysPerm = "SYS/PERM" // a permanent system problem (RFC 3206 §5)
	codeInUse   = "IN-USE"   // the maildrop is locked (RFC 2449 §8.1.1)
)

// respError is a negative reply to send as it is: "-ERR [code] text".
type respError struct {
	code string // "" for none
	text string
	// close ends the session after the reply.
	close bool
}

func (e *respError) Error() string {
	if e.code == "" {
		return e.text
	}
	return "[" + e.code + "] " + e.text
}

func errorf(code, format string, args ...any) *respError {
	return &respError{code: code, text: fmt.Sprintf(format, args...)}
}

// errorClose is errorf for a reply after which the session ends.
func errorClose(code, format string, args ...any) *respError {
	e := errorf(code, format, args...)
	e.close = true
	return e
}

// errQuit ends the session after a command that wrote its own reply (QUIT).
var errQuit = errors.New("pop3d: quit")

// abortError ends the session without a reply: the connection failed, or a
// multi-line response broke off after its +OK line, where no -ERR can be
// sent any more.
type abortError struct{ err error }

func (e *abortError) Error() string { return "pop3d: session aborted: " + e.err.Error() }
func (e *abortError) Unwrap() error { return e.err }

// reply turns the error of a command into the negative reply the client
// sees; it is the only place where that happens. Protocol errors go out as
// they are; store errors a client may know about get fixed texts; anything
// else is logged and the client gets a generic temporary error, so
// internal error text never reaches the wire. It reports whether the
// session must end after the reply.
func (s *session) replyFor(err error) (line string, closeAfter bool) {
	var re *respError
	switch {
	case errors.As(err, &re):
		return "-ERR " + re.Error(), re.close
	case errors.Is(err, store.ErrAuthFailed):
		// The same reply for an unknown user and a wrong password.
		return "-ERR [" + codeAuth + "] authentication failed", false
	case errors.Is(err, store.ErrThrottled):
		// Throttling is per client network, never per user, so this
		// says nothing about the account.
		return "-ERR [" + codeSysTemp + "] too many failed logins from your network, try again later", true
	case errors.Is(err, store.ErrAuthUnavailable):
		// RFC 3206 §4: SYS/TEMP, a temporary server problem.
		return "-ERR [" + codeSysTemp + "] authentication temporarily unavailable, try again later", false
	case errors.Is(err, store.ErrClosed), errors.Is(err, context.Canceled):
		return "-ERR [" + codeSysTemp + "] server shutting down", true
	default:
		s.log.Error("pop3 command failed", "err", err)
		return "-ERR [" + codeSysTemp + "] internal server error, try again later", false
	}
}
