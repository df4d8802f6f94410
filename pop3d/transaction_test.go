package pop3d

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// awkward messages: long lines, lines starting with dots, 8-bit content,
// a body without a final CRLF, bare LF line endings.
func awkwardMessages() []string {
	long := strings.Repeat("x", 10000)
	return []string{
		"Subject: plain\r\n\r\nhello\r\n",
		"Subject: long\r\n\r\n" + long + "\r\n" + long + long + "\r\nend\r\n",
		"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n...\r\nmid.dle\r\n.\r\n",
		".Subject-less header line with a dot\r\n\r\n.body\r\n",
		"Subject: =?utf-8?q?8bit?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nGrüße, 日本語, \xff\xfe\x80 raw bytes\r\n",
		"Subject: no final newline\r\n\r\nlast line without CRLF",
		"Subject: no final newline, ends in a dot line\r\n\r\nx\r\n.",
		"Subject: bare LF\n\nline one\nline two\n",
		"Subject: CR at the end\r\n\r\nx\r",
	}
}

// sent is what RETR must send for a stored body: the body plus a CRLF if
// it lacks one.
func sent(stored []byte) []byte {
	if len(stored) > 0 && !bytes.HasSuffix(stored, []byte("\r\n")) {
		return append(slices.Clip(stored), "\r\n"...)
	}
	return stored
}

func TestSizesEqualRetrBytes(t *testing.T) {
	e := newEnv(t, nil)
	msgs := awkwardMessages()
	for _, m := range msgs {
		e.deliver(alice, m)
	}
	stored := e.inbox(alice)
	c := dial(t, e.addr)
	c.login(alice)
	_, list := c.multi("LIST")
	if len(list) != len(msgs) {
		t.Fatalf("LIST: %q", list)
	}
	var total int64
	for i := range msgs {
		n := i + 1
		body, err := e.st.ReadBodyBytes(stored[i].BodyID)
		if err != nil {
			t.Fatal(err)
		}
		want := sent(body)
		status, raw := c.data(fmt.Sprintf("RETR %d", n))
		got := unstuff(raw)
		if !bytes.Equal(got, want) {
			t.Errorf("RETR %d: got %q, want %q", n, got, want)
		}
		if status != fmt.Sprintf("+OK %d octets", len(got)) {
			t.Errorf("RETR %d status %q, sent %d octets", n, status, len(got))
		}
		if l := fmt.Sprintf("%d %d", n, len(got)); list[i] != l {
			t.Errorf("LIST line %q, want %q", list[i], l)
		}
		if r := c.expectOK(fmt.Sprintf("LIST %d", n)); r != "+OK "+list[i] {
			t.Errorf("LIST %d = %q", n, r)
		}
		// Every line of the payload ends in CRLF and dot lines are stuffed.
		for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			if !bytes.HasSuffix(line, []byte("\r\n")) {
				t.Errorf("RETR %d: line %q without CRLF", n, line)
			}
			if line[0] == '.' && !bytes.HasPrefix(line, []byte("..")) {
				t.Errorf("RETR %d: line %q not dot-stuffed", n, line)
			}
		}
		total += int64(len(got))
	}
	if r := c.expectOK("STAT"); r != fmt.Sprintf("+OK %d %d", len(msgs), total) {
		t.Errorf("STAT = %q, want %d messages of %d octets", r, len(msgs), total)
	}
	c.expectOK("QUIT")
}

