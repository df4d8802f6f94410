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
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/pop3d"
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
