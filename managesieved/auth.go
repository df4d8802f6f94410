package managesieved

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailserver/mailserver/store"
)

// writeCapabilities writes the capability lines (RFC 5804 §1.7), without
// the OK that ends them. They depend on the connection (TLS, login).
func (s *session) writeCapabilities() {
	o := &s.srv.opts
	line := func(name, value string) {
		s.bw.WriteString(quoteString(name))
		if value != "" || name == "SASL" || name == "SIEVE" {
			s.bw.WriteString(" ")
			s.bw.WriteString(quoteString(value))
		}
		s.bw.WriteString("\r\n")
	}
	line("IMPLEMENTATION", o.Implementation)
	// "This list can be empty if and only if STARTTLS is also
	// advertised" (§1.7): without TLS a non-loopback client is told to
	// start TLS first.
	mechs := ""
	if s.plaintextOK() {
		mechs = "PLAIN LOGIN"
	}
	line("SASL", mechs)
	line("SIEVE", strings.Join(o.Extensions, " "))
	if o.TLSConfig != nil && !s.isTLS && s.user == nil {
		line("STARTTLS", "")
	}
	if o.MaxRedirects > 0 {
		line("MAXREDIRECTS", strconv.Itoa(o.MaxRedirects))
	}
	if s.user != nil {
		line("OWNER", s.user.Address)
	}
	line("UNAUTHENTICATE", "")
	line("VERSION", "1.0")
}

// cmdCapability: RFC 5804 §2.4.
func (s *session) cmdCapability(args []arg) error {
	if len(args) != 0 {
		return no("", "CAPABILITY takes no arguments")
	}
	s.writeCapabilities()
	s.ok("Capability completed")
	return nil
}

// cmdLogout: RFC 5804 §2.3. The server answers OK and closes.
func (s *session) cmdLogout(args []arg) error {
	if len(args) != 0 {
		return no("", "LOGOUT takes no arguments")
	}
	s.ok("Logout completed")
	return errLogout
}

// cmdNoop: RFC 5804 §2.13; a tag comes back in the TAG response code.
func (s *session) cmdNoop(args []arg) error {
	switch {
	case len(args) == 0:
		s.ok("NOOP completed")
	case len(args) == 1 && !args[0].isNumber:
		s.writeResponse("OK", "TAG "+quoteString(string(args[0].str)), "Done")
	default:
		return no("", "syntax: NOOP [tag]")
	}
	return nil
}

// cmdStartTLS: RFC 5804 §2.2. After the handshake the server re-issues
// its capabilities, unasked.
func (s *session) cmdStartTLS(args []arg) error {
	switch {
	case len(args) != 0:
		return no("", "STARTTLS takes no arguments")
	case s.srv.opts.TLSConfig == nil:
		return no("", "TLS is not available")
	case s.isTLS:
		return no("", "TLS is already active")
	case s.user != nil:
		return no("", "STARTTLS is only allowed before authentication")
	case s.br.Buffered() > 0:
		// Plaintext sent after STARTTLS would be read as if it came over
		// TLS (the CVE-2011-0411 command injection).
		return bye("", "no command may follow STARTTLS before the TLS handshake")
	}
	s.ok("Begin TLS negotiation now")
	if err := s.bw.Flush(); err != nil {
		return &abortError{err}
	}
	tc := tls.Server(s.raw, s.srv.opts.TLSConfig)
	if err := s.handshake(tc); err != nil {
		return &abortError{fmt.Errorf("STARTTLS handshake: %w", err)}
	}
	s.setConn(tc)
	s.writeCapabilities()
	s.ok("TLS negotiation successful")
	return nil
}

// errAuthAborted: the client sent "*" (RFC 5804 §2.1).
var errAuthAborted = no("", "authentication aborted")

