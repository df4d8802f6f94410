package smtpd

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestGuardCatchesDivergence: the guard's corpus catches a reader that
// differs from go-smtp's in one way (here, one that stops treating a bare
// LF as ordinary content, the kind of change a smuggling fix in go-smtp
// would make); the fast path would then be off.
func TestGuardCatchesDivergence(t *testing.T) {
	h := checkGoSMTP()
	if h.conn == nil {
		t.Fatalf("guard: %q", h.off)
	}
	if err := compareOnCorpus(h.conn, h.fast.fastData); err != nil {
		t.Fatalf("the verified fast path differs: %v", err)
	}
	lfToCRLF := func(r io.Reader, c *smtp.Conn) (io.Reader, func()) {
		b, err := io.ReadAll(r)
		b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
		return io.MultiReader(bytes.NewReader(b), errReader{err}), func() {}
	}
	if err := compareOnCorpus(h.conn, lfToCRLF); err == nil {
		t.Fatal("a reader that rewrites bare LF passed the guard")
	}
}

// errReader returns err (or EOF).
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err == nil {
		return 0, io.EOF
	}
	return 0, r.err
}

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
