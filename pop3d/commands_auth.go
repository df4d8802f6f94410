package pop3d

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// cmdCapa lists the capabilities (RFC 2449 §5). What is announced depends
// on the connection, not on the state: RFC 2449 §5 wants the capabilities
// of AUTHORIZATION announced in TRANSACTION as well.
func (s *session) cmdCapa(args string) error {
	if args != "" {
		return errorf("", "CAPA takes no arguments")
	}
	caps := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"}
	if s.plaintextOK() {
		caps = append(caps, "USER", "SASL PLAIN")
	}
	if s.srv.opts.TLSConfig != nil && !s.isTLS {
		caps = append(caps, "STLS")
	}
	// Messages are never deleted by the server on its own (RFC 2449 §6.7).
	caps = append(caps, "EXPIRE NEVER", "IMPLEMENTATION mailserver")
	s.writeLine("+OK capability list follows")
	for _, c := range caps {
		s.writeLine(c)
	}
	s.writeLine(".")
	return nil
}

// errPlaintext refuses a login on a connection where passwords would
// travel in the clear (RFC 2595 §2.1; RFC 3206 §4 [AUTH]).
var errPlaintext = &respError{code: codeAuth, text: "plaintext authentication is disabled without TLS; use STLS or port 995 first"}

// cmdUser takes the user name (RFC 1939 §7). The reply never says whether
// the user exists.
func (s *session) cmdUser(args string) error {
	if !s.plaintextOK() {
		return errPlaintext
	}
	name := strings.TrimSpace(args)
	if name == "" {
		return errorf("", "USER needs a name")
	}
	s.userName = name
	s.writeLine("+OK send PASS")
	return nil
}

// cmdPass logs in with the name from USER (RFC 1939 §7). The password is
// the rest of the line: it may contain spaces.
func (s *session) cmdPass(args string) error {
	if !s.plaintextOK() {
		return errPlaintext
	}
	if s.userName == "" {
		return errorf("", "USER first")
	}
	name := s.userName
	// RFC 1939 §7: after a failed PASS the client starts again with USER.
	s.userName = ""
	return s.login(name, args)
}

// cmdAuth is SASL authentication (RFC 5034) with the PLAIN mechanism (RFC
// 4616), with or without an initial response. Without arguments it lists
// the mechanisms, as several clients expect from older drafts.
func (s *session) cmdAuth(args string) error {
	fields := strings.Fields(args)
	if len(fields) == 0 {
		s.writeLine("+OK SASL mechanisms follow")
		if s.plaintextOK() {
			s.writeLine("PLAIN")
		}
		s.writeLine(".")
		return nil
	}
	if len(fields) > 2 {
		return errorf("", "syntax: AUTH mechanism [initial-response]")
	}
	if !strings.EqualFold(fields[0], "PLAIN") {
		return errorf("", "unsupported SASL mechanism")
	}
	if !s.plaintextOK() {
		return errPlaintext
	}
	var resp string
	if len(fields) == 2 {
		resp = fields[1]
		if resp == "=" { // RFC 5034 §4: an empty initial response
			resp = ""
		}
	} else {
		// RFC 5034 §4: an empty challenge, then the client's response.
		s.writeLine("+ ")
		if err := s.bw.Flush(); err != nil {
			return &abortError{err}
		}
		line, err := s.readLine()
		if errors.Is(err, errLineTooLong) {
			return errorClose("", "line too long")
		}
		if err != nil {
			return &abortError{err}
		}
		if line == "*" {
			return errorf("", "authentication cancelled")
		}
		resp = line
	}
	raw, err := base64.StdEncoding.DecodeString(resp)
	if err != nil {
		return errorf("", "invalid base64 in SASL response")
	}
	// RFC 4616 §2: [authzid] NUL authcid NUL passwd.
	parts := bytes.Split(raw, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return errorf("", "malformed PLAIN response")
	}
	authz, authc, pass := string(parts[0]), string(parts[1]), string(parts[2])
	if authz != "" && authz != authc {
		// No user may act as another; the reply is a plain failure.
		s.authFailures++
		return s.authFailed()
	}
	return s.login(authc, pass)
}

// authFailed is the reply to a refused login; the connection ends after
// MaxAuthFailures of them.
func (s *session) authFailed() error {
	if s.authFailures >= s.srv.opts.MaxAuthFailures {
		return errorClose(codeAuth, "authentication failed")
	}
	return store.ErrAuthFailed
}

// login checks the credentials, takes the maildrop lock and enters
// TRANSACTION (RFC 1939 §7).
func (s *session) login(name, pass string) error {
	// The store logs every failure in its one documented line.
	u, err := s.srv.st.Authenticate(s.ctx, store.Login{Protocol: "pop3", Remote: s.remote, Username: name, Password: pass})
	if errors.Is(err, store.ErrAuthFailed) {
		s.authFailures++
		return s.authFailed()
	}
	if err != nil {
		return err
	}
	// RFC 1939 §8 and RFC 2449 §8.1.1: one session per maildrop.
	release, ok := s.srv.locks.tryLock(u.ID)
	if !ok {
		s.log.Info("pop3 maildrop in use", "user", u.Address)
		return errorf(codeInUse, "maildrop already in use by another POP3 session")
	}
	drop, err := loadMaildrop(s.ctx, s.srv.st, u.ID)
	if err != nil {
		release()
		return fmt.Errorf("open maildrop of %s: %w", u.Address, err)
	}
	s.user, s.drop, s.release = u, drop, release
	s.state = stateTransaction
	s.log = s.log.With("user", u.Address)
	s.log.Info("pop3 login", "tls", s.isTLS, "messages", len(drop.msgs))
	s.writeLine(fmt.Sprintf("+OK logged in, %d messages", len(drop.msgs)))
	return nil
}

// cmdStls starts TLS (RFC 2595 §4). Only in AUTHORIZATION, before login.
func (s *session) cmdStls(args string) error {
	if args != "" {
		return errorf("", "STLS takes no arguments")
	}
	if s.srv.opts.TLSConfig == nil {
		return errorf("", "TLS is not available")
	}
	if s.isTLS {
		return errorf("", "already using TLS")
	}
	if s.br.Buffered() > 0 {
		// Plaintext sent after STLS would otherwise be read as if it came
		// over TLS (the CVE-2011-0411 command injection).
		return errorClose("", "no commands may follow STLS before the TLS handshake")
	}
	s.writeLine("+OK begin TLS negotiation")
	if err := s.bw.Flush(); err != nil {
		return &abortError{err}
	}
	tc := tls.Server(s.raw, s.srv.opts.TLSConfig)
	if err := s.handshake(tc); err != nil {
		return &abortError{fmt.Errorf("STLS handshake: %w", err)}
	}
	// RFC 2595 §4: the client discards what it knew; the server forgets
	// the session state (the USER name) as well.
	s.userName = ""
	s.setConn(tc)
	return nil
}
