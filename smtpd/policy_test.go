package smtpd

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/store"
)

// TestRelayTricks: on port 25 without AUTH, no spelling of a non-local
// address gets through (DESIGN invariant 7).
func TestRelayTricks(t *testing.T) {
	e := newTestEnv(t, nil)
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	for _, tc := range []struct {
		path string
		code int
	}{
		{"<user@remote.test>", 554},
		{"<USER@REMOTE.TEST>", 554},
		{"<user@remote.test.>", 554},              // trailing dot
		{"<user@Remote.Test..>", 501},             // empty label
		{"<user%remote.test@example.test>", 501},  // % hack
		{"<user%remote.test@catchall.test>", 501}, // % hack into a catch-all domain
		{"<remote.test!user@example.test>", 501},  // bang path
		{"<remote.test!user@catchall.test>", 501}, // bang path into a catch-all domain
		{"<@example.test:user@remote.test>", 554}, // source route (stripped by go-smtp)
		{"<@example.test,@x.test:user@remote.test>", 554},
		{`<"user@remote.test"@example.test>`, 501},  // quoted local part
		{`<"user%remote.test"@catchall.test>`, 501}, //
		{`<"user@remote.test">`, 501},               // quoted, no domain
		{"<user@[192.0.2.1]>", 501},                 // IP literal
		{"<user@[127.0.0.1]>", 501},                 // our own IP literal
		{"<user@[IPv6:::1]>", 501},                  //
		{"<alice@example.test@remote.test>", 501},   // two @
		{"<alice@remote.test@example.test>", 501},   //
		{"<user@remote.test,alice@example.test>", 501},
		{"user@remote.test", 554}, // no brackets
		{"<user@remote.test> NOTIFY=NEVER", 554},
		{"<postmaster@remote.test>", 554},
		{"<alice@example.test.remote.test>", 554}, // local domain as a prefix
		{"<alice@xexample.test>", 554},
		{"<alice@example.test>", 250}, // (positive control: local)
	} {
		rc.write("RCPT TO:" + tc.path + "\r\n")
		code, text, err := rc.readReply()
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if code != tc.code {
			t.Errorf("RCPT TO:%s = %d %s, want %d", tc.path, code, text, tc.code)
		}
	}
	rc.cmd("RSET", 250)
	if q := e.queued(); len(q) != 0 {
		t.Errorf("something was queued: %+v", q)
	}

	// A trusted network may relay without AUTH.
	e2 := newTestEnv(t, func(o *Options) { o.TrustedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	c := e2.dialMX()
	if err := send(c, "app@example.test", []string{"user@remote.test"}, "Subject: relay\r\n\r\nx\r\n"); err != nil {
		t.Fatalf("trusted relay: %v", err)
	}
	if q := e2.queued(); len(q) != 1 {
		t.Errorf("trusted relay queued %d entries, want 1", len(q))
	}
}

func TestSubmissionNeedsAuth(t *testing.T) {
	e := newTestEnv(t, nil)
	c, err := smtp.DialStartTLS(e.sub, e.tlsClient)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("alice@example.test", nil); smtpCode(err) != 530 {
		t.Fatalf("MAIL without AUTH: %v, want 530", err)
	}
	// Wrong password: 535 5.7.8, permanent.
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "wrong")); smtpCode(err) != 535 {
		t.Fatalf("wrong password: %v, want 535", err)
	}
	// Someone else's identity as authorization identity.
	if err := c.Auth(sasl.NewPlainClient("bob@example.test", "alice@example.test", alicePass)); smtpCode(err) != 535 {
		t.Fatalf("authzid of another user: %v, want 535", err)
	}
	// Port 25 offers no AUTH at all.
	rc := dialRaw(t, e.mx)
	if ehlo := rc.cmd("EHLO client.test", 250); strings.Contains(ehlo, "AUTH") {
		t.Errorf("port 25 advertises AUTH:\n%s", ehlo)
	}
	rc.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice@example.test\x00"+alicePass)), 502)
}

