package smtpd

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestOversizeStoresNothing(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.MaxMessageBytes = 10000 })
	rc := dialRaw(t, e.mx)
	if ehlo := rc.cmd("EHLO client.test", 250); !strings.Contains(ehlo, "SIZE 10000") {
		t.Errorf("EHLO lacks SIZE 10000:\n%s", ehlo)
	}
	// Declared too large: refused at MAIL (RFC 1870 §6.1).
	rc.cmd("MAIL FROM:<x@remote.test> SIZE=20000", 552)
	// Undeclared: refused after DATA, connection still in sync.
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.write("Subject: big\r\n\r\n" + strings.Repeat(strings.Repeat("x", 98)+"\r\n", 200) + ".\r\n")
	if text := rc.expect(552); !strings.HasPrefix(text, "5.3.4") {
		t.Errorf("oversize reply %q", text)
	}
	// Oversize over BDAT, in two chunks.
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	chunk := strings.Repeat(strings.Repeat("y", 98)+"\r\n", 60)
	rc.write("BDAT 6000\r\n" + chunk)
	rc.expect(250)
	rc.write("BDAT 6000 LAST\r\n" + chunk)
	rc.expect(552)
	// A message just under the limit still goes through afterwards.
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: small\r\n\r\n"+strings.Repeat(strings.Repeat("z", 88)+"\r\n", 100)+".", 250)
	// An over-long line: refused, and go-smtp closes the connection.
	rc2 := dialRaw(t, e.mx)
	rc2.cmd("EHLO client.test", 250)
	rc2.cmd("MAIL FROM:<x@remote.test>", 250)
	rc2.cmd("RCPT TO:<alice@example.test>", 250)
	rc2.cmd("DATA", 354)
	rc2.write("Subject: long\r\n\r\n" + strings.Repeat("w", 3000) + "\r\n.\r\n")
	rc2.expect(554)
	rc2.expect(500)
	if _, _, err := rc2.readReply(); err == nil {
		t.Error("connection still open after an over-long line")
	}
	// The same in a long message, after many ordinary lines.
	rc3 := dialRaw(t, e.mx)
	rc3.cmd("EHLO client.test", 250)
	rc3.cmd("MAIL FROM:<x@remote.test>", 250)
	rc3.cmd("RCPT TO:<alice@example.test>", 250)
	rc3.cmd("DATA", 354)
	rc3.write("Subject: long\r\n\r\n" + strings.Repeat(strings.Repeat("v", 1990)+"\r\n", 3) + strings.Repeat("w", 2100) + "\r\n.\r\n")
	rc3.expect(554)
	rc3.expect(500)
	got := e.inbox("alice@example.test")
	if len(got) != 1 || !strings.Contains(got[0], "Subject: small") {
		t.Fatalf("INBOX: %d messages, want only the small one", len(got))
	}
}

func TestBDAT(t *testing.T) {
	e := newTestEnv(t, nil)
	rc := dialRaw(t, e.mx)
	if ehlo := rc.cmd("EHLO client.test", 250); !strings.Contains(ehlo, "CHUNKING") {
		t.Errorf("EHLO lacks CHUNKING:\n%s", ehlo)
	}
	rc.cmd("MAIL FROM:<x@remote.test> BODY=8BITMIME", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	// Chunks split anywhere, even inside CRLF; a line "." is content.
	parts := []string{"Subject: chunked\r", "\n\r\nline one\r\n.\r\n", "", "caf\xc3\xa9\r\n"}
	for _, p := range parts {
		rc.write("BDAT " + itoa(len(p)) + "\r\n" + p)
		rc.expect(250)
	}
	rc.write("BDAT 0 LAST\r\n")
	rc.expect(250)
	// Pipelined: BDAT LAST directly after RCPT.
	body := "Subject: pipelined\r\n\r\nx\r\n"
	rc.write("MAIL FROM:<x@remote.test>\r\nRCPT TO:<bob@example.test>\r\nBDAT " + itoa(len(body)) + " LAST\r\n" + body)
	rc.expect(250)
	rc.expect(250)
	rc.expect(250)
	got := e.inbox("alice@example.test")
	if len(got) != 1 || !strings.HasSuffix(got[0], "Subject: chunked\r\n\r\nline one\r\n.\r\ncaf\xc3\xa9\r\n") {
		t.Fatalf("alice's INBOX: %q", got)
	}
	if b := e.inbox("bob@example.test"); len(b) != 1 || !strings.HasSuffix(b[0], body) {
		t.Fatalf("bob's INBOX: %q", b)
	}
	// RSET in the middle of a BDAT transfer stores nothing.
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.write("BDAT 5\r\nabcde")
	rc.expect(250)
	rc.cmd("RSET", 250)
	rc.cmd("NOOP", 250)
	if n := len(e.inbox("alice@example.test")); n != 1 {
		t.Errorf("after an aborted BDAT alice has %d messages, want 1", n)
	}
}

// TestSmuggling sends, for each way of spelling an end-of-data other than
// <CRLF>.<CRLF>, a message with a second one hidden behind that spelling
// (CVE-2023-51764 class). Exactly one message or none may be stored, and
// never the smuggled one on its own.
func TestSmuggling(t *testing.T) {
	e := newTestEnv(t, nil)
	smuggled := "MAIL FROM:<admin@example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n"
	for _, tc := range []struct {
		name, eod string
		refused   bool // 550 5.6.0 rather than one message
	}{
		{"LF.LF", "\n.\n", true},
		{"LF.CRLF", "\n.\r\n", true},
		{"CRLF.LF", "\r\n.\n", false}, // go-smtp drops the dot: an empty line
		{"CR.CR", "\r.\r", true},
		{"CR.CRLF", "\r.\r\n", true},
		{"CRLF.CR", "\r\n.\r", false}, // go-smtp drops ".\r": nothing left to see
		{"LF.CR", "\n.\r", true},
		{"CR.LF", "\r.\n", true},
		{"CRLF..LF", "\r\n..\n", true},
		{"LF..LF", "\n..\n", false}, // ".." is no end-of-data in any reading
		{"CRLF.NUL.CRLF", "\r\n.\x00\r\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.inbox("alice@example.test"))
			rc := dialRaw(t, e.mx)
			rc.cmd("EHLO client.test", 250)
			rc.cmd("MAIL FROM:<x@remote.test>", 250)
			rc.cmd("RCPT TO:<alice@example.test>", 250)
			rc.cmd("DATA", 354)
			rc.write("Subject: first\r\n\r\nbody" + tc.eod + smuggled + ".\r\n")
			code, text, err := rc.readReply()
			if err != nil {
				t.Fatal(err)
			}
			want := 250
			if tc.refused {
				want = 550
			}
			if code != want {
				t.Errorf("end of DATA: %d %s, want %d", code, text, want)
			}
			// Nothing else was taken for commands: the next reply is QUIT's.
			rc.cmd("QUIT", 221)
			got := e.inbox("alice@example.test")[before:]
			if tc.refused && len(got) != 0 || !tc.refused && len(got) != 1 {
				t.Fatalf("%d messages stored", len(got))
			}
			for _, m := range got {
				// The smuggled text may only be content of the first message.
				if !strings.Contains(m, "Subject: first\r\n") {
					t.Errorf("stored message:\n%q", m)
				}
			}
		})
	}
	// A line "." that was dot-stuffed properly is content, not an attack.
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<bob@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: dots\r\n\r\n..\r\n...\r\n.", 250)
	// Bare LF line endings without any dot line are normalised to CRLF.
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<bob@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.cmd("Subject: lf\n\nline\nline\r\n.", 250)
	got := e.inbox("bob@example.test")
	if len(got) != 2 || !strings.HasSuffix(got[0], "Subject: dots\r\n\r\n.\r\n..\r\n") || !strings.HasSuffix(got[1], "Subject: lf\r\n\r\nline\r\nline\r\n") {
		t.Errorf("bob's INBOX: %q", got)
	}
}

