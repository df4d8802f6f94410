package smtpd

import (
	"bytes"
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
)

// TestForgedAuthenticationResultsRemoved: RFC 8601 §5. A field with our
// authserv-id (in any case, after a comment, quoted) is removed; one from
// another server stays; ours is the only one with our id, on top.
func TestForgedAuthenticationResultsRemoved(t *testing.T) {
	d, _ := inboundZone(t)
	e := newTestEnv(t, func(o *Options) { o.Resolver = d.resolver() })
	msg := "Authentication-Results: mx.example.test; dkim=pass header.d=bank.test;\r\n\tdmarc=pass header.from=bank.test\r\n" +
		"Authentication-Results: (forged) MX.Example.Test; spf=pass smtp.mailfrom=bank.test\r\n" +
		"Authentication-Results: \"mx.example.test\" 1; spf=pass\r\n" +
		"Authentication-Results: other.example; spf=pass smtp.mailfrom=x@pass.test\r\n" +
		"Authentication-Results: mx.example.test.evil; spf=pass\r\n" +
		message("x@pass.test", "bob@example.test", "forged")
	if err := send(e.dialMX(), "x@pass.test", []string{"bob@example.test"}, msg); err != nil {
		t.Fatal(err)
	}
	stored, _ := e.find("forged")
	if stored == "" {
		t.Fatal("not stored")
	}
	ars := authResults(stored)
	if len(ars) != 3 {
		t.Fatalf("Authentication-Results fields %q, want ours, other.example's and the .evil one", ars)
	}
	if !strings.HasPrefix(ars[0], "mx.example.test;") || !strings.Contains(ars[0], "spf=pass smtp.mailfrom=x@pass.test") {
		t.Errorf("first field %q is not ours", ars[0])
	}
	if !strings.HasPrefix(ars[1], "other.example;") || !strings.HasPrefix(ars[2], "mx.example.test.evil;") {
		t.Errorf("the others' fields were changed: %q", ars[1:])
	}
	if strings.Contains(stored, "bank.test") {
		t.Errorf("forged results kept:\n%s", stored)
	}
}

