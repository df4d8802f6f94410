package imapd

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strings"
	"testing"
)

// originStream is server output as go-imap writes it, and what the
// client must get once the origins are in.
type originStream struct {
	in, want string
	wants    []originWant
}

// A stream with every trap: free text ending like a literal's length,
// literal content that looks like a BINARY item's header line, a LIST
// with a literal name, BINARY items whole and partial.
func originTrapStream() originStream {
	fake := "x BINARY[1] ~{10}\r\n"
	in := "* OK [CAPABILITY IMAP4rev1] ready {5}\r\n" +
		"A1 NO no such mailbox {3}\r\n" +
		"+ go ahead {2}\r\n" +
		"* LIST () \"/\" {4}\r\nab}c\r\n" +
		fmt.Sprintf("* 1 FETCH (UID 5 BODY[] {%d}\r\n%s BINARY[1] ~{10}\r\n0123456789 BINARY[2] ~{3}\r\nabc)\r\n", len(fake), fake) +
		"* BYE closing {7}\r\n"
	want := strings.Replace(in, " BINARY[1] ~{10}\r\n0123", " BINARY[1]<4> ~{10}\r\n0123", 1)
	// The first BINARY item (counted from 1) is BINARY[1]; the literal's
	// fake header is not one.
	return originStream{in: in, want: want, wants: []originWant{{item: 1, origin: 4}}}
}

func runOrigins(s originStream, chunks []int) string {
	o := newBinaryOrigins()
	for _, w := range s.wants {
		o.expect(w.item, w.origin)
	}
	var out bytes.Buffer
	emit := func(b []byte) error { out.Write(b); return nil }
	in := []byte(s.in)
	for _, n := range chunks {
		n = min(n, len(in))
		o.write(in[:n], emit)
		in = in[n:]
	}
	o.write(in, emit)
	o.release(emit)
	return out.String()
}

// TestBinaryOriginsEverySplit writes the trap stream cut at every point
// (go-imap's buffer may be flushed anywhere) and octet by octet.
func TestBinaryOriginsEverySplit(t *testing.T) {
	s := originTrapStream()
	for i := 0; i <= len(s.in); i++ {
		if got := runOrigins(s, []int{i}); got != s.want {
			t.Fatalf("cut at %d:\n got %q\nwant %q", i, got, s.want)
		}
	}
	ones := make([]int, len(s.in))
	for i := range ones {
		ones[i] = 1
	}
	if got := runOrigins(s, ones); got != s.want {
		t.Fatalf("octet by octet:\n got %q\nwant %q", got, s.want)
	}
	// Without an expectation nothing changes.
	if got := runOrigins(originStream{in: s.in, want: s.in}, []int{7, 30}); got != s.in {
		t.Fatalf("no origin expected, output changed:\n got %q\nwant %q", got, s.in)
	}
}

