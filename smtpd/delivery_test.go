package smtpd

import (
	"os/exec"
	"strings"
	"testing"
)

func TestMXDeliversToInbox(t *testing.T) {
	e := newTestEnv(t, nil)
	c := e.dialMX()
	if err := send(c, "sender@remote.test", []string{"alice@example.test"}, message("sender@remote.test", "alice@example.test", "hello")); err != nil {
		t.Fatal(err)
	}
	got := e.inbox("alice@example.test")
	if len(got) != 1 {
		t.Fatalf("INBOX has %d messages, want 1", len(got))
	}
	m := got[0]
	// Return-Path first (final delivery, RFC 5321 §4.4), then our trace.
	if !strings.HasPrefix(m, "Return-Path: <sender@remote.test>\r\nReceived: from client.test ([127.0.0.1])\r\n\tby mx.example.test with ESMTP id ") {
		t.Errorf("message starts:\n%s", m[:min(len(m), 300)])
	}
	if !strings.Contains(m, "\r\n\tfor <alice@example.test>;\r\n\t") {
		t.Errorf("Received lacks the recipient:\n%s", m[:min(len(m), 300)])
	}
	if !strings.HasSuffix(m, "Subject: hello\r\nMessage-ID: <hello@client.test>\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\nHello alice@example.test\r\n") {
		t.Errorf("message ends:\n%s", m)
	}
	if len(e.queued()) != 0 {
		t.Error("local mail was queued for relay")
	}
	if len(e.inbox("bob@example.test")) != 0 {
		t.Error("bob got alice's mail")
	}
}

func TestMXRoutes(t *testing.T) {
	e := newTestEnv(t, nil)
	c := e.dialMX()
	for _, tc := range []struct{ rcpt, user string }{
		{"postmaster@example.test", "alice@example.test"}, // alias
		{"anything@catchall.test", "bob@example.test"},    // catch-all
		{"alice+lists@example.test", "alice@example.test"},
		{"ALICE@Example.TEST", "alice@example.test"}, // case
		{"bob@example.test.", "bob@example.test"},    // trailing dot of a local domain
	} {
		before := len(e.inbox(tc.user))
		if err := send(c, "x@remote.test", []string{tc.rcpt}, message("x@remote.test", tc.rcpt, "route")); err != nil {
			t.Errorf("%s: %v", tc.rcpt, err)
			continue
		}
		if n := len(e.inbox(tc.user)); n != before+1 {
			t.Errorf("%s: %s has %d messages, want %d", tc.rcpt, tc.user, n, before+1)
		}
	}
	// Unknown local user: 550 5.1.1, permanent.
	err := send(c, "x@remote.test", []string{"nobody@example.test"}, "Subject: x\r\n\r\nx\r\n")
	if smtpCode(err) != 550 {
		t.Fatalf("unknown user: %v, want 550", err)
	}
	c.Reset()
	// An alias to local and remote addresses on port 25: each local user
	// once, the remote one queued (forwarding is not relaying).
	a, b := len(e.inbox("alice@example.test")), len(e.inbox("bob@example.test"))
	if err := send(c, "x@remote.test", []string{"team@example.test", "alice@example.test"}, "Subject: team\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	if len(e.inbox("alice@example.test")) != a+1 || len(e.inbox("bob@example.test")) != b+1 {
		t.Error("alias delivery: want exactly one copy each for alice and bob")
	}
	q := e.queued()
	if len(q) != 1 || len(q[0].Recipients) != 1 || q[0].Recipients[0].Address != "carol@remote.test" {
		t.Errorf("queue = %+v, want one entry for carol@remote.test", q)
	}
}

// TestPythonSmtplib uses a client nobody here wrote: Python's smtplib,
// on port 25 and on submission with STARTTLS and AUTH LOGIN.
func TestPythonSmtplib(t *testing.T) {
	e := newTestEnv(t, nil)
	script := `
import smtplib, ssl, sys
mx, sub = sys.argv[1], sys.argv[2]
h, p = mx.rsplit(":", 1)
with smtplib.SMTP(h, int(p), local_hostname="py.test") as s:
    s.sendmail("py@remote.test", ["bob@example.test"], b"Subject: from python mx\r\n\r\nhi\r\n")
    try:
        s.sendmail("py@remote.test", ["someone@elsewhere.test"], b"Subject: relay\r\n\r\nhi\r\n")
        print("RELAYED")
    except smtplib.SMTPRecipientsRefused as e:
        print("refused", e.recipients["someone@elsewhere.test"][0])
h, p = sub.rsplit(":", 1)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP(h, int(p), local_hostname="py.test") as s:
    s.ehlo()
    print("auth-before-tls", s.has_extn("auth"))
    s.starttls(context=ctx)
    s.ehlo()
    s.login("alice@example.test", "alice secret")  # AUTH PLAIN
    s.sendmail("alice@example.test", ["bob@example.test", "far@elsewhere.test"], b"From: alice@example.test\r\nSubject: from python sub\r\n\r\nhi\r\n")
with smtplib.SMTP(h, int(p), local_hostname="py.test") as s:
    s.starttls(context=ctx)
    s.ehlo()
    s.auth("LOGIN", s.auth_login, initial_response_ok=False)  # placeholder, replaced below
`
	// smtplib's login() prefers PLAIN; force LOGIN explicitly.
	script = strings.Replace(script, `s.auth("LOGIN", s.auth_login, initial_response_ok=False)  # placeholder, replaced below`,
		`s.user, s.password = "bob@example.test", "bob secret"
    s.auth("LOGIN", s.auth_login, initial_response_ok=False)
    s.sendmail("bob@example.test", ["alice@example.test"], b"From: bob@example.test\r\nSubject: login mech\r\n\r\nhi\r\n")`, 1)
	out, err := exec.Command("python3", "-c", script, e.mx, e.sub).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got := string(out); !strings.Contains(got, "refused 554") || !strings.Contains(got, "auth-before-tls False") {
		t.Errorf("python output:\n%s", got)
	}
	bob := e.inbox("bob@example.test")
	if len(bob) != 2 || !strings.Contains(bob[0], "Subject: from python mx") || !strings.Contains(bob[1], "Subject: from python sub") {
		t.Errorf("bob's INBOX: %q", bob)
	}
	if len(bob) == 2 && !strings.Contains(bob[1], "with ESMTPSA id") {
		t.Errorf("submitted message lacks ESMTPSA trace:\n%s", bob[1])
	}
	alice := e.inbox("alice@example.test")
	if len(alice) != 1 || !strings.Contains(alice[0], "(authenticated as bob@example.test)") {
		t.Errorf("alice's INBOX: %q", alice)
	}
	q := e.queued()
	if len(q) != 1 || q[0].Recipients[0].Address != "far@elsewhere.test" || q[0].Sender != "alice@example.test" {
		t.Errorf("queue: %+v", q)
	}
}
