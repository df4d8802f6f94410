package pop3d

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// stuffed runs body through a dotStuffer in two writes split at split,
// as TOP with topLines lines when topLines >= 0, and returns the payload
// without the terminating ".\r\n".
func stuffed(t testing.TB, body []byte, split, topLines int) []byte {
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	d := dotStuffer{w: w, lineStart: true, top: topLines >= 0, inHeader: true, linesLeft: topLines}
	split = min(split, len(body))
	for _, p := range [][]byte{body[:split], body[split:]} {
		if len(p) > 0 && !d.done {
			d.write(p)
		}
	}
	d.finish()
	w.Flush()
	b := out.Bytes()
	if !bytes.HasSuffix(b, []byte(".\r\n")) || len(b) > 3 && !bytes.HasSuffix(b, []byte("\r\n.\r\n")) {
		t.Fatalf("response does not end with CRLF.CRLF: %q", b)
	}
	return b[:len(b)-3]
}

func TestDotStuffer(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{".", "..\r\n"},
		{"a\r\n.\r\n", "a\r\n..\r\n"},
		{".a\r\n..b\r\nc.d\r\n", "..a\r\n...b\r\nc.d\r\n"},
		{"no final CRLF", "no final CRLF\r\n"},
		{"x\r", "x\r\r\n"},
	} {
		for split := 0; split <= len(tc.in); split++ {
			if got := stuffed(t, []byte(tc.in), split, -1); string(got) != tc.want {
				t.Errorf("%q split at %d: got %q, want %q", tc.in, split, got, tc.want)
			}
		}
	}
}

// FuzzDotStuffer: whatever the body and however it is cut into reads,
// the payload cannot end the response early, unstuffs to exactly what the
// size rule promises (the body plus a CRLF if it lacks one), and TOP sends
// a prefix of it.
func FuzzDotStuffer(f *testing.F) {
	for _, m := range awkwardMessages() {
		f.Add([]byte(m), uint16(len(m)/2), int8(-1))
		f.Add([]byte(m), uint16(3), int8(1))
	}
	f.Add([]byte(".\r\n.\r\n"), uint16(1), int8(0))
	f.Add([]byte("\r\n\r\n.x"), uint16(2), int8(2))
	f.Fuzz(func(t *testing.T, body []byte, split uint16, top int8) {
		// Stored bodies have CRLF line endings (store.ReadBody).
		body = store.NewBody(body).Bytes()
		payload := stuffed(t, body, int(split), int(top))
		if bytes.Contains(append([]byte("\n"), payload...), []byte("\n.\r\n")) {
			t.Fatalf("payload contains a terminating line: %q", payload)
		}
		got := unstuff(payload)
		want := sent(body)
		if top < 0 && !bytes.Equal(got, want) {
			t.Fatalf("RETR of %q: got %q, want %q", body, got, want)
		}
		if top >= 0 && !bytes.HasPrefix(want, got) {
			t.Fatalf("TOP %d of %q: got %q, not a prefix of %q", top, body, got, want)
		}
	})
}
