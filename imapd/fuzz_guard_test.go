package imapd

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// scriptConn is a net.Conn that reads a script in pieces and records
// what is written.
type scriptConn struct {
	net.Conn // nil: only Read and Write are used
	in       []byte
	piece    int
	out      bytes.Buffer
}

func (c *scriptConn) Read(p []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.piece, len(c.in))
	copy(p, c.in[:n])
	c.in = c.in[n:]
	return n, nil
}

func (c *scriptConn) Write(p []byte) (int, error) { return c.out.Write(p) }

// FuzzInputGuard feeds client input, in pieces, through the input guard
// (guard.go): it must never hand the library more than it was given plus
// its NUL-CRLF poison lines, its own replies must be bounded, and its
// allocations linear in the input.
func FuzzInputGuard(f *testing.F) {
	for _, s := range []string{
		"A1 LOGIN {4294967295}\r\n",
		"A1 NOOP\r\nA2 SELECT \"INBOX\r\nA3 NOOP\r\n",
		"A1 APPEND INBOX {5}\r\nhello\r\nA2 APPEND {5000}\r\n",
		"A1 LIST {1}\r\nx {5000}\r\nA2 NOOP\r\n",
		"A1 SELECT {99999999999999999999999}\r\n",
		"A1 SELECT \"a\\\"b\\\\\" {3+}\r\nabc\r\n",
		"\x16\x03\x01\x00\x05hello",
		"A1 UID SEARCH {3}\r\n{5}\r\n",
	} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(200))
	}
	f.Fuzz(func(t *testing.T, in []byte, piece uint8) {
		var passed, replies int
		allocs := testing.AllocsPerRun(1, func() {
			c := &scriptConn{in: in, piece: int(piece) + 1}
			g := newInputGuard(c)
			g.setAppendLimit(1 << 20)
			got, _ := io.ReadAll(g)
			passed = len(got)
			replies = c.out.Len()
		})
		// Each refusal adds at most 3 octets (the poison) and needs at
		// least 4 octets of input ("{0}" and a line end or a quote and a
		// line end); each reply is under 200 octets.
		if passed > len(in)+len(in)*3/4+3 {
			t.Errorf("%d octets passed for %d", passed, len(in))
		}
		if replies > 200*(len(in)/3+1) {
			t.Errorf("%d octets of replies for %d of input", replies, len(in))
		}
		if bound := 4*float64(len(in))/64 + 64 + float64(len(in))/3*4; allocs > bound {
			t.Errorf("%v allocations for %d octets (bound %v)", allocs, len(in), bound)
		}
	})
}

// When the library answers a command instead of sending "+" for its
// synchronizing literal, the client sends no literal: the guard must read
// what follows as the next command, not as the literal's octets (a quote
// inside them would otherwise be taken for the start of one, and the next
// line refused).
func TestGuardLiteralAnsweredInstead(t *testing.T) {
	c := &scriptConn{in: []byte("A1 LOGIN {12}\r\n"), piece: 100}
	g := newInputGuard(c)
	buf := make([]byte, 100)
	n, err := g.Read(buf)
	if err != nil || string(buf[:n]) != "A1 LOGIN {12}\r\n" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if _, err := g.Write([]byte("A1 NO [PRIVACYREQUIRED] no\r\n")); err != nil {
		t.Fatal(err)
	}
	next := "A2 SELECT \"x y\"\r\n"
	c.in = []byte(next)
	got, _ := io.ReadAll(g)
	if string(got) != next {
		t.Fatalf("next command passed as %q", got)
	}
}
