package imapd

import (
	"strings"
	"testing"
)

// ENVELOPE shows a comment after a bare address as its display name, and
// SEARCH FROM/TO match the parsed address where comments and spaces
// interrupt its text (issue 11 item 8).
func TestAddressCommentsAndSearch(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, "From: user@example.org (Real Name)\r\nTo: <@route.example:u2@example.org>\r\n"+
		"Cc: <user-from (comment)@ (comment) domain.org>\r\nSubject: a\r\n\r\nx\r\n")
	e.deliver(e.alice, "From: Someone <other@example.org>\r\nTo: alice@example.test\r\nSubject: b\r\n\r\ny\r\n")
	rc := e.rawLogin("alice@example.test")
	rc.ok("SELECT INBOX")
	u := rc.ok("FETCH 1 ENVELOPE")
	for _, want := range []string{`(("Real Name" NIL "user" "example.org"))`, `((NIL NIL "u2" "example.org"))`, `((NIL NIL "user-from" "domain.org"))`} {
		if len(u) != 1 || !strings.Contains(u[0], want) {
			t.Errorf("ENVELOPE %q: want %s", u, want)
		}
	}
	for _, tc := range []struct{ query, want string }{
		{"CC user-from@domain.org", "* SEARCH 1"},
		{"FROM user@example.org", "* SEARCH 1"},
		{"FROM other@example.org", "* SEARCH 2"},
		{"FROM real", "* SEARCH 1"},
		{"TO u2@example.org", "* SEARCH 1"},
		{`HEADER Cc "domain.org"`, "* SEARCH 1"},
		{"FROM nobody@domain.org", "* SEARCH"},
	} {
		if u := rc.ok("SEARCH " + tc.query); len(u) != 1 || u[0] != tc.want {
			t.Errorf("SEARCH %s: %q, want %q", tc.query, u, tc.want)
		}
	}
}
