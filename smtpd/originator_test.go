package smtpd

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSubmissionOriginators: a submitted message needs exactly one From:
// (RFC 5322 §3.6), and every address in From: and Sender: must be one the
// user may send as; before, only the first From: was read.
func TestSubmissionOriginators(t *testing.T) {
	e := newTestEnv(t, nil)
	const tail = "To: <bob@example.test>\r\nSubject: s\r\n\r\nx\r\n"
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"own From", "From: <alice@example.test>\r\n", true},
		{"alias From", "From: Postmaster <postmaster@example.test>\r\n", true},
		{"own From and Sender", "From: <alice@example.test>\r\nSender: <alice@example.test>\r\n", true},
		{"From list with own Sender", "From: <alice@example.test>, <postmaster@example.test>\r\nSender: <alice@example.test>\r\n", true},
		{"second From", "From: <alice@example.test>\r\nFrom: <bob@example.test>\r\n", false},
		{"second own From", "From: <alice@example.test>\r\nFROM: <alice@example.test>\r\n", false},
		{"no From", "", false},
		{"foreign Sender", "From: <alice@example.test>\r\nSender: <bob@example.test>\r\n", false},
		{"own Sender, foreign From", "From: <bob@example.test>\r\nSender: <alice@example.test>\r\n", false},
		{"two Senders", "From: <alice@example.test>\r\nSender: <alice@example.test>\r\nSender: <alice@example.test>\r\n", false},
		{"Sender list", "From: <alice@example.test>\r\nSender: <alice@example.test>, <alice@example.test>\r\n", false},
		{"foreign in From list", "From: <alice@example.test>, <bob@example.test>\r\nSender: <alice@example.test>\r\n", false},
		{"From list, no Sender", "From: <alice@example.test>, <postmaster@example.test>\r\n", false},
		{"encoded word name", "From: =?utf-8?q?Bob?= <bob@example.test>\r\n", false},
		{"malformed", "From: <alice@example.test\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.dialSubmission("alice@example.test", alicePass)
			before := len(e.inbox("bob@example.test"))
			err := send(c, "alice@example.test", []string{"bob@example.test"}, tc.header+tail)
			if tc.ok && err != nil || !tc.ok && smtpCode(err) != 550 {
				t.Fatalf("got %v, want ok=%v (550 otherwise)", err, tc.ok)
			}
			if n := len(e.inbox("bob@example.test")) - before; tc.ok != (n == 1) {
				t.Errorf("%d messages stored", n)
			}
		})
	}
}

// TestSubmissionOriginatorsSmtplib: the same rule through Python's smtplib
// (a client nobody here wrote): a second From: naming bob, and a Sender:
// naming bob, are refused; the message with alice's own fields goes.
func TestSubmissionOriginatorsSmtplib(t *testing.T) {
	e := newTestEnv(t, nil)
	script := `
import smtplib, ssl, sys
h, p = sys.argv[1].rsplit(":", 1)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP(h, int(p), local_hostname="py.test") as s:
    s.starttls(context=ctx)
    s.login("alice@example.test", "alice secret")
    for name, hdr in (("two-from", b"From: alice@example.test\r\nFrom: bob@example.test\r\n"),
                      ("sender", b"From: alice@example.test\r\nSender: bob@example.test\r\n"),
                      ("good", b"From: alice@example.test\r\nSender: alice@example.test\r\n")):
        try:
            s.sendmail("alice@example.test", ["bob@example.test"], hdr + b"Subject: " + name.encode() + b"\r\n\r\nhi\r\n")
            print(name, "accepted")
        except smtplib.SMTPDataError as e:
            print(name, "refused", e.smtp_code)
`
	out, err := exec.Command("python3", "-c", script, e.sub).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := "two-from refused 550\nsender refused 550\ngood accepted\n"
	if string(out) != want {
		t.Errorf("python:\n%s\nwant:\n%s", out, want)
	}
	if got := e.inbox("bob@example.test"); len(got) != 1 || !strings.Contains(got[0], "Subject: good") {
		t.Errorf("bob's INBOX: %q", got)
	}
}