// randomOriginStream builds FETCH responses with random items and
// literals (whose content may hold anything, BINARY headers included)
// interleaved with status responses; about half the BINARY items are
// partial.
func randomOriginStream(rng *rand.Rand) originStream {
	var in, want strings.Builder
	var wants []originWant
	items := uint64(0)
	both := func(s string) { in.WriteString(s); want.WriteString(s) }
	content := func() string {
		pieces := []string{"a", "\r\n", "{3}\r\n", "~{2}\r\n", "BINARY[1] ~{4}\r\n", "* OK x\r\n", ")", "\x00", "}"}
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	for r := range 1 + rng.IntN(6) {
		switch rng.IntN(3) {
		case 0:
			both(fmt.Sprintf("T%d OK done {%d}\r\n", r, rng.IntN(9)))
		case 1:
			both(fmt.Sprintf("* %d EXISTS\r\n", r))
		default:
			both(fmt.Sprintf("* %d FETCH (UID %d", r+1, r+7))
			for range rng.IntN(4) {
				c := content()
				switch rng.IntN(3) {
				case 0:
					both(fmt.Sprintf(" BODY[] {%d}\r\n%s", len(c), c))
				default:
					items++
					part := fmt.Sprint(1 + rng.IntN(3))
					if rng.IntN(2) == 0 {
						origin := int64(rng.IntN(100))
						wants = append(wants, originWant{items, origin})
						in.WriteString(fmt.Sprintf(" BINARY[%s] ~{%d}\r\n%s", part, len(c), c))
						want.WriteString(fmt.Sprintf(" BINARY[%s]<%d> ~{%d}\r\n%s", part, origin, len(c), c))
					} else {
						both(fmt.Sprintf(" BINARY[%s] ~{%d}\r\n%s", part, len(c), c))
					}
				}
			}
			both(")\r\n")
		}
	}
	return originStream{in: in.String(), want: want.String(), wants: wants}
}

// FuzzBinaryOrigins: for any stream the generator makes and any way of
// cutting it, the output is the input with exactly the expected origins
// in, and the work is linear (each octet is looked at a bounded number
// of times: the held tail is at most originTail).
func FuzzBinaryOrigins(f *testing.F) {
	for i := range uint64(20) {
		f.Add(i, uint8(1), uint8(13))
	}
	f.Fuzz(func(t *testing.T, seed uint64, a, b uint8) {
		rng := rand.New(rand.NewPCG(seed, seed^0xb1))
		s := randomOriginStream(rng)
		if got := runOrigins(s, []int{int(a), int(b), int(a) + int(b)}); got != s.want {
			t.Fatalf("seed %d:\n got %q\nwant %q", seed, got, s.want)
		}
	})
}

// Partial BINARY fetches carry their origin on every port (issue 11 item
// 7; RFC 3516 §4.2: BINARY[1]<0.10> is answered BINARY[1]<0>), and only
// they do: a whole BINARY[1] in the same response has none.
func TestPartialBinaryOrigin(t *testing.T) {
	e := newTestEnv(t)
	for name, rc := range map[string]*rawConn{"143": e.rawLogin("alice@example.test"), "993": e.rawTLSLogin(), "143 STARTTLS": e.rawStartTLSLogin()} {
		rc.send(fmt.Sprintf("A1 APPEND INBOX ~{%d}\r\n", len(binaryMessage)))
		rc.expect("+")
		rc.send(binaryMessage + "\r\n")
		rc.expect("A1 OK")
		rc.ok("SELECT INBOX")
		u := rc.ok("FETCH 1 (BINARY.PEEK[1]<0.3> BINARY.PEEK[1] BINARY.PEEK[1]<2.100> BODY.PEEK[1]<1.2>)")
		for _, want := range []string{
			" BINARY[1]<0> ~{3}\r\n" + binaryPart[:3],
			fmt.Sprintf(" BINARY[1] ~{%d}\r\n%s", len(binaryPart), binaryPart),
			fmt.Sprintf(" BINARY[1]<2> ~{%d}\r\n%s", len(binaryPart)-2, binaryPart[2:]),
			"BODY[1]<1> {2}\r\nb\x80",
		} {
			if len(u) != 1 || !strings.Contains(u[0], want) {
				t.Errorf("%s: FETCH: %q, want %q in it", name, u, want)
			}
		}
		// The connection goes on as before.
		rc.no("DELETE INBOX/x")
		rc.ok("CLOSE")
	}
}

// Python's imaplib reads the answer to a partial BINARY fetch as a
// literal under the item name with its origin.
func TestPartialBinaryOriginImaplib(t *testing.T) {
	e := newTestEnv(t)
	rc := e.rawLogin("alice@example.test")
	rc.send(fmt.Sprintf("A1 APPEND INBOX ~{%d}\r\n", len(binaryMessage)))
	rc.expect("+")
	rc.send(binaryMessage + "\r\n")
	rc.expect("A1 OK")
	host, port, _ := net.SplitHostPort(e.addr)
	script := `
import imaplib, sys
c = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
c.login("alice@example.test", sys.argv[3])
c.select("INBOX")
typ, data = c.fetch("1", "(BINARY.PEEK[1]<1.4>)")
assert typ == "OK", (typ, data)
head, body = data[0]
assert head.endswith(b"BINARY[1]<1> ~{4}"), head
assert body == b"b\x00c\n", body
c.logout()
print("ok")
`
	out, err := exec.Command("python3", "-c", script, host, port, testPass).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("python3 (Debian package python3): %v\n%s", err, out)
	}
}

// BenchmarkBinaryOrigins: the cost of following the framing of ordinary
// output (no origin expected): FETCH FLAGS lines and 10 KiB BODY[]
// literals, as go-imap writes them in 4 KiB pieces.
func BenchmarkBinaryOrigins(b *testing.B) {
	for _, kind := range []string{"flags", "bodies"} {
		var sb strings.Builder
		body := strings.Repeat("Lorem ipsum dolor sit amet, consectetur.\r\n", 250)
		for i := range 2000 {
			if kind == "flags" {
				fmt.Fprintf(&sb, "* %d FETCH (UID %d FLAGS (\\Seen $Label1))\r\n", i+1, i+1)
			} else if i < 100 {
				fmt.Fprintf(&sb, "* %d FETCH (UID %d BODY[] {%d}\r\n%s)\r\n", i+1, i+1, len(body), body)
			}
		}
		stream := []byte(sb.String())
		b.Run(kind, func(b *testing.B) {
			o := newBinaryOrigins()
			emit := func([]byte) error { return nil }
			b.SetBytes(int64(len(stream)))
			for b.Loop() {
				for p := stream; len(p) > 0; {
					n := min(4096, len(p))
					o.write(p[:n], emit)
					p = p[n:]
				}
			}
		})
	}
}
