package smtpd

import (
	"strings"
	"testing"
)

// TestBDATRefusedWhenGuardOff: with another go-smtp than the one verified,
// the command filter is off, a chunk cut short could not be told from a
// whole one, so BDAT is refused (temporarily) and DATA still works.
func TestBDATRefusedWhenGuardOff(t *testing.T) {
	off := guardFor("v0.99.0", "h1:other")
	if off.fast != nil || off.conn != nil || len(off.off) == 0 {
		t.Fatalf("guard for another version: %+v", off)
	}
	e := newTestEnv(t, func(o *Options) { o.hooks = &off })
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	body := "Subject: b\r\n\r\nx\r\n"
	rc.write("BDAT " + itoa(len(body)) + " LAST\r\n" + body)
	rc.expect(451)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: d\r\n\r\nx\r\n.", 250)
	if got := e.inbox("alice@example.test"); len(got) != 1 || !strings.Contains(got[0], "Subject: d") {
		t.Errorf("INBOX: %q", got)
	}
}
