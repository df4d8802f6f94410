package imapd

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// SEARCH SMALLER n keeps its bound when a date key or LARGER follows it
// (go-imap's SearchCriteria.And dropped it: issue 11 item 3), on 143 and
// on 993, with UID SEARCH, in parentheses, and never inside strings.
func TestSearchSmallerKept(t *testing.T) {
	e := newTestEnv(t)
	c := e.client("alice@example.test", nil)
	day := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	small := testMessage(1)                                           // ~180 octets
	large := testMessage(2) + strings.Repeat("padding line\r\n", 300) // ~4.4 KB
	appendMsg(t, c, "INBOX", small, &imap.AppendOptions{Time: day})
	appendMsg(t, c, "INBOX", large, &imap.AppendOptions{Time: day})
	appendMsg(t, c, "INBOX", "Subject: SMALLER 5\r\n\r\nx\r\n", &imap.AppendOptions{Time: day})
	cut := len(small) + 10

	for _, rc := range []*rawConn{e.rawLogin("alice@example.test"), e.rawTLSLogin(), e.rawStartTLSLogin()} {
		rc.ok("SELECT INBOX")
		for _, tc := range []struct{ query, want string }{
			{fmt.Sprintf("SMALLER %d SINCE 1-Jan-2026", cut), "1 3"},
			{fmt.Sprintf("SMALLER %d LARGER 30", cut), "1"},
			{fmt.Sprintf("smaller %d BEFORE 1-Jan-2027 SENTSINCE 1-Jan-2000", cut), "1"}, // 3 has no Date
			{fmt.Sprintf("(SMALLER %d (ON 10-Mar-2026))", cut), "1 3"},
			{fmt.Sprintf("NOT SMALLER %d SINCE 1-Jan-2026", cut), "2"},
			{fmt.Sprintf("OR SMALLER 40 LARGER %d SINCE 1-Jan-2026", cut), "2 3"},
			{"SMALLER 0 SINCE 1-Jan-2026", ""},
			{"SMALLER 000", ""},
			{"SMALLER 1", ""},
			{"SUBJECT SMALLER 3", "3"}, // 3 is a sequence set
			{`SUBJECT "SMALLER" 1:* SINCE 1-Jan-2026`, "3"},
			{`HEADER Subject "SMALLER 5" SMALLER 40 SINCE 1-Jan-2026`, "3"},
			{fmt.Sprintf("CHARSET UTF-8 SMALLER %d SINCE 1-Jan-2026", cut), "1 3"},
		} {
			u := rc.ok("SEARCH " + tc.query)
			want := strings.TrimSpace("* SEARCH " + tc.want)
			if len(u) != 1 || u[0] != want {
				t.Errorf("SEARCH %s: %q, want %q", tc.query, u, want)
			}
			u = rc.ok("UID SEARCH " + tc.query)
			if len(u) != 1 || u[0] != want { // UIDs 1, 2, 3 are sequence numbers 1, 2, 3
				t.Errorf("UID SEARCH %s: %q, want %q", tc.query, u, want)
			}
		}
		// A literal holding SMALLER is a string, never a key.
		rc.send("L1 SEARCH SUBJECT {7}\r\n")
		rc.expect("+")
		rc.send(fmt.Sprintf("SMALLER SMALLER %d SINCE 1-Jan-2026\r\n", cut))
		if l := rc.readLine(); l != "* SEARCH 3" {
			t.Errorf("literal: %q", l)
		}
		rc.expect("L1 OK")
	}
}

func (e *testEnv) rawTLSLogin() *rawConn {
	rc := e.rawTLS()
	rc.ok("LOGIN alice@example.test \"" + testPass + "\"")
	return rc
}

// rawStartTLSLogin is logged in on 143 after STARTTLS, which the server
// takes over (starttls.go): its input checks apply there as on 993.
func (e *testEnv) rawStartTLSLogin() *rawConn {
	rc, _ := e.rawStartTLS("")
	rc.ok("LOGIN alice@example.test \"" + testPass + "\"")
	return rc
}

func TestSearchFixRewrite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SMALLER 5 SINCE 1-Jan-2026\r\n", "NOT NOT SMALLER 5 SINCE 1-Jan-2026\r\n"},
		{"SMALLER 0\r\n", "NOT ALL\r\n"},
		{"(SMALLER 00)\r\n", "(NOT ALL)\r\n"},
		{"SMALLER 05\r\n", "NOT NOT SMALLER 05\r\n"},
		{"SUBJECT SMALLER SMALLER 3\r\n", "SUBJECT SMALLER NOT NOT SMALLER 3\r\n"},
		{`HEADER "SMALLER" SMALLER SMALLER 9` + "\r\n", `HEADER "SMALLER" SMALLER NOT NOT SMALLER 9` + "\r\n"},
		{`RETURN (MIN SMALLER) SMALLER 9` + "\r\n", `RETURN (MIN SMALLER) NOT NOT SMALLER 9` + "\r\n"},
		{`SUBJECT "a \" SMALLER 4" SMALLER 4` + "\r\n", `SUBJECT "a \" SMALLER 4" NOT NOT SMALLER 4` + "\r\n"},
		{"OR SMALLER 4 (LARGER 2 SMALLER 1)\r\n", "OR NOT NOT SMALLER 4 (LARGER 2 NOT NOT SMALLER 1)\r\n"},
	} {
		var f searchFix
		if got := string(f.rewrite([]byte(tc.in))); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	// Across a literal: the literal is SUBJECT's argument.
	var f searchFix
	a := string(f.rewrite([]byte("SUBJECT {7}\r\n")))
	b := string(f.rewrite([]byte(" SMALLER 3\r\n")))
	if a != "SUBJECT {7}\r\n" || b != " NOT NOT SMALLER 3\r\n" {
		t.Errorf("across a literal: %q %q", a, b)
	}
}

// FuzzSearchFix: the rewrite only ever replaces a SMALLER key, so the
// output is the input once every replacement is undone, and it is linear:
// at most 8 octets more per SMALLER.
func FuzzSearchFix(f *testing.F) {
	for _, s := range []string{"SMALLER 5 SINCE 1-Jan-2026\r\n", "SUBJECT \"x\" SMALLER 0\r\n", "(SMALLER 1 (OR SMALLER 2 SMALLER 3))\r\n",
		"HEADER SMALLER SMALLER SMALLER 4\r\n", "RETURN (SMALLER (SMALLER)) SMALLER 4 {5}\r\n", "\"unterminated SMALLER 4", "smaller"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var fx searchFix
		out := string(fx.rewrite([]byte(in)))
		n := strings.Count(strings.ToUpper(in), "SMALLER")
		if len(out) > len(in)+8*n {
			t.Fatalf("%q grew to %q", in, out)
		}
		if !strings.Contains(out, "NOT ALL") && undoSearchFix(out) != undoSearchFix(in) {
			t.Fatalf("%q became %q", in, out)
		}
	})
}

// undoSearchFix upper-cases s and folds every NOT NOT SMALLER to SMALLER.
func undoSearchFix(s string) string {
	s = strings.ToUpper(s)
	for {
		t := strings.ReplaceAll(s, "NOT NOT SMALLER", "SMALLER")
		if t == s {
			return s
		}
		s = t
	}
}