// TestSubmissionNotVerified: mail from an authenticated user (587) and
// from a trusted network (25) is not verified (no Authentication-Results,
// no DMARC refusal); the same from a stranger on 25 is.
func TestSubmissionNotVerified(t *testing.T) {
	d, _ := inboundZone(t)
	// Were it checked, example.test's DMARC would refuse it.
	d.addTXT("example.test", "v=spf1 -all")
	d.addTXT("_dmarc.example.test", "v=DMARC1; p=reject")
	e := newTestEnv(t, func(o *Options) { o.Resolver = d.resolver() })
	c := e.dialSubmission("alice@example.test", alicePass)
	if err := send(c, "alice@example.test", []string{"bob@example.test"}, message("alice@example.test", "bob@example.test", "submitted")); err != nil {
		t.Fatal(err)
	}
	stored, where := e.find("submitted")
	if where != "INBOX" {
		t.Fatalf("stored in %q", where)
	}
	if ars := authResults(stored); len(ars) != 0 {
		t.Errorf("submission verified: %q", ars)
	}
	// The same message on port 25 from a stranger is refused...
	if err := send(e.dialMX(), "alice@example.test", []string{"bob@example.test"}, message("alice@example.test", "bob@example.test", "stranger")); smtpCode(err) != 550 {
		t.Fatalf("port 25, untrusted: %v, want 550 (DMARC p=reject)", err)
	}
	// ...and accepted unverified from a trusted network.
	trusted := newTestEnv(t, func(o *Options) {
		o.Resolver = d.resolver()
		o.TrustedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	if err := send(trusted.dialMX(), "alice@example.test", []string{"bob@example.test"}, message("alice@example.test", "bob@example.test", "trusted")); err != nil {
		t.Fatalf("port 25, trusted network: %v", err)
	}
	stored, _ = trusted.find("trusted")
	if ars := authResults(stored); stored == "" || len(ars) != 0 {
		t.Errorf("trusted network: stored %v, Authentication-Results %q", stored != "", ars)
	}
}

// TestInboundPolicyOptions: SPF fail refused when asked (and accepted
// when an aligned DKIM signature passes), temperror deferred with 451
// when asked, DMARC reject off → Junk.
func TestInboundPolicyOptions(t *testing.T) {
	d, keys := inboundZone(t)
	p := InboundPolicy{RejectDMARC: false, QuarantineDMARC: true, RejectSPFFail: true, DeferTempError: true}
	e := newTestEnv(t, func(o *Options) { o.Resolver = d.resolver(); o.Inbound = &p })
	for _, c := range []struct {
		name  string
		m     pyMessage
		code  int
		where string
	}{
		{"spf-fail-refused", pyMessage{mailFrom: "x@fail.test", msg: message("x@fail.test", "bob@example.test", "spf-fail-refused")}, 550, ""},
		{"spf-fail-aligned-dkim", pyMessage{mailFrom: "x@fail.test", key: keys.rsaFile, selector: "sel", domain: "rsa.test", alg: "rsa-sha256",
			msg: message("a@rsa.test", "bob@example.test", "spf-fail-aligned-dkim")}, 250, "INBOX"},
		{"spf-temperror-deferred", pyMessage{mailFrom: "x@temperror.test", msg: message("x@temperror.test", "bob@example.test", "spf-temperror-deferred")}, 451, ""},
		{"dmarc-temperror-deferred", pyMessage{mailFrom: "x@attacker.test", msg: message("x@dmarcdns.test", "bob@example.test", "dmarc-temperror-deferred")}, 451, ""},
		{"dmarc-reject-off", pyMessage{mailFrom: "x@attacker.test", msg: message("ceo@reject.test", "bob@example.test", "dmarc-reject-off")}, 250, "Junk"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.m.rcpt = "bob@example.test"
			if code := pySend(t, e.mx, c.m); code != c.code {
				t.Fatalf("reply %d, want %d", code, c.code)
			}
			if _, where := e.find(c.name); where != c.where {
				t.Fatalf("stored in %q, want %q", where, c.where)
			}
		})
	}
}

// TestQuarantineWithoutJunk: a user who deleted Junk gets quarantined
// mail in INBOX (store.LocalDelivery.SpecialUse falls back), and a
// renamed Junk still takes it.
func TestQuarantineWithoutJunk(t *testing.T) {
	d, _ := inboundZone(t)
	e := newTestEnv(t, func(o *Options) { o.Resolver = d.resolver() })
	ctx := context.Background()
	must(t, e.st.RenameMailbox(ctx, e.alice.ID, "Junk", "Spam"))
	must(t, e.st.DeleteMailbox(ctx, e.bob.ID, "Junk", false))
	c := e.dialMX()
	if err := send(c, "x@quarantine.test", []string{"alice@example.test", "bob@example.test"},
		message("x@quarantine.test", "bob@example.test", "quarantined")); err != nil {
		t.Fatal(err)
	}
	if n := len(e.mailbox("bob@example.test", "INBOX")); n != 1 {
		t.Errorf("bob (no Junk) has %d messages in INBOX, want 1", n)
	}
	if n := len(e.mailbox("alice@example.test", "Spam")); n != 1 {
		t.Errorf("alice has %d messages in Spam (her renamed Junk), want 1", n)
	}
}

// TestInboundVerificationConcurrent: sessions verify at the same time
// (no lock between them; -race checks the sharing), each message with its
// own result.
func TestInboundVerificationConcurrent(t *testing.T) {
	d, keys := inboundZone(t)
	e := newTestEnv(t, func(o *Options) { o.Resolver = d.resolver() })
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			subject := "concurrent-" + strconv.Itoa(i)
			var signed bytes.Buffer
			err := dkim.Sign(&signed, strings.NewReader(message("a@rsa.test", "bob@example.test", subject)), &dkim.SignOptions{
				Domain: "rsa.test", Selector: "sel", Signer: keys.rsaKey,
				HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed})
			if err != nil {
				errs <- err
				return
			}
			c, err := smtp.Dial(e.mx)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			errs <- c.SendMail("a@rsa.test", []string{"bob@example.test"}, &signed)
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		stored, _ := e.find("concurrent-" + strconv.Itoa(i))
		ars := authResults(stored)
		if len(ars) != 1 || !strings.Contains(ars[0], "dkim=pass header.d=rsa.test") || !strings.Contains(ars[0], "dmarc=pass") {
			t.Errorf("message %d: Authentication-Results %q", i, ars)
		}
	}
}
