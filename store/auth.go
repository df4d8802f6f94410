package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// DefaultPasswordHashWait is how long a login waits for a password-hash
// slot before it fails with ErrAuthUnavailable (Options.PasswordHashWait).
const DefaultPasswordHashWait = 2 * time.Second

// Login is one login attempt, as a protocol received it.
type Login struct {
	// Protocol names the protocol for the log line and the metrics:
	// "smtp", "submission", "pop3", "imap", "managesieve" or "webmail".
	Protocol string
	// Remote is the client's address; the zero Addr (the admin CLI) is
	// never throttled.
	Remote   netip.Addr
	Username string // as the client sent it
	Password string
}

// Authenticate checks a login. SMTP, POP3 and IMAP share its throttle (see
// package authlimit): an attempt from a client network with recent
// failures waits first (respecting ctx, holding no lock and no hash slot),
// and a network in a sustained guessing run is refused with ErrThrottled
// unchecked. It returns ErrAuthFailed for an unknown user and a wrong
// password alike, after the same work in both cases, and
// ErrAuthUnavailable when no password-hash slot came free in time.
// Every failure is logged in one line (see the package documentation).
func (s *Store) Authenticate(ctx context.Context, l Login) (*User, error) {
	d := s.limiter.Check(l.Remote)
	if d.Refused {
		s.logAuthFailure(l, "throttled")
		return nil, ErrThrottled
	}
	if d.Delay > 0 {
		if err := s.sleep(ctx, d.Delay); err != nil {
			return nil, fmt.Errorf("store: authenticate: %w", err)
		}
	}
	address := l.Username
	if !strings.Contains(address, "@") && s.opts.DefaultLoginDomain != "" {
		address += "@" + s.opts.DefaultLoginDomain
	}
	address = canonicalOrRaw(address)
	var rec *userRecord
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if r, err := getUser(tx, address); err == nil {
			rec = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The auth cache needs no hash slot: a reconnecting client costs an
	// HMAC, not an argon2id computation.
	if rec != nil && s.verified.ok(rec.ID, rec.Hash, l.Password) {
		s.limiter.Succeeded(l.Remote)
		return rec.user(), nil
	}
	hash := s.dummyPwd
	if rec != nil {
		hash = rec.Hash
	}
	ok, err := s.verifyPassword(ctx, hash, l.Password, s.opts.PasswordHashWait)
	if errors.Is(err, ErrAuthUnavailable) {
		s.logAuthFailure(l, "unavailable")
		return nil, err
	}
	if err != nil && !errors.Is(err, errBadHash) {
		return nil, fmt.Errorf("store: authenticate: %w", err)
	}
	if err != nil {
		s.log.Error("password hash unusable", "user", address, "err", err)
	}
	if !ok || rec == nil {
		s.limiter.Failed(l.Remote, s.limiter.Key(address, l.Password))
		reason := "password"
		if rec == nil {
			reason = "unknown-user"
		}
		s.logAuthFailure(l, reason)
		return nil, ErrAuthFailed
	}
	s.limiter.Succeeded(l.Remote)
	s.verified.remember(rec.ID, rec.Hash, l.Password)
	return rec.user(), nil
}

// maxLoggedUser bounds the user name in the failure line (clients choose it).
const maxLoggedUser = 256

// logAuthFailure writes the one documented failure line (doc.go, "Failed
// logins"). remote comes before user: everything after it is chosen by the
// client, so a pattern anchored on remote= cannot be steered by a user
// name (slog quotes a value with spaces, '=' or '"' in any case).
func (s *Store) logAuthFailure(l Login, reason string) {
	s.opts.Metrics.authFailure(l.Protocol, reason) // metrics.go
	remote := ""
	if l.Remote.IsValid() {
		remote = l.Remote.Unmap().String()
	}
	user := l.Username
	if len(user) > maxLoggedUser {
		user = user[:maxLoggedUser]
		for !utf8.ValidString(user) {
			user = user[:len(user)-1]
		}
	}
	s.log.LogAttrs(context.Background(), slog.LevelWarn, "authentication failed",
		slog.String("protocol", l.Protocol),
		slog.String("remote", remote),
		slog.String("user", user),
		slog.String("reason", reason))
}

// verifyPassword checks a password in a password-hash slot. Each argon2id
// check takes 19 MiB and about 55 ms of a core, so the slots (about one
// per core) bound the memory and CPU a login flood can take; an attempt
// waits at most wait for one (wait < 0: only ctx bounds it) and then
// fails with ErrAuthUnavailable.
func (s *Store) verifyPassword(ctx context.Context, hash, password string, wait time.Duration) (bool, error) {
	release, err := s.hashSlot(ctx, wait)
	if err != nil {
		return false, err
	}
	defer release()
	return verifyPassword(hash, password)
}

// hashPassword computes a new hash in a slot, waiting as long as ctx
// allows (account changes are rare and come from the administrator).
func (s *Store) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.hashSlot(ctx, -1)
	if err != nil {
		return "", err
	}
	defer release()
	return hashPassword(password)
}

func (s *Store) hashSlot(ctx context.Context, wait time.Duration) (release func(), err error) {
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	default:
	}
	var timeout <-chan time.Time
	if wait >= 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case s.hashSlots <- struct{}{}:
		return func() { <-s.hashSlots }, nil
	case <-timeout:
		return nil, ErrAuthUnavailable
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
