package store_test

// Tests of store behaviour over real sockets, through the protocol servers
// that use it (an external test package, so importing them is no cycle).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/imapd"
	"github.com/mailserver/mailserver/pop3d"
	"github.com/mailserver/mailserver/smtpd"
	"github.com/mailserver/mailserver/store"
)

var bg = context.Background()

// serve runs a protocol server on a loopback listener, through whichever
// entry point it has: ServeConn from an accept loop (contract C1) or the
// older Serve(net.Listener).
func serve(t *testing.T, srv any) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	switch s := srv.(type) {
	case interface{ ServeConn(net.Conn, bool) }:
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				s.ServeConn(c, false)
			}
		}()
	case interface{ Serve(net.Listener) error }:
		go s.Serve(ln)
	default:
		t.Fatalf("%T has neither ServeConn nor Serve", srv)
	}
	if c, ok := srv.(interface{ Close() error }); ok {
		t.Cleanup(func() { c.Close() })
	}
	return ln.Addr().String()
}

type lineBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lineBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lineBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func openStore(t *testing.T, opts *store.Options) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddDomain(bg, "example.test"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice@example.test", "bob@example.test"} {
		if _, err := st.AddUser(bg, u, "secret"); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// TestPOP3RetrSurvivesExpunge: a POP3 RETR of a 20 MiB message gets every
// byte although another session expunges the message (and the store frees
// what it can) while the download is under way. Before, the download
// stopped after the chunks already read (4 MiB in the outside probe): the
// server closed the connection without the final ".".
func TestPOP3RetrSurvivesExpunge(t *testing.T) {
	st := openStore(t, nil)
	alice, err := st.UserByAddress(bg, "alice@example.test")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.WriteString("Subject: large\r\n\r\n")
	for i := 0; body.Len() < 20<<20; i++ {
		fmt.Fprintf(&body, "%08d ....................................................................\r\n", i)
		if i%1000 == 0 {
			body.WriteString(".a line that starts with a dot\r\n")
		}
	}
	want := body.Bytes()
	res, err := st.Append(bg, alice.ID, "INBOX", store.NewBody(want), store.AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, pop3d.New(st, pop3d.Options{Hostname: "pop.example.test", AllowPlaintextOnLoopback: true}))

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	br := bufio.NewReaderSize(c, 64<<10)
	line := func() string {
		t.Helper()
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return l
	}
	line()
	fmt.Fprintf(c, "USER alice@example.test\r\n")
	line()
	fmt.Fprintf(c, "PASS secret\r\n")
	if l := line(); !strings.HasPrefix(l, "+OK") {
		t.Fatalf("login: %q", l)
	}
	fmt.Fprintf(c, "RETR 1\r\n")
	if l := line(); !strings.HasPrefix(l, "+OK") {
		t.Fatalf("RETR: %q", l)
	}
	// Read 1 MiB, then expunge: the server, stopped by TCP flow control, is
	// at most the socket buffers (a few MiB) ahead, far from the end.
	var got bytes.Buffer
	if _, err := io.CopyN(&got, br, 1<<20); err != nil {
		t.Fatal(err)
	}
	mb, err := st.MailboxByName(bg, alice.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if uids, err := st.Expunge(bg, alice.ID, mb.ID, store.ExpungeOptions{UIDs: []uint32{res.UID}}); err != nil || len(uids) != 1 {
		t.Fatalf("expunge: %v %v", uids, err)
	}
	// More mail and deletes after it, so that freed pages are reused.
	for range 5 {
		r, err := st.Append(bg, alice.ID, "INBOX", store.NewBody(bytes.Repeat([]byte("overwrite\r\n"), 100000)), store.AppendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Expunge(bg, alice.ID, mb.ID, store.ExpungeOptions{UIDs: []uint32{r.UID}}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		l, err := br.ReadBytes('\n')
		got.Write(l)
		if err != nil {
			t.Fatalf("download cut after %d of %d bytes: %v", got.Len(), len(want), err)
		}
		if bytes.Equal(l, []byte(".\r\n")) {
			break
		}
	}
	// Undo the dot-stuffing (RFC 1939 §3) and drop the terminator.
	data := got.Bytes()[:got.Len()-3]
	data = bytes.ReplaceAll(data, []byte("\r\n.."), []byte("\r\n."))
	if !bytes.Equal(data, want) {
		t.Fatalf("downloaded %d bytes, want %d (equal: %v)", len(data), len(want), bytes.Equal(data, want))
	}
	fmt.Fprintf(c, "QUIT\r\n")
	line()
}

// The logger shared by the login tests: the store writes the failure line.
func captureLogger() (*slog.Logger, *lineBuffer) {
	buf := &lineBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})), buf
}

// TestIMAPFetchSurvivesExpunge: an IMAP FETCH BODY[] of a 20 MiB message
// sends the whole literal although another session expunges the message
// while it is being sent. Before, the server closed the connection in the
// middle of the literal.
func TestIMAPFetchSurvivesExpunge(t *testing.T) {
	st := openStore(t, nil)
	alice, _ := st.UserByAddress(bg, "alice@example.test")
	var body bytes.Buffer
	body.WriteString("Subject: large\r\n\r\n")
	for i := 0; body.Len() < 20<<20; i++ {
		fmt.Fprintf(&body, "%08d ....................................................................\r\n", i)
	}
	want := body.Bytes()
	if _, err := st.Append(bg, alice.ID, "INBOX", store.NewBody(want), store.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	srv, err := imapd.New(imapd.Options{Store: st, AllowPlaintextOnLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", serve(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	br := bufio.NewReaderSize(c, 64<<10)
	untilTagged := func(tag string) string {
		t.Helper()
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if strings.HasPrefix(l, tag+" ") {
				return l
			}
			if tag == "c" && strings.HasSuffix(l, "}\r\n") {
				return l
			}
		}
	}
	br.ReadString('\n')
	fmt.Fprintf(c, "a LOGIN alice@example.test secret\r\n")
	if l := untilTagged("a"); !strings.HasPrefix(l, "a OK") {
		t.Fatalf("login: %q", l)
	}
	fmt.Fprintf(c, "b SELECT INBOX\r\n")
	untilTagged("b")
	fmt.Fprintf(c, "c FETCH 1 BODY.PEEK[]\r\n")
	l := untilTagged("c")
	var n int
	if i := strings.LastIndexByte(l, '{'); i < 0 || !strings.HasPrefix(l, "* 1 FETCH") {
		t.Fatalf("FETCH: %q", l)
	} else if _, err := fmt.Sscanf(l[i:], "{%d}", &n); err != nil || n != len(want) {
		t.Fatalf("literal of %q, want %d", l, len(want))
	}
	got := make([]byte, n)
	if _, err := io.ReadFull(br, got[:1<<20]); err != nil {
		t.Fatal(err)
	}
	mb, _ := st.MailboxByName(bg, alice.ID, "INBOX")
	if uids, err := st.Expunge(bg, alice.ID, mb.ID, store.ExpungeOptions{}); err != nil || len(uids) != 1 {
		t.Fatalf("expunge: %v %v", uids, err)
	}
	if k, err := io.ReadFull(br, got[1<<20:]); err != nil {
		t.Fatalf("literal cut after %d of %d bytes: %v", (1<<20)+k, n, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("literal differs from the message")
	}
	if l := untilTagged("c"); !strings.HasPrefix(l, "c OK") {
		t.Fatalf("FETCH end: %q", l)
	}
}

// TestPostmasterRcptOverSMTP: RCPT TO:<postmaster@…> and <abuse@…> of a
// local domain with no such user or alias is accepted over SMTP (RFC 5321
// §4.5.1 MUST; RFC 2142). Before, it got 550 5.1.1.
func TestPostmasterRcptOverSMTP(t *testing.T) {
	st := openStore(t, nil)
	if err := st.AddDomain(bg, "other.test"); err != nil {
		t.Fatal(err)
	}
	srv, err := smtpd.NewServer(smtpd.Options{Mode: smtpd.ModeMX, Hostname: "mx.example.test", Store: st, Queue: noQueue{}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", serve(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	br := bufio.NewReader(c)
	reply := func(cmd string) string {
		t.Helper()
		if cmd != "" {
			fmt.Fprintf(c, "%s\r\n", cmd)
		}
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
			if len(l) >= 4 && l[3] == ' ' {
				return l
			}
		}
	}
	reply("")
	reply("EHLO client.test")
	if l := reply("MAIL FROM:<someone@remote.test>"); !strings.HasPrefix(l, "250") {
		t.Fatalf("MAIL: %q", l)
	}
	for _, rcpt := range []string{"postmaster@example.test", "POSTMASTER@other.test", "abuse@example.test"} {
		if l := reply("RCPT TO:<" + rcpt + ">"); !strings.HasPrefix(l, "250") {
			t.Errorf("RCPT TO:<%s>: %q", rcpt, l)
		}
	}
	if l := reply("RCPT TO:<hostmaster@example.test>"); !strings.HasPrefix(l, "550") {
		t.Errorf("RCPT TO:<hostmaster@example.test>: %q", l)
	}
}

// TestIMAPUnsubscribeNotSubscribed: UNSUBSCRIBE of a name that is not
// subscribed (Thunderbird sends it after RENAME and delete-to-Trash) is
// answered OK, over Python's imaplib. Before: NO [SERVERBUG].
func TestIMAPUnsubscribeNotSubscribed(t *testing.T) {
	st := openStore(t, nil)
	srv, err := imapd.New(imapd.Options{Store: st, AllowPlaintextOnLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(serve(t, srv))
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed (Debian: python3)")
	}
	out, err := exec.Command(py, "-c", `
import imaplib, sys
c = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
c.login("alice@example.test", "secret")
print(c.unsubscribe("NeverSubscribed")[0], c.unsubscribe("Trash")[0], c.unsubscribe("Trash")[0])
c.logout()
`, host, port).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "OK OK OK" {
		t.Fatalf("UNSUBSCRIBE: %v\n%s", err, out)
	}
}