// TestAuthNeedsTLS: off loopback (simulated), AUTH is neither offered nor
// accepted before STARTTLS on 587; after STARTTLS it works. On loopback
// with allow_plaintext_on_loopback it works in clear text.
func TestAuthNeedsTLS(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = true; o.isLoopback = notLoopback })
	rc := dialRaw(t, e.sub)
	ehlo := rc.cmd("EHLO client.test", 250)
	if strings.Contains(ehlo, "AUTH") || !strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO before TLS:\n%s", ehlo)
	}
	rc.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice@example.test\x00"+alicePass)), 538)
	rc.cmd("AUTH LOGIN", 538)
	rc.cmd("MAIL FROM:<alice@example.test>", 530)
	rc.cmd("STARTTLS", 220)
	tc := tls.Client(rc.c, e.tlsClient)
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	rc.c = tc
	rc.r.Reset(tc)
	ehlo = rc.cmd("EHLO client.test", 250)
	if !strings.Contains(ehlo, "AUTH PLAIN LOGIN") || strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO after TLS:\n%s", ehlo)
	}
	// LOGIN without initial response, both challenges.
	if got := rc.cmd("AUTH LOGIN", 334); got != base64.StdEncoding.EncodeToString([]byte("Username:")) {
		t.Errorf("first LOGIN challenge %q", got)
	}
	if got := rc.cmd(base64.StdEncoding.EncodeToString([]byte("alice@example.test")), 334); got != base64.StdEncoding.EncodeToString([]byte("Password:")) {
		t.Errorf("second LOGIN challenge %q", got)
	}
	rc.cmd(base64.StdEncoding.EncodeToString([]byte(alicePass)), 235)
	rc.cmd("MAIL FROM:<alice@example.test>", 250)

	// Loopback allowed: AUTH offered and accepted without TLS.
	e2 := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = true })
	rc2 := dialRaw(t, e2.sub)
	if ehlo := rc2.cmd("EHLO client.test", 250); !strings.Contains(ehlo, "AUTH PLAIN LOGIN") {
		t.Errorf("loopback EHLO lacks AUTH:\n%s", ehlo)
	}
	rc2.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("\x00alice@example.test\x00"+alicePass)), 235)
}

// TestSubmissionRelayAndSpoofing: an authenticated user may relay (on 587
// and on 465), only from their own addresses.
func TestSubmissionRelayAndSpoofing(t *testing.T) {
	e := newTestEnv(t, nil)
	c := e.dialSubmission("alice@example.test", alicePass)
	msg := "From: Alice <alice@example.test>\r\nTo: far@remote.test\r\nSubject: out\r\n\r\nhi\r\n"
	if err := send(c, "alice@example.test", []string{"far@remote.test", "bob@example.test"}, msg); err != nil {
		t.Fatal(err)
	}
	q := e.queued()
	if len(q) != 1 || len(q[0].Recipients) != 1 || q[0].Recipients[0].Address != "far@remote.test" || q[0].Meta["auth"] != "alice@example.test" {
		t.Fatalf("queue: %+v", q)
	}
	bob := e.inbox("bob@example.test")
	if len(bob) != 1 {
		t.Fatalf("bob has %d messages", len(bob))
	}
	// Message-ID and Date were missing: added (RFC 6409 §8.3).
	for _, want := range []string{"\r\nMessage-ID: <", "@mx.example.test>\r\n", "\r\nDate: ", "(authenticated as alice@example.test)", "with ESMTPSA id", "(using TLS 1.3 with cipher "} {
		if !strings.Contains(bob[0], want) {
			t.Errorf("submitted message lacks %q:\n%s", want, bob[0])
		}
	}
	if strings.Contains(bob[0], "\r\n\tfor <") {
		t.Errorf("Received names a recipient of a two-recipient message:\n%s", bob[0])
	}

	// Own alias and subaddress are fine; another user's address is not.
	must(t, e.st.AddAlias(context.Background(), "alice.smith@example.test", []string{"alice@example.test"}))
	for _, from := range []string{"alice.smith@example.test", "alice+news@example.test", "ALICE@example.test"} {
		if err := send(c, from, []string{"bob@example.test"}, "From: "+from+"\r\nSubject: as\r\n\r\nx\r\n"); err != nil {
			t.Errorf("MAIL FROM:<%s>: %v", from, err)
		}
	}
	for _, from := range []string{"bob@example.test", "bob+alice@example.test", "x@catchall.test", "ceo@remote.test", ""} {
		if err := c.Mail(from, nil); smtpCode(err) != 553 {
			t.Errorf("MAIL FROM:<%s>: %v, want 553", from, err)
		}
		c.Reset()
	}
	// Envelope right, From: header someone else's.
	err := send(c, "alice@example.test", []string{"bob@example.test"}, "From: Bob <bob@example.test>\r\nSubject: spoof\r\n\r\nx\r\n")
	if smtpCode(err) != 550 {
		t.Errorf("spoofed From: %v, want 550", err)
	}
	if n := len(e.inbox("bob@example.test")); n != 4 {
		t.Errorf("bob has %d messages, want 4", n)
	}

	// Port 465, implicit TLS.
	c465, err := smtp.DialTLS(e.subs, e.tlsClient)
	if err != nil {
		t.Fatal(err)
	}
	defer c465.Close()
	must(t, c465.Hello("client.test"))
	must(t, c465.Auth(sasl.NewLoginClient("bob@example.test", bobPass)))
	if err := send(c465, "bob@example.test", []string{"far2@remote.test"}, "From: bob@example.test\r\nSubject: 465\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	if q := e.queued(); len(q) != 2 {
		t.Errorf("queue has %d entries, want 2", len(q))
	}
}