func TestTop(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: top\r\nFrom: a@b.test\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n")
	e.deliver(alice, "Subject: headers only\r\nX: y\r\n")
	e.deliver(alice, "Subject: no final CRLF\r\n\r\none\r\ntwo")
	e.deliver(alice, "\r\nbody of a message without header\r\nsecond\r\n")
	c := dial(t, e.addr)
	c.login(alice)
	head := "Subject: top\r\nFrom: a@b.test\r\n\r\n"
	for _, tc := range []struct {
		cmd, want string
	}{
		{"TOP 1 0", head},
		{"TOP 1 1", head + "line 1\r\n"},
		{"TOP 1 2", head + "line 1\r\n..line 2\r\n"},
		{"TOP 1 3", head + "line 1\r\n..line 2\r\nline 3\r\n"},
		{"TOP 1 99", head + "line 1\r\n..line 2\r\nline 3\r\n"},
		{"TOP 2 0", "Subject: headers only\r\nX: y\r\n"},
		{"TOP 2 5", "Subject: headers only\r\nX: y\r\n"},
		{"TOP 3 1", "Subject: no final CRLF\r\n\r\none\r\n"},
		{"TOP 3 2", "Subject: no final CRLF\r\n\r\none\r\ntwo\r\n"},
		{"TOP 4 0", "\r\n"},
		{"TOP 4 1", "\r\nbody of a message without header\r\n"},
	} {
		_, got := c.data(tc.cmd)
		if string(got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
	for _, bad := range []string{"TOP 1", "TOP 1 -1", "TOP 1 x", "TOP 0 1", "TOP 9 1", "TOP 1 1 1"} {
		c.expectErr(bad, "")
	}
	c.expectOK("QUIT")
}

func TestMessageNumbers(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: 1\r\n\r\none\r\n")
	c := dial(t, e.addr)
	c.login(alice)
	for _, bad := range []string{"RETR", "RETR 0", "RETR 2", "RETR -1", "RETR x", "RETR 1 2", "LIST 2", "LIST 1 2", "UIDL 0", "DELE 2", "DELE", "RETR 4294967297"} {
		c.expectErr(bad, "")
	}
	c.expectOK("QUIT")
}

func TestEmptyMaildrop(t *testing.T) {
	e := newEnv(t, nil)
	c := dial(t, e.addr)
	c.login(alice)
	if r := c.expectOK("STAT"); r != "+OK 0 0" {
		t.Errorf("STAT = %q", r)
	}
	if _, l := c.multi("LIST"); len(l) != 0 {
		t.Errorf("LIST = %q", l)
	}
	if _, l := c.multi("UIDL"); len(l) != 0 {
		t.Errorf("UIDL = %q", l)
	}
	c.expectErr("RETR 1", "")
	c.expectOK("QUIT")
}

func uidlMap(t *testing.T, lines []string) map[int]string {
	t.Helper()
	m := map[int]string{}
	for _, l := range lines {
		n, uid, ok := strings.Cut(l, " ")
		i, err := strconv.Atoi(n)
		if !ok || err != nil || uid == "" || len(uid) > 70 {
			t.Fatalf("UIDL line %q", l)
		}
		for _, r := range uid {
			if r < 0x21 || r > 0x7e {
				t.Fatalf("UIDL %q: bad character", uid)
			}
		}
		m[i] = uid
	}
	return m
}

func TestUIDLStableAcrossRestart(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 5 {
		e.deliver(alice, fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))
	}
	c := dial(t, e.addr)
	c.login(alice)
	_, lines := c.multi("UIDL")
	before := uidlMap(t, lines)
	if len(before) != 5 {
		t.Fatalf("UIDL: %q", lines)
	}
	seen := map[string]bool{}
	for n, u := range before {
		if seen[u] {
			t.Errorf("UIDL %q not unique", u)
		}
		seen[u] = true
		if r := c.expectOK(fmt.Sprintf("UIDL %d", n)); r != fmt.Sprintf("+OK %d %s", n, u) {
			t.Errorf("UIDL %d = %q", n, r)
		}
	}
	c.expectOK("DELE 2")
	c.expectOK("QUIT")

	e.restart()
	e.deliver(alice, "Subject: new\r\n\r\nafter restart\r\n")
	c = dial(t, e.addr)
	c.login(alice)
	_, lines = c.multi("UIDL")
	after := uidlMap(t, lines)
	// Message 2 is gone: the others keep their UIDL, and the new one has
	// a new UIDL.
	want := []string{before[1], before[3], before[4], before[5]}
	for i, u := range want {
		if after[i+1] != u {
			t.Errorf("after restart, UIDL %d = %q, want %q", i+1, after[i+1], u)
		}
	}
	if u := after[5]; u == "" || seen[u] {
		t.Errorf("new message's UIDL %q reuses an old one", u)
	}
	c.expectOK("QUIT")
}

func TestDeleRset(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 3 {
		e.deliver(alice, fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))
	}
	c := dial(t, e.addr)
	c.login(alice)
	stat := c.expectOK("STAT")
	c.expectOK("DELE 2")
	c.expectErr("DELE 2", "")
	c.expectErr("RETR 2", "")
	c.expectErr("LIST 2", "")
	c.expectErr("UIDL 2", "")
	c.expectErr("TOP 2 0", "")
	if _, l := c.multi("LIST"); len(l) != 2 || !strings.HasPrefix(l[0], "1 ") || !strings.HasPrefix(l[1], "3 ") {
		t.Errorf("LIST after DELE 2: %q", l)
	}
	if r := c.expectOK("STAT"); !strings.HasPrefix(r, "+OK 2 ") {
		t.Errorf("STAT after DELE = %q", r)
	}
	c.expectOK("RSET")
	if r := c.expectOK("STAT"); r != stat {
		t.Errorf("STAT after RSET = %q, want %q", r, stat)
	}
	c.expectOK("RETR 2")
	c.multiRest()
	c.expectOK("QUIT")
	if n := len(e.inbox(alice)); n != 3 {
		t.Errorf("%d messages left after DELE+RSET+QUIT, want 3", n)
	}
}

