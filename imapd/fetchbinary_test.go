package imapd

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// binaryMessage has a part with Content-Transfer-Encoding binary holding
// a NUL and bare LFs.
const (
	binaryPart    = "ab\x00c\nd\n\x00"
	binaryMessage = "From: a@example.org\r\nSubject: bin\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
		binaryPart + "\r\n--b--\r\n"
)

// A message APPENDed as literal8 is kept octet for octet: BINARY[1] and
// BINARY.SIZE[1] answer the part's octets, RFC822.SIZE the message's,
// and BODY sections, sent as normal literals, hold no NUL (issue 11 item
// 5; RFC 3516 §4.3, §4.4). On 143, 993 and 143 after STARTTLS.
func TestAppendLiteral8KeptExact(t *testing.T) {
	e := newTestEnv(t)
	for _, rc := range []*rawConn{e.rawLogin("alice@example.test"), e.rawTLSLogin(), e.rawStartTLSLogin()} {
		rc.send(fmt.Sprintf("A1 APPEND INBOX ~{%d}\r\n", len(binaryMessage)))
		rc.expect("+")
		rc.send(binaryMessage + "\r\n")
		rc.expect("A1 OK")
		// A normal literal is still a message in RFC 5322 form: bare LF
		// becomes CRLF.
		plain := "Subject: plain\n\nline\n"
		rc.send(fmt.Sprintf("A2 APPEND INBOX {%d}\r\n", len(plain)))
		rc.expect("+")
		rc.send(plain + "\r\n")
		rc.expect("A2 OK")
		rc.ok("SELECT INBOX")
	}
	rc := e.rawLogin("alice@example.test")
	rc.ok("SELECT INBOX")
	for _, seq := range []string{"1", "3"} {
		u := rc.ok("FETCH " + seq + " (RFC822.SIZE BINARY.SIZE[1] BINARY.PEEK[1])")
		for _, want := range []string{fmt.Sprintf("RFC822.SIZE %d ", len(binaryMessage)), fmt.Sprintf("BINARY.SIZE[1] %d", len(binaryPart)),
			fmt.Sprintf("BINARY[1] ~{%d}\r\n%s", len(binaryPart), binaryPart)} {
			if len(u) != 1 || !strings.Contains(u[0], want) {
				t.Errorf("FETCH %s BINARY: %q, want %q", seq, u, want)
			}
		}
		for _, item := range []string{"BODY.PEEK[1]", "BODY.PEEK[]", "BODY.PEEK[TEXT]", "BINARY.PEEK[1]"} {
			rc.tag++
			rc.send(fmt.Sprintf("T%d FETCH %s (%s)\r\n", rc.tag, seq, item))
			line, err := rc.r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			binary := strings.HasPrefix(item, "BINARY")
			if got := strings.HasSuffix(line, "~{"+fmt.Sprint(len(binaryPart))+"}\r\n"); got != binary {
				t.Errorf("FETCH %s: %q (literal8 only for BINARY)", item, line)
			}
			// The literal's octets and the line's end, then the tagged OK.
			var rest string
			for l := rc.readLine(); !strings.HasPrefix(l, fmt.Sprintf("T%d ", rc.tag)); l = rc.readLine() {
				rest += l
			}
			if !binary && strings.Contains(rest, "\x00") {
				t.Errorf("FETCH %s: NUL in a normal literal: %q", item, rest)
			}
			if !binary && !strings.Contains(rest, "ab\x80c\nd\n\x80") && item == "BODY.PEEK[1]" {
				t.Errorf("FETCH %s: %q, want NUL as 0x80 and the LFs as they are", item, rest)
			}
		}
		u = rc.ok(fmt.Sprintf("FETCH %d (RFC822.SIZE BODY.PEEK[])", mustAtoi(seq)+1))
		if want := "Subject: plain\r\n\r\nline\r\n"; len(u) != 1 || !strings.Contains(u[0], want) || !strings.Contains(u[0], fmt.Sprintf("RFC822.SIZE %d", len(want))) {
			t.Errorf("plain APPEND: %q", u)
		}
	}
}

func mustAtoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

func TestNulFree(t *testing.T) {
	in := []byte("a\x00b\x00")
	if got := nulFree(in); !bytes.Equal(got, []byte("a\x80b\x80")) || !bytes.Equal(in, []byte("a\x00b\x00")) {
		t.Errorf("nulFree: %q (input now %q)", got, in)
	}
	if b := []byte("plain"); &nulFree(b)[0] != &b[0] {
		t.Error("nulFree copied a slice without NUL")
	}
}

type closeBuffer struct{ bytes.Buffer }

func (*closeBuffer) Close() error { return nil }

func TestNulFreeWriter(t *testing.T) {
	var out closeBuffer
	w := &nulFreeWriter{WriteCloser: &out}
	for _, p := range []string{"a\x00", "plain", "\x00\x00"} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q): %d, %v", p, n, err)
		}
	}
	if got := out.String(); got != "a\x80plain\x80\x80" {
		t.Errorf("%q", got)
	}
}
