package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store/authlimit"
)

// fail2banRegex is the failregex the README gives for fail2ban, with
// <HOST> replaced as fail2ban does for an IP address.
var fail2banRegex = regexp.MustCompile(`level=WARN msg="authentication failed" protocol=\S+ remote=(?P<host>[0-9a-fA-F.:]+) user=.* reason=(?:password|unknown-user|throttled)$`)

// authEnv is a store whose login delays are recorded, not slept: sleeping
// advances a fake clock the throttle reads.
type authEnv struct {
	s      *Store
	mu     sync.Mutex
	now    time.Time
	slept  []time.Duration
	logBuf *bytes.Buffer
}

func newAuthEnv(t *testing.T, opts Options) *authEnv {
	t.Helper()
	e := &authEnv{now: time.Unix(1_800_000_000, 0), logBuf: &bytes.Buffer{}}
	opts.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: e.logBuf, mu: &e.mu}, nil))
	s, err := Open(filepath.Join(t.TempDir(), "mail.db"), &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.limiter = authlimit.New(authlimit.Config{
		Delays: opts.AuthDelays, GuessLimit: opts.AuthGuessLimit, GuessWindow: opts.AuthGuessWindow,
		Now: func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now },
	})
	s.sleep = func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.slept = append(e.slept, d)
		e.now = e.now.Add(d)
		return ctx.Err()
	}
	e.s = s
	return e
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (e *authEnv) takeSlept() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.slept
	e.slept = nil
	return out
}

func (e *authEnv) logLines() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Split(strings.TrimSpace(e.logBuf.String()), "\n")
}

func (e *authEnv) login(ip, user, pass string) error {
	_, err := e.s.Authenticate(ctx, Login{Protocol: "imap", Remote: netip.MustParseAddr(ip), Username: user, Password: pass})
	return err
}

// TestLoginPenaltyThunderbird: Thunderbird's account set-up from one
// address (the bare user name, then two mechanisms with a typo, then the
// right password) logs in after short delays, and so does another user
// behind the same address. The old limiter (5 failures within 5 minutes
// refuse every login) refused the right password here.
func TestLoginPenaltyThunderbird(t *testing.T) {
	e := newAuthEnv(t, Options{})
	mustUser(t, e.s, "alice@example.test")
	mustUser(t, e.s, "bob@example.test")
	const ip = "192.0.2.10"
	steps := []struct {
		user, pass string
		want       error
	}{
		{"alice", "secret", ErrAuthFailed}, // IMAP LOGIN with the bare name
		{"alice", "secret", ErrAuthFailed}, // AUTHENTICATE PLAIN, same pair
		{"alice@example.test", "secre", ErrAuthFailed},
		{"alice@example.test", "secre", ErrAuthFailed},
		{"alice@example.test", "secre", ErrAuthFailed}, // SMTP, POP3: the same typo
		{"alice@example.test", "secre", ErrAuthFailed},
		{"alice@example.test", "secret", nil},
	}
	for i, st := range steps {
		if err := e.login(ip, st.user, st.pass); !errors.Is(err, st.want) && !(st.want == nil && err == nil) {
			t.Fatalf("step %d (%s): %v, want %v", i, st.user, err, st.want)
		}
	}
	// Two distinct failures: 2 s before the second attempt (counted from
	// the first failure), then 4 s from the second failure; nothing after
	// that, since the clock moved on with the sleeps.
	if got, want := e.takeSlept(), []time.Duration{2 * time.Second, 4 * time.Second}; !slices.Equal(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	// The success cleared the penalty: no delay for the next user.
	if err := e.login(ip, "bob@example.test", "wrong"); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	if err := e.login(ip, "bob@example.test", "secret"); err != nil {
		t.Fatalf("bob behind the same address: %v", err)
	}
	if got := e.takeSlept(); !slices.Equal(got, []time.Duration{2 * time.Second}) {
		t.Fatalf("delays for bob %v", got)
	}
	// Every failure has its line, with the reason.
	var reasons []string
	for _, l := range e.logLines() {
		m := fail2banRegex.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line not matched by the fail2ban regex: %s", l)
		}
		if m[1] != ip {
			t.Fatalf("host %q in %s", m[1], l)
		}
		reasons = append(reasons, l[strings.LastIndex(l, "reason=")+7:])
	}
	want := []string{"unknown-user", "unknown-user", "password", "password", "password", "password", "password"}
	if !slices.Equal(reasons, want) {
		t.Fatalf("reasons %v, want %v", reasons, want)
	}
}