// multiRest reads the rest of a multi-line response.
func (c *client) multiRest() {
	c.t.Helper()
	for c.readLine() != "." {
	}
}

func TestDeleThenDropDeletesNothing(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 3 {
		e.deliver(alice, fmt.Sprintf("Subject: %d\r\n\r\nbody\r\n", i))
	}
	c := dial(t, e.addr)
	c.login(alice)
	c.expectOK("DELE 1")
	c.expectOK("DELE 3")
	c.conn.Close()

	// Once the server has seen the connection end, the lock is free again
	// and nothing was deleted.
	c = loginEventually(t, e.addr, alice)
	if r := c.expectOK("STAT"); !strings.HasPrefix(r, "+OK 3 ") {
		t.Errorf("STAT = %q after a dropped session", r)
	}
	c.expectOK("QUIT")
	if n := len(e.inbox(alice)); n != 3 {
		t.Errorf("%d messages left, want 3", n)
	}
}

func TestDeleThenQuitExpunges(t *testing.T) {
	e := newEnv(t, nil)
	var uids []uint32
	for i := range 4 {
		uids = append(uids, e.deliver(alice, fmt.Sprintf("Subject: %d\r\n\r\nbody %d\r\n", i, i)))
	}
	var mu sync.Mutex
	var events []store.Event
	cancel := e.st.Watch(e.users[alice].ID, func(ev store.Event) {
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	})
	defer cancel()

	c := dial(t, e.addr)
	c.login(alice)
	c.expectOK("DELE 1")
	c.expectOK("DELE 3")
	if r := c.expectOK("QUIT"); !strings.Contains(r, "2 messages deleted") {
		t.Errorf("QUIT = %q", r)
	}
	c.expectClosed()

	var left []uint32
	for _, m := range e.inbox(alice) {
		left = append(left, m.UID)
	}
	if !slices.Equal(left, []uint32{uids[1], uids[3]}) {
		t.Errorf("left %v, want %v", left, []uint32{uids[1], uids[3]})
	}
	// One expunge event for both (one atomic expunge), as IMAP sessions
	// watching the mailbox see it.
	mu.Lock()
	defer mu.Unlock()
	var exp []store.Event
	for _, ev := range events {
		if ev.Kind == store.EventExpunge {
			exp = append(exp, ev)
		}
	}
	if len(exp) != 1 || !slices.Equal(exp[0].UIDs, []uint32{uids[0], uids[2]}) || exp[0].Messages != 2 {
		t.Errorf("expunge events %+v", exp)
	}

	// The next session numbers what is left from 1.
	c = dial(t, e.addr)
	c.login(alice)
	_, body := c.data("RETR 1")
	if string(body) != "Subject: 1\r\n\r\nbody 1\r\n" {
		t.Errorf("RETR 1 = %q", body)
	}
	c.expectOK("QUIT")
}

