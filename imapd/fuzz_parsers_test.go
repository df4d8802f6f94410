package imapd

import (
	"bufio"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// FuzzHeaderScan checks the raw header scanners of headerscan.go (header
// SEARCH keys, HEADER.FIELDS) for allocations linear in the input; their
// time is linear by construction (each octet is looked at a bounded
// number of times; containsLower falls back to strings.Contains for long
// patterns).
func FuzzHeaderScan(f *testing.F) {
	f.Add([]byte("From: a@b\r\nSubject: =?utf-8?q?h=C3=A9llo?= world\r\n folded\r\nTo: x\r\n\r\nbody"), "subject", "HELLO")
	f.Add([]byte("X: "+strings.Repeat("a", 3000)+"\r\n\r\n"), "x", strings.Repeat("a", 100)+"b")
	f.Add([]byte(" continuation first\r\nA: b\r\n"), "a", "")
	f.Add([]byte("A: b\nB: c\nA: d\n\n"), "a b c d e f g h i j", "d")
	f.Add([]byte("Bad line\r\nA: b\r\n\r\n"), "A", "b")
	f.Fuzz(func(t *testing.T, raw []byte, key, pattern string) {
		names := strings.Fields(key)
		low := strings.ToLower(pattern)
		allocs := testing.AllocsPerRun(1, func() {
			scanFields(raw, func(name, field []byte) bool { return true })
			headerFields(raw, names, false)
			headerFields(raw, names, true)
			if len(names) > 0 {
				matchRawFields(raw, names[0], low)
				firstField(raw, names[0])
			}
		})
		if bound := 3*float64(len(raw)+len(key)+len(pattern)) + 64; allocs > bound {
			t.Errorf("%v allocations for %d octets (bound %v)", allocs, len(raw)+len(key)+len(pattern), bound)
		}
	})
}

// FuzzSequenceSet feeds sequence and UID sets to the view (view.spans;
// go-imap exports no parser for them, so parseTestSet reads RFC 9051's
// sequence-set grammar, and FuzzSearchCommand's seeds send sets through
// go-imap's own): the work must depend on the
// set's text, not on the numbers in it ("1:4294967295" is two numbers),
// and the spans must stay inside the client's picture.
func FuzzSequenceSet(f *testing.F) {
	for _, s := range []string{"1", "1:*", "*", "*:1", "4294967295", "1:4294967295", "5,3,1:2,7:*", "2,4,6,8,10,12,14", "0", "1:0", "3:1,999999:1000000"} {
		f.Add(s)
	}
	uids := make([]uint32, 0, 1000)
	for i := uint32(1); len(uids) < 1000; i += 1 + i%7 {
		uids = append(uids, i)
	}
	v := newView(1, uids)
	f.Fuzz(func(t *testing.T, s string) {
		for _, kind := range []string{"seq", "uid"} {
			set, ok := parseTestSet(s, kind == "uid")
			if !ok {
				continue
			}
			var sp []span
			allocs := testing.AllocsPerRun(1, func() { sp = v.spans(set, nil) })
			if bound := 2*float64(len(s)) + 8; allocs > bound {
				t.Errorf("%s %q: %v allocations (bound %v)", kind, s, allocs, bound)
			}
			for i, x := range sp {
				if x.lo < 0 || x.hi > len(uids) || x.lo >= x.hi || i > 0 && sp[i-1].hi >= x.lo {
					t.Fatalf("%s %q: bad spans %v", kind, s, sp)
				}
			}
		}
	})
}

// FuzzSearchCommand sends SEARCH commands over a socket, through go-imap's
// decoder into imapd's Search, on a small mailbox: every reply is a
// client-class one (OK, NO, BAD; never [SERVERBUG]) and the server's
// allocations stay linear in the command's length.
func FuzzSearchCommand(f *testing.F) {
	for _, s := range []string{
		"ALL", "1:* UID 1:*", "OR BODY hello TEXT world", "NOT (SMALLER 10 LARGER 5)", "HEADER Subject message",
		"SINCE 1-Jan-2000 BEFORE 1-Jan-2100", "CHARSET UTF-8 SUBJECT \"h\\\"x\"", "CHARSET BOGUS ALL", "KEYWORD $x UNKEYWORD y",
		"RETURN (MIN MAX COUNT SAVE) ALL", "$", "FROM " + strings.Repeat("a", 200), "(((((((((((((((((((ALL)))))))))))))))))))",
		"OR OR OR OR OR ALL ALL ALL ALL ALL ALL", "MODSEQ 5", "BODY {3}", "UNDRAFT SEEN NEW OLD RECENT",
	} {
		f.Add(s)
	}
	e := newTestEnv(f)
	for i := 1; i <= 5; i++ {
		e.deliver(e.alice, testMessage(i))
	}
	e.deliver(e.alice, deepMIME(150))
	var rc *rawConn
	connect := func(tb testing.TB) {
		if rc != nil {
			rc.c.Close()
		}
		c, err := net.Dial("tcp", e.addr)
		if err != nil {
			tb.Fatal(err)
		}
		rc = &rawConn{t: tb, c: c, r: bufio.NewReader(c)}
		rc.readLine()
		rc.ok("LOGIN alice@example.test \"" + testPass + "\"")
		rc.ok("SELECT INBOX")
	}
	connect(f)
	f.Cleanup(func() { rc.c.Close() })
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == 0 {
				return ' '
			}
			return r
		}, s)
		if len(s) > 4000 {
			s = s[:4000]
		}
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		rc.tag++
		tag := fmt.Sprintf("F%d", rc.tag)
		if _, err := fmt.Fprintf(rc.c, "%s SEARCH %s\r\n", tag, s); err != nil {
			connect(t)
			return
		}
		var tagged string
		for {
			l, err := rc.r.ReadString('\n')
			if err != nil {
				connect(t) // BYE and close: the guard's answer to a non-synchronizing literal
				return
			}
			if strings.HasPrefix(l, tag+" ") {
				tagged = l
				break
			}
			if strings.HasPrefix(l, "+") {
				connect(t) // a literal the client cannot finish: start again
				return
			}
		}
		runtime.ReadMemStats(&ms1)
		if strings.Contains(tagged, "SERVERBUG") || !strings.HasPrefix(tagged, tag+" OK") && !strings.HasPrefix(tagged, tag+" NO") && !strings.HasPrefix(tagged, tag+" BAD") {
			t.Errorf("SEARCH %q: %q", s, tagged)
		}
		if n, bound := ms1.Mallocs-ms0.Mallocs, uint64(200*len(s)+20000); n > bound {
			t.Errorf("SEARCH %q: %d allocations (bound %d)", s, n, bound)
		}
	})
}

// parseTestSet reads a sequence-set (RFC 9051 §9): seq-number or
// seq-range, comma-separated; "*" is 0, as in go-imap's sets.
func parseTestSet(s string, uid bool) (imap.NumSet, bool) {
	num := func(x string) (uint32, bool) {
		if x == "*" {
			return 0, true
		}
		n, err := strconv.ParseUint(x, 10, 32)
		return uint32(n), err == nil && n > 0
	}
	var seq imap.SeqSet
	var uids imap.UIDSet
	for _, r := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(r, ":")
		lo, ok := num(a)
		if !ok {
			return nil, false
		}
		hi := lo
		if isRange {
			if hi, ok = num(b); !ok {
				return nil, false
			}
		}
		seq = append(seq, imap.SeqRange{Start: lo, Stop: hi})
		uids = append(uids, imap.UIDRange{Start: imap.UID(lo), Stop: imap.UID(hi)})
	}
	if uid {
		return uids, true
	}
	return seq, true
}