// TestClientGoneMidData: a client that disconnects or stalls during DATA
// leaves nothing behind.
func TestClientGoneMidData(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.ReadTimeout = 300 * time.Millisecond })
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("DATA", 354)
	rc.write("Subject: cut\r\n\r\nhalf a messa")
	rc.c.Close()

	// A stalled client gets 421 and is disconnected.
	rc2 := dialRaw(t, e.mx)
	rc2.cmd("EHLO client.test", 250)
	rc2.cmd("MAIL FROM:<x@remote.test>", 250)
	rc2.cmd("RCPT TO:<alice@example.test>", 250)
	rc2.cmd("DATA", 354)
	rc2.write("Subject: slow\r\n\r\nand then noth")
	if text := rc2.expect(421); !strings.HasPrefix(text, "4.4.2") {
		t.Errorf("timeout reply %q", text)
	}
	if _, err := io.ReadAll(rc2.r); err != nil {
		t.Errorf("connection not closed cleanly: %v", err)
	}
	// The same for an idle command phase.
	rc3 := dialRaw(t, e.mx)
	rc3.expect(421)

	e.shutdown() // waits for anything in flight
	if got := e.inbox("alice@example.test"); len(got) != 0 {
		t.Errorf("%d messages stored", len(got))
	}
}

// TestDataTimeoutBoundsTransfer: a client trickling data is cut off after
// DataTimeout even though each read is on time.
func TestDataTimeoutBoundsTransfer(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.DataTimeout = 500 * time.Millisecond })
	rc := dialRaw(t, e.mx)
	rc.cmd("EHLO client.test", 250)
	rc.cmd("MAIL FROM:<x@remote.test>", 250)
	rc.cmd("RCPT TO:<alice@example.test>", 250)
	rc.cmd("DATA", 354)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := io.WriteString(rc.c, "x"); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	rc.expect(421)
	rc.c.Close()
	<-done
	if got := e.inbox("alice@example.test"); len(got) != 0 {
		t.Errorf("%d messages stored", len(got))
	}
}

func TestConnectionLimits(t *testing.T) {
	lim := NewConnLimiter(3, 2)
	e := newTestEnv(t, func(o *Options) { o.Limiter = lim })
	a := dialRaw(t, e.mx)
	dialRaw(t, e.sub)
	// A third connection from the same IP, on any SMTP port: 421 4.7.0.
	c := dialRawAny(t, e.mx)
	if code, text, _ := c.readReply(); code != 421 || !strings.HasPrefix(text, "4.7.0") {
		t.Errorf("over the per-IP limit: %d %s", code, text)
	}
	// Slots are given back when a connection ends.
	a.cmd("QUIT", 221)
	a.c.Close()
	var ok bool
	for range 100 {
		c := dialRawAny(t, e.mx)
		code, _, _ := c.readReply()
		c.c.Close()
		if code == 220 {
			ok = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !ok {
		t.Error("slot not released after QUIT")
	}
}

// dialRawAny connects without reading the greeting.
func dialRawAny(t *testing.T, addr string) *rawClient {
	t.Helper()
	rc := &rawClient{t: t}
	c, err := netDial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc.c = c
	rc.r = newReader(c)
	return rc
}