// cmdAuthenticate: RFC 5804 §2.1, SASL PLAIN (RFC 4616) and LOGIN
// (draft-murchison-sasl-login), with or without an initial response.
// Challenges go out as quoted base64 strings on their own line; each
// client response is a string (quoted or literal) of base64, or "*".
func (s *session) cmdAuthenticate(ctx context.Context, args []arg) error {
	if s.user != nil {
		return no("", "already authenticated")
	}
	if len(args) < 1 || len(args) > 2 || args[0].isNumber || len(args) == 2 && args[1].isNumber {
		return no("", "syntax: AUTHENTICATE mechanism [initial-response]")
	}
	if !s.plaintextOK() {
		return no(codeEncryptNeeded, "authentication needs TLS; use STARTTLS first")
	}
	var srv sasl.Server
	authenticate := func(username, password string) error { return s.login(ctx, username, password) }
	switch mech := strings.ToUpper(string(args[0].str)); mech {
	case "PLAIN":
		srv = sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				// No user may act as another.
				return errAuthzid
			}
			return authenticate(username, password)
		})
	case "LOGIN":
		srv = &loginServer{authenticate: authenticate}
	default:
		return no("", "unsupported SASL mechanism")
	}
	var resp []byte // nil: no initial response
	if len(args) == 2 {
		var err error
		if resp, err = decodeSASL(args[1].str); err != nil {
			return err
		}
	}
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			return s.authFailed(err)
		}
		if done {
			break
		}
		s.bw.WriteString(quoteString(base64.StdEncoding.EncodeToString(challenge)))
		s.bw.WriteString("\r\n")
		if err := s.bw.Flush(); err != nil {
			return &abortError{err}
		}
		b, err := s.p.response()
		var se *syntaxError
		switch {
		case errors.As(err, &se):
			return no("", "%s", se.msg)
		case err != nil:
			return &abortError{err}
		case string(b) == "*":
			return errAuthAborted
		}
		if resp, err = decodeSASL(b); err != nil {
			return err
		}
	}
	if s.user == nil {
		// A mechanism finished without calling authenticate.
		return s.authFailed(store.ErrAuthFailed)
	}
	s.setLimits()
	s.ok("Logged in")
	return nil
}

// errAuthzid: PLAIN with an authorization identity other than the user.
var errAuthzid = errors.New("managesieved: authorization identity differs from the user")

func decodeSASL(b []byte) ([]byte, error) {
	out, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil {
		return nil, no("", "invalid base64 in the SASL response")
	}
	return out, nil
}

// login checks the credentials through the store's shared throttle.
func (s *session) login(ctx context.Context, username, password string) error {
	// The store logs every failure in its one documented line.
	u, err := s.srv.st.Authenticate(ctx, store.Login{Protocol: "managesieve", Remote: s.remote, Username: username, Password: password})
	if err != nil {
		return err
	}
	s.user = u
	s.log = s.log.With("user", u.Address)
	s.log.Info("managesieve login", "tls", s.isTLS)
	return nil
}

// authFailed turns a failed SASL exchange into its response; the
// connection ends after MaxAuthFailures refused logins.
func (s *session) authFailed(err error) error {
	if errors.Is(err, errAuthzid) || errors.Is(err, store.ErrAuthFailed) || errors.Is(err, sasl.ErrUnexpectedClientResponse) ||
		strings.HasPrefix(err.Error(), "sasl: ") {
		s.authFailures++
		if s.authFailures >= s.srv.opts.MaxAuthFailures {
			return bye("", "authentication failed; too many failures, closing")
		}
		return no("", "authentication failed")
	}
	return err // throttled, unavailable, shutting down: replyFor
}

// loginServer is the server side of the LOGIN mechanism
// (draft-murchison-sasl-login-00), which go-sasl does not provide: the
// challenges "Username:" and "Password:"; an initial response is the
// user name.
type loginServer struct {
	step         int
	username     string
	authenticate func(username, password string) error
}

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
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// cmdUnauthenticate: RFC 5804 §2.14.1, back to the non-authenticated
// state; TLS stays.
func (s *session) cmdUnauthenticate(_ context.Context, args []arg) error {
	if len(args) != 0 {
		return no("", "UNAUTHENTICATE takes no arguments")
	}
	s.log.Info("managesieve unauthenticate")
	s.user = nil
	s.log = s.srv.log.With("remote", s.raw.RemoteAddr().String())
	s.setLimits()
	s.ok("Unauthenticate completed")
	return nil
}