func TestAuthThrottled(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = true })
	plain := func(pass string) string {
		return "AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00alice@example.test\x00"+pass))
	}
	// The go-smtp client answers a failed AUTH with "*", which go-smtp's
	// server counts as a protocol error; a raw client shows the codes.
	rc := dialRaw(t, e.sub)
	rc.cmd("EHLO client.test", 250)
	code := 0
	// A guessing run: distinct passwords (the same one counts once).
	for i := 0; i < 12 && code != 454; i++ {
		rc.write(plain(fmt.Sprint("guess", i)) + "\r\n")
		c, text, err := rc.readReply()
		if err != nil {
			t.Fatal(err)
		}
		if c != 535 && c != 454 {
			t.Fatalf("failed AUTH: %d %s", c, text)
		}
		code = c
	}
	if code != 454 {
		t.Fatalf("no 454 after repeated failures")
	}
	// Even the right password is refused while throttled.
	rc.cmd(plain(alicePass), 454)
}

func TestQuotaAndRecipientLimit(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.MaxRecipients = 3 })
	ctx := context.Background()
	must(t, e.st.SetQuota(ctx, "bob@example.test", store.Quota{MaxBytes: 2000}))
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	// The message alone is larger than the quota: permanent.
	rc.cmd("MAIL FROM:<x@remote.test> SIZE=5000", 250)
	rc.cmd("RCPT TO:<bob@example.test>", 552)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("RSET", 250)
	// Fill bob's mailbox, then he is over quota: temporary.
	c := e.dialMX()
	must(t, send(c, "x@remote.test", []string{"bob@example.test"}, "Subject: big\r\n\r\n"+strings.Repeat("x", 1500)+"\r\n"))
	rc.cmd("MAIL FROM:<x@remote.test> SIZE=1000", 250)
	rc.cmd("RCPT TO:<bob@example.test>", 452)
	// Recipient limit: 452 4.5.3 beyond max_recipients.
	for range 3 {
		rc.cmd("RCPT TO:<alice@example.test>", 250)
	}
	if text := rc.cmd("RCPT TO:<alice@example.test>", 452); !strings.HasPrefix(text, "4.5.3") {
		t.Errorf("recipient limit reply %q", text)
	}
}

// TestNonASCIIAddresses: RFC 6531 addresses need SMTPUTF8.
func TestNonASCIIAddresses(t *testing.T) {
	e := newTestEnv(t, nil)
	rc := dialRaw(t, e.mx)
	if ehlo := rc.cmd("EHLO client.test", 250); !strings.Contains(ehlo, "SMTPUTF8") || !strings.Contains(ehlo, "DSN") {
		t.Errorf("EHLO lacks SMTPUTF8 or DSN:\n%s", ehlo)
	}
	rc.cmd("MAIL FROM:<jörg@remote.test>", 553)
	rc.cmd("MAIL FROM:<jörg@remote.test> SMTPUTF8", 250)
	rc.cmd("RCPT TO:<alice@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@example.test", 250)
	rc.cmd("RSET", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<jörg@example.test>", 553)
}

// TestDSNParametersKept: RET, ENVID, NOTIFY and ORCPT (RFC 3461) travel
// with a relayed message for later bounces.
func TestDSNParametersKept(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.TrustedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<app@example.test> RET=HDRS ENVID=env+2B42", 250)
	rc.cmd("RCPT TO:<far@remote.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Far@Remote.test", 250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: dsn\r\n\r\nx\r\n.", 250)
	q := e.queued()
	if len(q) != 1 {
		t.Fatalf("queue: %+v", q)
	}
	m := q[0]
	if m.Ret != "HDRS" || m.EnvelopeID != "env+42" || m.Sender != "app@example.test" {
		t.Errorf("queued message: ret %q envid %q sender %q", m.Ret, m.EnvelopeID, m.Sender)
	}
	r := m.Recipients[0]
	if r.Address != "far@remote.test" || strings.Join(r.Notify, ",") != "SUCCESS,FAILURE" || r.ORcpt != "rfc822;Far@Remote.test" {
		t.Errorf("queued recipient: %+v", r)
	}
}
