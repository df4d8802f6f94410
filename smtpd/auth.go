package smtpd

import (
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/store"
)

// authAllowed reports whether AUTH may happen on this session: only on the
// submission ports, and only over TLS unless the client is on loopback and
// the configuration allows clear text there (RFC 4954 §4: no plaintext
// mechanisms without a security layer).
func (s *session) authAllowed() bool {
	if s.srv.opts.Mode == ModeMX {
		return false
	}
	return s.tls != nil || s.srv.opts.AllowPlaintextOnLoopback && s.srv.opts.isLoopback(s.ip)
}

// AuthMechanisms lists what EHLO advertises; empty means no AUTH keyword
// (so a client never sends a password where it would be refused).
func (s *session) AuthMechanisms() []string {
	if !s.authAllowed() {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth starts a SASL exchange (RFC 4954).
func (s *session) Auth(mech string) (sasl.Server, error) {
	if s.srv.opts.Mode == ModeMX {
		return nil, errNoAuthHere
	}
	if !s.authAllowed() {
		return nil, errEncryptionRequired
	}
	switch strings.ToUpper(mech) {
	case sasl.Plain:
		// RFC 4616: an authorization identity other than the user's own
		// is not supported.
		return s.guardSASL(sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && !strings.EqualFold(identity, username) {
				return errAuthzMismatch
			}
			return s.authenticate(username, password)
		})), nil
	case sasl.Login:
		return s.guardSASL(&loginServer{authenticate: s.authenticate}), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// guardSASL puts the mechanism behind the command filter's check of
// base64 (cmdrewrite.go saslGuard), when the filter is on.
func (s *session) guardSASL(m sasl.Server) sasl.Server {
	if s.filter == nil {
		return m
	}
	return &saslGuard{next: m.Next, invalid: s.srv.rw.saslInvalid, filter: s.filter}
}

// authenticate checks a login through the store, which throttles failed
// attempts per client network (shared with POP3 and IMAP) and logs every
// failure in its one documented line.
func (s *session) authenticate(username, password string) error {
	protocol := "submission"
	if s.srv.opts.Mode == ModeMX {
		protocol = "smtp"
	}
	u, err := s.srv.opts.Store.Authenticate(s.srv.ctx, store.Login{Protocol: protocol, Remote: s.ip, Username: username, Password: password})
	if err != nil {
		r := reply(s.log, "AUTH", err)
		if r == errTemporary {
			// RFC 4954 §6: 454 4.7.0 for a temporary failure.
			return errAuthTemporary
		}
		return r
	}
	s.user = u
	s.log = s.log.With("user", u.Address)
	s.log.Info("authenticated")
	return nil
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login-00), which go-sasl lacks and which Outlook
// and older clients still use: "Username:" and "Password:" challenges, the
// first possibly answered by an initial response.
type loginServer struct {
	authenticate func(username, password string) error
	step         int
	username     string
}

var errLoginStep = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Unexpected LOGIN exchange step"}

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		if response == nil {
			l.step = 1
			return []byte("Username:"), false, nil
		}
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.authenticate(l.username, string(response))
	}
	return nil, false, errLoginStep
}
