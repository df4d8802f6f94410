package queue

import (
	"bytes"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVacationBlocked: the RFC 5230 §4.5 / RFC 3834 §2 rules that depend
// on the message and the sender alone.
func TestVacationBlocked(t *testing.T) {
	cases := []struct {
		sender, header string
		blocked        bool
	}{
		{"dave@remote.test", "Subject: hi\r\n", false},
		{"", "Subject: hi\r\n", true},
		{"MAILER-DAEMON@remote.test", "", true},
		{"owner-golang@lists.test", "", true},
		{"golang-request@lists.test", "", true},
		{"golang-bounces@lists.test", "", true},
		{"dave@remote.test", "Auto-Submitted: auto-replied\r\n", true},
		{"dave@remote.test", "Auto-Submitted: No (a human)\r\n", false},
		{"dave@remote.test", "auto-submitted:  NO ; x=y\r\n", false},
		{"dave@remote.test", "List-Unsubscribe: <mailto:u@lists.test>\r\n", true},
		{"dave@remote.test", "List-Post: NO\r\n", true},
		{"dave@remote.test", "Precedence: junk\r\n", true},
		{"dave@remote.test", "Precedence: first-class\r\n", false},
		{"dave@remote.test", "X-Auto-Response-Suppress: DR, OOF\r\n", true},
	}
	for _, c := range cases {
		h := parseVacationHeader([]byte(c.header + "From: x@y.test\r\n\r\nbody\r\n"))
		if got := vacationBlocked(h, c.sender); (got != "") != c.blocked {
			t.Errorf("sender %q header %q: blocked %q, want %v", c.sender, c.header, got, c.blocked)
		}
	}
}

// TestVacationRecipientAddresses: To, Cc, Bcc and Resent-* are read,
// with names, groups and encoded words, and unparseable values still
// give their addresses.
func TestVacationRecipientAddresses(t *testing.T) {
	h := parseVacationHeader([]byte("To: =?utf-8?q?J=C3=B6rg?= <Joerg@Local.test>, team: a@x.test, b@x.test;\r\n" +
		"Cc: broken <<c@x.test>\r\nResent-Bcc: d@x.test\r\nFrom: not@counted.test\r\n\r\n"))
	got := h.recipientAddresses()
	want := []string{"joerg@local.test", "a@x.test", "b@x.test", "c@x.test", "d@x.test"}
	if !slices.Equal(got, want) {
		t.Fatalf("addresses %q, want %q", got, want)
	}
}

// TestBuildVacationReply: the reply's header (RFC 5230 §5, RFC 3834 §3)
// and a non-ASCII reason in quoted-printable; the reply parses.
func TestBuildVacationReply(t *testing.T) {
	orig := parseVacationHeader([]byte("Subject: Re: plans\r\nMessage-ID: <m2@x.test>\r\nReferences: <m0@x.test> <m1@x.test>\r\n\r\n"))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	reply := buildVacationReply(orig, &vacationReply{
		From: "alice@local.test", To: "dave@x.test", Reason: "Je suis absente — retour lundi.\nMerci.",
		Hostname: "mx.local.test", Now: now,
	})
	m, err := mail.ReadMessage(bytes.NewReader(reply))
	if err != nil {
		t.Fatalf("reply does not parse: %v\n%s", err, reply)
	}
	for k, v := range map[string]string{
		"From": "alice@local.test", "To": "<dave@x.test>", "Subject": "Auto: Re: plans",
		"Auto-Submitted": "auto-replied", "In-Reply-To": "<m2@x.test>",
		"References": "<m0@x.test> <m1@x.test> <m2@x.test>", "Date": "Tue, 01 Dec 2026 12:00:00 +0000",
		"Content-Transfer-Encoding": "quoted-printable", "Content-Type": "text/plain; charset=utf-8",
	} {
		if got := m.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if !strings.HasSuffix(m.Header.Get("Message-Id"), "@mx.local.test>") {
		t.Errorf("Message-ID %q", m.Header.Get("Message-Id"))
	}
	if !bytes.Contains(reply, []byte("absente =E2=80=94 retour lundi.\r\nMerci.\r\n")) {
		t.Errorf("reason not quoted-printable with CRLF:\n%s", reply)
	}
	// A :subject with non-ASCII text is an encoded word; a long one folds.
	reply = buildVacationReply(orig, &vacationReply{From: "a@l.test", To: "d@x.test", Subject: strings.Repeat("Abwesenheitsnotiz für Dezember ", 5), Reason: "x", Now: now})
	m, err = mail.ReadMessage(bytes.NewReader(reply))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || dec != strings.TrimSpace(strings.Repeat("Abwesenheitsnotiz für Dezember ", 5)) {
		t.Errorf("subject decodes to %q, %v", dec, err)
	}
	for _, l := range strings.Split(string(reply), "\r\n") {
		if len(l) > 78 {
			t.Errorf("header line of %d octets: %q", len(l), l)
		}
	}
}

// FuzzVacationHeader: reading a message's header for the vacation rules
// and writing a reply to it never fails, and the reply always parses.
func FuzzVacationHeader(f *testing.F) {
	f.Add([]byte("Subject: hi\r\nTo: a@b.test\r\nMessage-ID: <x@y>\r\n\r\nbody"), "reason", false)
	f.Add([]byte("To: =?utf-8?b?w7Y=?= <a@b>, g: c@d;\r\nSubject: =?x?q?y?=\r\n folded\r\n\r\n"), "Content-Type: text/html\n\n<p>x</p>", true)
	f.Add([]byte("\r\n"), "", false)
	f.Add([]byte("no colon line\r\nTo: (comment) <a@b> ,,,\r\n\r\n"), "\r\n\r\n", true)
	f.Fuzz(func(t *testing.T, msg []byte, reason string, isMime bool) {
		h := parseVacationHeader(msg)
		_ = vacationBlocked(h, "s@x.test")
		_ = h.recipientAddresses()
		reply := buildVacationReply(h, &vacationReply{From: "a@l.test", To: "s@x.test", Reason: reason, Mime: isMime, Hostname: "h", Now: time.Unix(0, 0)})
		if _, err := mail.ReadMessage(bytes.NewReader(reply)); err != nil {
			t.Fatalf("reply does not parse: %v\n%q", err, reply)
		}
	})
}

// TestVacationLinear: big inputs take time in proportion to their size
// (a reply is built from a header of up to 1 MiB and a reason of up to
// the script size).
func TestVacationLinear(t *testing.T) {
	big := strings.Repeat("To: a@b.test,\r\n c@d.test\r\n X-Y: z\r\n", 1<<15)
	h := parseVacationHeader([]byte(big + "\r\n"))
	_ = h.recipientAddresses()
	reason := "Content-Type: text/plain\n" + strings.Repeat(" x\n", 1<<17) + "\nbody"
	reply := buildVacationReply(h, &vacationReply{From: "a@l.test", To: "s@x.test", Reason: reason, Mime: true, Now: time.Unix(0, 0)})
	if !bytes.HasSuffix(reply, []byte("\r\n\r\nbody\r\n")) {
		t.Fatalf("reply ends %q", reply[len(reply)-20:])
	}
	long := strings.Repeat("a", 1<<20)
	_ = foldField("Subject: " + long + " " + long)
	_ = foldField("Subject: " + strings.Repeat("ab ", 1<<18))
}