func TestSecondSessionInUse(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: x\r\n\r\nx\r\n")
	c1 := dial(t, e.addr)
	c1.login(alice)

	c2 := dial(t, e.addr)
	c2.expectOK("USER " + alice)
	c2.expectErr("PASS "+password, " [IN-USE]")
	// Still in AUTHORIZATION: another user may log in on it.
	c2.login(bob)
	c2.expectOK("QUIT")

	// A wrong password never reveals the lock.
	c3 := dial(t, e.addr)
	c3.expectOK("USER " + alice)
	c3.expectErr("PASS wrong", " [AUTH]")
	enc := "AHdyb25nAA==" // "\0wrong\0"
	c3.expectErr("AUTH PLAIN "+enc, "")

	c1.expectOK("QUIT")
	c1.expectClosed()
	c4 := dial(t, e.addr)
	c4.login(alice)
	c4.expectOK("QUIT")
}

// TestSnapshot: the maildrop is fixed when the session starts; mail
// delivered during a session shows in the next one.
func TestSnapshot(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: 1\r\n\r\none\r\n")
	c := dial(t, e.addr)
	c.login(alice)
	stat := c.expectOK("STAT")
	e.deliver(alice, "Subject: 2\r\n\r\ntwo\r\n")
	if r := c.expectOK("STAT"); r != stat {
		t.Errorf("STAT changed during the session: %q, then %q", stat, r)
	}
	c.expectErr("RETR 2", "")
	c.expectOK("QUIT")
	c = dial(t, e.addr)
	c.login(alice)
	if r := c.expectOK("STAT"); !strings.HasPrefix(r, "+OK 2 ") {
		t.Errorf("next session STAT = %q", r)
	}
	c.expectOK("QUIT")
}

