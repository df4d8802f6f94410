package smtpd

import (
	"context"
	"crypto/tls"
	"strings"
	"sync"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// postmasterStore is the real store, except that Resolve("postmaster")
// (bare, any case) routes to alice, as store.Resolve does under contract
// C3, and records that it was asked.
type postmasterStore struct {
	*store.Store
	mu    sync.Mutex
	asked []string
}

func (s *postmasterStore) Resolve(ctx context.Context, address string) ([]store.Route, bool, error) {
	if !strings.EqualFold(address, "postmaster") {
		return s.Store.Resolve(ctx, address)
	}
	s.mu.Lock()
	s.asked = append(s.asked, address)
	s.mu.Unlock()
	return s.Store.Resolve(ctx, "alice@example.test")
}

// TestRcptBarePostmaster: RCPT TO:<Postmaster>, in any case and without a
// domain (RFC 5321 §4.1.1.3, §4.5.1 MUST), reaches the store as the bare
// "postmaster" instead of go-smtp's 501; in plain text, pipelined right
// after EHLO or after a message, and after STARTTLS on port 25.
func TestRcptBarePostmaster(t *testing.T) {
	var ps *postmasterStore
	e := newTestEnv(t, func(o *Options) {
		if ps == nil {
			ps = &postmasterStore{Store: o.Store.(*store.Store)}
		}
		o.Store = ps
	})
	rc := dialRaw(t, e.mx)
	// Pipelined after EHLO: go-smtp has buffered these lines already.
	rc.write("EHLO client.test\r\nMAIL FROM:<x@remote.test>\r\nRCPT TO:<Postmaster>\r\nRCPT TO:<POSTMASTER> NOTIFY=FAILURE\r\n")
	rc.expect(250)
	rc.expect(250)
	rc.expect(250)
	rc.expect(250)
	rc.cmd("RCPT TO:postmaster", 250)
	rc.cmd("DATA", 354)
	// After the data, in the same write: the filter regained the commands.
	second := "Subject: second\r\n\r\nhi\r\n"
	rc.write("Subject: to postmaster\r\n\r\nRCPT TO:<Postmaster>\r\n.\r\nMAIL FROM:<y@remote.test>\r\nRCPT TO:<postMaster>\r\nBDAT " +
		itoa(len(second)) + " LAST\r\n" + second)
	rc.expect(250)
	rc.expect(250)
	rc.expect(250)
	rc.expect(250)
	// Not the bare postmaster: unchanged.
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<postmasterx>", 501)
	rc.cmd("RCPT TO:<\"postmaster\"@>", 501)
	rc.cmd("QUIT", 221)

	// After STARTTLS on port 25: TLS is done inside go-smtp, and the
	// filter goes in above it at the EHLO that follows.
	rc = dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("STARTTLS", 220)
	tc := tls.Client(rc.c, e.tlsClient)
	must(t, tc.Handshake())
	rc = &rawClient{t: t, c: tc, r: newReader(tc)}
	rc.write("EHLO client.test\r\nMAIL FROM:<x@remote.test>\r\nRCPT TO:<Postmaster>\r\n")
	rc.expect(250)
	rc.expect(250)
	rc.expect(250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: over tls\r\n\r\nx\r\n.", 250)
	rc.cmd("QUIT", 221)

	got := e.inbox("alice@example.test")
	if len(got) != 3 || !strings.Contains(got[0], "Subject: to postmaster\r\n\r\nRCPT TO:<Postmaster>\r\n") ||
		!strings.Contains(got[1], "Subject: second") || !strings.Contains(got[2], "Subject: over tls") {
		t.Errorf("alice's INBOX: %q", got)
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.asked) != 5 {
		t.Errorf("Resolve asked for the bare postmaster %d times (%q), want 5", len(ps.asked), ps.asked)
	}
	for _, a := range ps.asked {
		if a != "postmaster" {
			t.Errorf("Resolve(%q), want \"postmaster\"", a)
		}
	}
}

// TestPostmasterEndToEnd runs against the real store as contract C3 has
// it: RCPT TO:<Postmaster> (bare) and postmaster@ and abuse@ of a local
// domain are accepted and delivered (RFC 5321 §4.5.1, RFC 2142). With
// Options.Postmaster unset, the first user created (alice) receives them;
// postmaster@example.test is also an alias to alice in the fixtures.
func TestPostmasterEndToEnd(t *testing.T) {
	e := newTestEnv(t, nil)
	for i, rcpt := range []string{"<Postmaster>", "<postmaster@example.test>", "<abuse@example.test>"} {
		rc := dialRaw(t, e.mx)
		rc.cmd("EHLO client.test", 250)
		rc.cmd("MAIL FROM:<x@remote.test>", 250)
		rc.cmd("RCPT TO:"+rcpt, 250)
		rc.cmd("DATA", 354)
		rc.cmd("Subject: "+itoa(i)+"\r\n\r\nx\r\n.", 250)
		rc.cmd("QUIT", 221)
	}
	if got := e.inbox("alice@example.test"); len(got) != 3 {
		t.Errorf("alice has %d messages, want 3", len(got))
	}
}
