package smtpd

import (
	"strings"
	"testing"
)

// TestDataLineLimitSameForEveryLine: the DATA fast path applies go-smtp's
// line limit exactly as go-smtp does, to the first line of the data as to
// any other (the behavioural guard found the fast path one octet more
// lenient on the first line: go-smtp counts the LF of "DATA" into it).
func TestDataLineLimitSameForEveryLine(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, tc := range []struct {
		name, data string
		want       int
	}{
		{"first line 1998", strings.Repeat("x", 1998) + "\r\n", 250},
		{"later line 1998", "Subject: a\r\n\r\n" + strings.Repeat("x", 1998) + "\r\n", 250},
		{"first line 1999", strings.Repeat("x", 1999) + "\r\n", 554},
		{"later line 1999", "Subject: a\r\n\r\n" + strings.Repeat("x", 1999) + "\r\n", 554},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, e.mx)
			rc.cmd("EHLO client.test", 250)
			rc.cmd("MAIL FROM:<x@remote.test>", 250)
			rc.cmd("RCPT TO:<alice@example.test>", 250)
			rc.cmd("DATA", 354)
			rc.cmd(tc.data+".", tc.want)
		})
	}
}

// TestLongLineDoesNotSmuggle: after a line too long inside DATA, nothing
// of the rest of the data is taken for commands. The fast path used to
// drop the octet that broke the limit, so go-smtp's drain of the data
// could see an end of data that is none ("\r\r\n.\r\n" read as
// "\r\n.\r\n") and run the rest, already buffered, as commands: a second,
// smuggled message was stored. Now the connection just closes, as with
// go-smtp's own reader.
func TestLongLineDoesNotSmuggle(t *testing.T) {
	e := newTestEnv(t, nil)
	smuggled := "MAIL FROM:<evil@remote.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n"
	for _, n := range []int{1997, 1998, 1999} {
		rc := dialRaw(t, e.mx)
		rc.cmd("EHLO client.test", 250)
		rc.cmd("MAIL FROM:<x@remote.test>", 250)
		rc.cmd("RCPT TO:<alice@example.test>", 250)
		rc.cmd("DATA", 354)
		rc.write(strings.Repeat("A", n) + "\r\r\n.\r\n" + smuggled + "QUIT\r\n")
		for {
			code, _, err := rc.readReply()
			if err != nil || code == 221 {
				break
			}
		}
	}
	e.shutdown()
	for _, m := range e.inbox("alice@example.test") {
		if strings.Contains(m, "Subject: smuggled") {
			t.Errorf("smuggled message stored:\n%s", m)
		}
	}
}