// TestExpungedElsewhere: a message expunged by IMAP during the session
// gets either -ERR on RETR or, while the store has not yet collected its
// body (a body outlives its readers, and its collection runs after the
// expunge's commit), the whole message; never a part of it. Deleting it
// again at QUIT is no error.
func TestExpungedElsewhere(t *testing.T) {
	e := newEnv(t, nil)
	u1 := e.deliver(alice, "Subject: 1\r\n\r\none\r\n")
	e.deliver(alice, "Subject: 2\r\n\r\ntwo\r\n")
	c := dial(t, e.addr)
	c.login(alice)
	mb, err := e.st.MailboxByName(context.Background(), e.users[alice].ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Expunge(context.Background(), e.users[alice].ID, mb.ID, store.ExpungeOptions{UIDs: []uint32{u1}}); err != nil {
		t.Fatal(err)
	}
	switch r := c.cmd("RETR 1"); {
	case strings.HasPrefix(r, "-ERR"):
	case r == "+OK 19 octets":
		var body []string
		for l := c.readLine(); l != "."; l = c.readLine() {
			body = append(body, l)
		}
		if got := strings.Join(body, "\r\n") + "\r\n"; got != "Subject: 1\r\n\r\none\r\n" {
			t.Fatalf("RETR 1 of the expunged message sent %q", got)
		}
	default:
		t.Fatalf("RETR 1: got %q, want -ERR or the whole message", r)
	}
	c.expectOK("RETR 2")
	c.multiRest()
	c.expectOK("DELE 1")
	c.expectOK("QUIT")
	if n := len(e.inbox(alice)); n != 1 {
		t.Errorf("%d messages left, want 1", n)
	}
}

func TestIsolation(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: for alice\r\n\r\nsecret of alice\r\n")
	e.deliver(bob, "Subject: for bob\r\n\r\nbob\r\n")
	e.deliver(bob, "Subject: for bob 2\r\n\r\nbob\r\n")
	c := dial(t, e.addr)
	c.login(bob)
	if r := c.expectOK("STAT"); !strings.HasPrefix(r, "+OK 2 ") {
		t.Errorf("bob STAT = %q", r)
	}
	for n := 1; n <= 2; n++ {
		_, b := c.data(fmt.Sprintf("RETR %d", n))
		if bytes.Contains(b, []byte("alice")) {
			t.Errorf("bob sees alice's mail: %q", b)
		}
	}
	c.expectErr("RETR 3", "")
	c.expectOK("QUIT")
}

func TestPipelining(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: 1\r\n\r\n.one\r\n")
	c := dial(t, e.addr)
	// Everything in one write (RFC 2449 §6.6).
	c.conn.Write([]byte("USER " + alice + "\r\nPASS " + password + "\r\nSTAT\r\nLIST\r\nRETR 1\r\nUIDL 1\r\nNOOP\r\nQUIT\r\n"))
	c.expectOK("")
	c.expectOK("")
	if r := c.expectOK(""); r != "+OK 1 20" {
		t.Errorf("STAT = %q", r)
	}
	if _, l := c.multi(""); !slices.Equal(l, []string{"1 20"}) {
		t.Errorf("LIST = %q", l)
	}
	if _, b := c.data(""); string(b) != "Subject: 1\r\n\r\n..one\r\n" {
		t.Errorf("RETR = %q", b)
	}
	c.expectOK("")
	c.expectOK("")
	c.expectOK("")
	c.expectClosed()
}

// TestAutologout: RFC 1939 §3: on the autologout timer the server closes
// the connection without a reply and without UPDATE.
func TestAutologout(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.IdleTimeout = 200 * time.Millisecond })
	e.deliver(alice, "Subject: 1\r\n\r\none\r\n")
	c := dial(t, e.addr)
	c.login(alice)
	c.expectOK("DELE 1")
	c.expectClosed()
	c = loginEventually(t, e.addr, alice)
	if r := c.expectOK("STAT"); !strings.HasPrefix(r, "+OK 1 ") {
		t.Errorf("STAT = %q after autologout", r)
	}
	c.expectOK("QUIT")
}

func TestMaxConnections(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxConnections = 2 })
	c1 := dial(t, e.addr)
	dial(t, e.addr)
	c3 := dialRaw(t, e.addr)
	c3.expectErr("", " [SYS/TEMP]")
	c3.expectClosed()
	c1.expectOK("QUIT")
	c1.expectClosed()
	// A slot is free once the server has seen the session end.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := dialRaw(t, e.addr)
		if r := c.readLine(); strings.HasPrefix(r, "+OK") {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("no free slot: %q", r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestShutdown(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: 1\r\n\r\none\r\n")
	idle := dial(t, e.addr)
	idle.login(alice)
	idle.expectOK("DELE 1")
	if err := e.srv.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	idle.expectErr("", " [SYS/TEMP]")
	idle.expectClosed()
	if n := len(e.inbox(alice)); n != 1 {
		t.Errorf("%d messages after shutdown, want 1 (nothing deleted)", n)
	}
	if _, err := dialErr(e.addr); err == nil {
		t.Errorf("still accepting after Shutdown")
	}
}

// TestShutdownBusySession: a session stuck in a RETR to a client that does
// not read keeps Shutdown waiting until its context ends; then the
// connection is closed before the response is complete.
func TestShutdownBusySession(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, string(bigBody(8<<20)))
	c := dial(t, e.addr)
	c.conn.(*net.TCPConn).SetReadBuffer(16 << 10)
	c.login(alice)
	c.expectOK("RETR 1")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	// Read what was sent: the connection ends without the final ".".
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	rest, err := io.ReadAll(c.br)
	if err != nil && !isReset(err) {
		t.Fatalf("read: %v", err)
	}
	if bytes.HasSuffix(rest, []byte("\r\n.\r\n")) || len(rest) >= 8<<20 {
		t.Errorf("the whole message was sent (%d octets)", len(rest))
	}
}