// TestGuessingRunRefused: many distinct passwords from one network end in
// ErrThrottled for every login from it, the right password included, with
// a log line; other networks log in; the refusal lifts as the score drains.
func TestGuessingRunRefused(t *testing.T) {
	e := newAuthEnv(t, Options{AuthGuessLimit: 20, AuthGuessWindow: time.Hour})
	mustUser(t, e.s, "alice@example.test")
	const ip = "2001:db8:5::1"
	n := 0
	for ; n < 100; n++ {
		err := e.login(ip, "alice@example.test", fmt.Sprint("guess", n))
		if errors.Is(err, ErrThrottled) {
			break
		}
		if !errors.Is(err, ErrAuthFailed) {
			t.Fatal(err)
		}
	}
	// The guesses wait (the fake clock moves) up to 15 s each, and the
	// score drains meanwhile at 20 per hour: a little over 20 get through.
	if n < 20 || n > 22 {
		t.Fatalf("refused after %d guesses, want 20 to 22", n)
	}
	if err := e.login("2001:db8:5::2", "alice@example.test", "secret"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("right password from the same /64: %v", err)
	}
	if err := e.login("192.0.2.1", "alice@example.test", "secret"); err != nil {
		t.Fatalf("another network: %v", err)
	}
	lines := e.logLines()
	if l := lines[len(lines)-1]; !strings.HasSuffix(l, ` protocol=imap remote=2001:db8:5::2 user=alice@example.test reason=throttled`) {
		t.Fatalf("last line %s", l)
	}
	e.mu.Lock()
	e.now = e.now.Add(4 * time.Minute) // drains more than one of 20 per hour
	e.mu.Unlock()
	if err := e.login(ip, "alice@example.test", "secret"); err != nil {
		t.Fatalf("after draining: %v", err)
	}
}

// TestFailureLineFormat: the documented line, byte for byte after the
// time, and a user name cannot steer what the fail2ban regex extracts.
func TestFailureLineFormat(t *testing.T) {
	e := newAuthEnv(t, Options{})
	mustUser(t, e.s, "alice@example.test")
	e.s.Authenticate(ctx, Login{Protocol: "submission", Remote: netip.MustParseAddr("::ffff:203.0.113.5"), Username: "alice@example.test", Password: "x"})
	e.s.Authenticate(ctx, Login{Protocol: "pop3", Remote: netip.MustParseAddr("203.0.113.6"), Username: "x remote=198.51.100.1 user=y reason=password\nlevel=WARN", Password: "x"})
	lines := e.logLines()
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	if _, rest, _ := strings.Cut(lines[0], " "); rest != `level=WARN msg="authentication failed" protocol=submission remote=203.0.113.5 user=alice@example.test reason=password` {
		t.Fatalf("line %q", lines[0])
	}
	m := fail2banRegex.FindStringSubmatch(lines[1])
	if m == nil || m[1] != "203.0.113.6" {
		t.Fatalf("injected line %q: %v", lines[1], m)
	}
}

// TestLoginDelayRespectsContext: a client that goes away during the delay
// ends the attempt at once, holding no hash slot while it waited.
func TestLoginDelayRespectsContext(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "mail.db"), &Options{AuthDelays: []time.Duration{0, time.Hour}, PasswordHashSlots: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustUser(t, s, "alice@example.test")
	ip := netip.MustParseAddr("192.0.2.1")
	if _, err := s.Authenticate(ctx, Login{Remote: ip, Username: "alice@example.test", Password: "no"}); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() {
		_, err := s.Authenticate(cctx, Login{Remote: ip, Username: "alice@example.test", Password: "secret"})
		done <- err
	}()
	// While it waits, the one hash slot is free: another network logs in.
	if _, err := s.Authenticate(ctx, Login{Remote: netip.MustParseAddr("192.0.2.2"), Username: "alice@example.test", Password: "secret"}); err != nil {
		t.Fatalf("other network during the delay: %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled attempt: %v", err)
	}
}

// TestHashSlots: with every password-hash slot busy, a login waits at
// most PasswordHashWait and then fails with ErrAuthUnavailable (logged,
// but not as a credentials failure); a login answered by the auth cache
// needs no slot; a cancelled wait returns at once.
func TestHashSlots(t *testing.T) {
	e := newAuthEnv(t, Options{PasswordHashSlots: 2, PasswordHashWait: 10 * time.Millisecond})
	mustUser(t, e.s, "alice@example.test")
	if cap(e.s.hashSlots) != 2 {
		t.Fatalf("%d slots", cap(e.s.hashSlots))
	}
	if err := e.login("192.0.2.1", "alice@example.test", "secret"); err != nil { // cached now
		t.Fatal(err)
	}
	e.s.hashSlots <- struct{}{}
	e.s.hashSlots <- struct{}{}
	if err := e.login("192.0.2.1", "alice@example.test", "other"); !errors.Is(err, ErrAuthUnavailable) {
		t.Fatalf("all slots busy: %v", err)
	}
	if err := e.login("192.0.2.1", "alice@example.test", "secret"); err != nil {
		t.Fatalf("cached login with all slots busy: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.s.verifyPassword(cctx, e.s.dummyPwd, "x", time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	<-e.s.hashSlots
	if err := e.login("192.0.2.1", "alice@example.test", "other"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("a slot free: %v", err)
	}
	<-e.s.hashSlots
	lines := e.logLines()
	if !strings.HasSuffix(lines[0], "reason=unavailable") || fail2banRegex.MatchString(lines[0]) {
		t.Fatalf("unavailable line %q", lines[0])
	}
}
