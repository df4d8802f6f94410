package store_test

import (
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/imapd"
	"github.com/mailserver/mailserver/pop3d"
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/smtpd"
	"github.com/mailserver/mailserver/store"
)

// noQueue is a submitter for servers that only log in.
type noQueue struct{}

func (noQueue) Submit(context.Context, *queue.Envelope, *store.Body) (*queue.Result, error) {
	return nil, errors.New("no queue in this test")
}

// loginServers starts IMAP, POP3 and submission over one store, on
// loopback without TLS (AllowPlaintextOnLoopback).
func loginServers(t *testing.T, opts *store.Options) (imap, pop, smtp string, logs *lineBuffer) {
	t.Helper()
	log, logs := captureLogger()
	opts.Logger = log
	st := openStore(t, opts)
	is, err := imapd.New(imapd.Options{Store: st, AllowPlaintextOnLoopback: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := smtpd.NewServer(smtpd.Options{Mode: smtpd.ModeSubmission, Hostname: "mx.example.test", Store: st,
		Queue: noQueue{}, AllowPlaintextOnLoopback: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ps := pop3d.New(st, pop3d.Options{Hostname: "pop.example.test", AllowPlaintextOnLoopback: true, Logger: log, MaxAuthFailures: 100})
	return serve(t, is), serve(t, ps), serve(t, ss), logs
}

// loginClient runs login attempts with Python's imaplib, poplib and
// smtplib (clients nobody here wrote), one per argument line
// "protocol mechanism user password", and prints one result per attempt.
const loginClient = `
import imaplib, poplib, smtplib, sys
addr = dict(zip(("imap", "pop3", "smtp"), sys.argv[1:4]))
def hp(p):
    h, port = addr[p].rsplit(":", 1)
    return h, int(port)
def imap(mech, user, pw):
    c = imaplib.IMAP4(*hp("imap"))
    try:
        if mech == "LOGIN":
            c.login(user, pw)
        else:
            c.authenticate("PLAIN", lambda _: ("\0%s\0%s" % (user, pw)).encode())
        c.logout()
        return "OK"
    except imaplib.IMAP4.error as e:
        return "NO " + str(e)
def smtp(mech, user, pw):
    c = smtplib.SMTP(*hp("smtp"))
    c.ehlo("client.test")
    c.user, c.password = user, pw
    try:
        c.auth(mech, getattr(c, "auth_" + mech.lower()))
        return "OK"
    except smtplib.SMTPAuthenticationError as e:
        return "%d %s" % (e.smtp_code, e.smtp_error.decode())
    finally:
        c.close()
def pop3(mech, user, pw):
    c = poplib.POP3(*hp("pop3"))
    try:
        c.user(user)
        c.pass_(pw)
        return "OK"
    except poplib.error_proto as e:
        return "ERR " + e.args[0].decode()
    finally:
        c.close()
for line in sys.stdin:
    proto, mech, user, pw = line.rstrip("\n").split(" ", 3)
    print({"imap": imap, "smtp": smtp, "pop3": pop3}[proto](mech, user, pw), flush=True)
`

func runLogins(t *testing.T, imap, pop, smtp string, attempts []string) []string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed (Debian: python3)")
	}
	cmd := exec.Command(py, "-c", loginClient, imap, pop, smtp)
	cmd.Stdin = strings.NewReader(strings.Join(attempts, "\n") + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// fail2banLine is the README's failregex with <HOST> expanded.
var fail2banLine = regexp.MustCompile(`level=WARN msg="authentication failed" protocol=\S+ remote=(?P<host>[0-9a-fA-F.:]+) user=.* reason=(?:password|unknown-user|throttled)$`)

// checkFailureLines: every failure is one line in the documented format,
// and the protocols log no failure lines of their own.
func checkFailureLines(t *testing.T, logs string, want int) {
	t.Helper()
	n := 0
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "login failed") || strings.Contains(l, "login throttled") {
			t.Errorf("a protocol's own failure line: %s", l)
		}
		if !strings.Contains(l, "authentication failed") {
			continue
		}
		n++
		if m := fail2banLine.FindStringSubmatch(l); m == nil || m[1] != "127.0.0.1" {
			t.Errorf("failure line not in the documented format: %s", l)
		}
	}
	if n != want {
		t.Errorf("%d failure lines, want %d:\n%s", n, want, logs)
	}
}

// TestThunderbirdLoginSequence: what Thunderbird's account wizard and one
// typo do from one address (the bare user name on IMAP with two
// mechanisms, then the typo with both mechanisms on IMAP, SMTP and POP3)
// is followed by a successful login with the right password, on every
// protocol, and another user behind the same address logs in too. The
// old limiter (5 failures from one address within 5 minutes) refused both.
func TestThunderbirdLoginSequence(t *testing.T) {
	imap, pop, smtp, logs := loginServers(t, &store.Options{AuthDelays: []time.Duration{0, time.Millisecond, 2 * time.Millisecond}})
	attempts := []string{
		"imap LOGIN alice secret",
		"imap PLAIN alice secret",
		"imap LOGIN alice@example.test secre",
		"imap PLAIN alice@example.test secre",
		"smtp PLAIN alice@example.test secre",
		"smtp LOGIN alice@example.test secre",
		"pop3 USER alice@example.test secre",
		"imap LOGIN alice@example.test secret",
		"smtp PLAIN alice@example.test secret",
		"pop3 USER bob@example.test secret",
		"imap PLAIN bob@example.test secret",
	}
	got := runLogins(t, imap, pop, smtp, attempts)
	if len(got) != len(attempts) {
		t.Fatalf("results %q", got)
	}
	for i, r := range got {
		wantOK := i >= 7
		if wantOK != (r == "OK") {
			t.Errorf("%s: %s", attempts[i], r)
		}
		if !wantOK && !strings.Contains(r, "AUTHENTICATIONFAILED") && !strings.HasPrefix(r, "535") && !strings.Contains(r, "[AUTH]") {
			t.Errorf("%s: not a plain authentication failure: %s", attempts[i], r)
		}
	}
	checkFailureLines(t, logs.String(), 7)
}

// TestGuessingRunRefusedOverIMAP: many distinct passwords from one address
// end in a hard refusal that says why, for the right password as well, on
// every protocol.
func TestGuessingRunRefusedOverIMAP(t *testing.T) {
	imap, pop, smtp, logs := loginServers(t, &store.Options{AuthDelays: []time.Duration{0, time.Millisecond}, AuthGuessLimit: 12})
	var attempts []string
	for i := range 15 {
		attempts = append(attempts, "imap LOGIN alice@example.test guess"+strings.Repeat("x", i))
	}
	attempts = append(attempts, "imap LOGIN alice@example.test secret", "smtp PLAIN alice@example.test secret", "pop3 USER alice@example.test secret")
	got := runLogins(t, imap, pop, smtp, attempts)
	if len(got) != len(attempts) {
		t.Fatalf("results %q", got)
	}
	for i, r := range got[:12] {
		if !strings.Contains(r, "AUTHENTICATIONFAILED") {
			t.Errorf("guess %d: %s", i, r)
		}
	}
	for i, r := range got[12:15] {
		if !strings.Contains(r, "UNAVAILABLE") || !strings.Contains(r, "Too many failed logins from your network") {
			t.Errorf("guess %d: %s", 12+i, r)
		}
	}
	if r := got[15]; !strings.Contains(r, "UNAVAILABLE") {
		t.Errorf("right password over IMAP during the run: %s", r)
	}
	if r := got[16]; !strings.HasPrefix(r, "454") || !strings.Contains(r, "Too many failed logins") {
		t.Errorf("right password over SMTP during the run: %s", r)
	}
	if r := got[17]; !strings.Contains(r, "[SYS/TEMP]") || !strings.Contains(r, "too many failed logins") {
		t.Errorf("right password over POP3 during the run: %s", r)
	}
	checkFailureLines(t, logs.String(), 18)
	if n := strings.Count(logs.String(), "reason=throttled"); n != 6 {
		t.Errorf("%d throttled lines, want 6", n)
	}
}

// TestLoginFloodGetsTemporaryFailure: while every password-hash slot is
// busy (a login flood), a login that needs a hash computation waits
// PasswordHashWait and then gets each protocol's temporary failure
// (IMAP NO [UNAVAILABLE], SMTP 454 4.7.0, POP3 -ERR [SYS/TEMP]) instead of
// one more 19 MiB argon2id computation; once a slot is free it succeeds.
// (Before, nothing bounded the computations: there was no slot to fill.)
func TestLoginFloodGetsTemporaryFailure(t *testing.T) {
	log, logs := captureLogger()
	st := openStore(t, &store.Options{Logger: log, PasswordHashSlots: 1, PasswordHashWait: 20 * time.Millisecond})
	is, err := imapd.New(imapd.Options{Store: st, AllowPlaintextOnLoopback: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := smtpd.NewServer(smtpd.Options{Mode: smtpd.ModeSubmission, Hostname: "mx.example.test", Store: st,
		Queue: noQueue{}, AllowPlaintextOnLoopback: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ps := pop3d.New(st, pop3d.Options{Hostname: "pop.example.test", AllowPlaintextOnLoopback: true, Logger: log})
	imap, pop, smtp := serve(t, is), serve(t, ps), serve(t, ss)
	attempts := []string{"imap LOGIN alice@example.test secret", "smtp PLAIN alice@example.test secret", "pop3 USER alice@example.test secret"}
	release := store.OccupyHashSlots(st)
	got := runLogins(t, imap, pop, smtp, attempts)
	release()
	if len(got) != 3 || !strings.Contains(got[0], "[UNAVAILABLE]") || !strings.HasPrefix(got[1], "454") || !strings.Contains(got[2], "[SYS/TEMP]") {
		t.Fatalf("with every slot busy: %q", got)
	}
	if got := runLogins(t, imap, pop, smtp, attempts); strings.Join(got, ",") != "OK,OK,OK" {
		t.Fatalf("with a free slot: %q", got)
	}
	if n := strings.Count(logs.String(), "reason=unavailable"); n != 3 {
		t.Fatalf("%d unavailable lines:\n%s", n, logs)
	}
}
