package pop3d

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// bigBody makes a message of about size octets with 76-octet lines, some
// of them starting with a dot.
func bigBody(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 100)
	b.WriteString("Subject: big\r\nFrom: a@example.test\r\n\r\n")
	for i := 0; b.Len() < size; i++ {
		if i%100 == 0 {
			b.WriteString(".")
		}
		fmt.Fprintf(&b, "%08d %s\r\n", i, strings.Repeat("abcdefghij", 7)[:66])
	}
	return b.Bytes()
}

// TestLargeMessageWhileDelivering: a 20 MiB message is streamed to a slow
// reader while deliveries to the same user complete: the RETR holds no
// store transaction while it waits for the client.
func TestLargeMessageWhileDelivering(t *testing.T) {
	e := newEnv(t, nil)
	body := bigBody(20 << 20)
	e.deliver(alice, string(body))

	c := dial(t, e.addr)
	// A small receive buffer keeps the server's writes close to what the
	// client has read.
	c.conn.(*net.TCPConn).SetReadBuffer(64 << 10)
	c.login(alice)
	status := c.expectOK("RETR 1")
	if status != fmt.Sprintf("+OK %d octets", len(body)) {
		t.Fatalf("RETR status %q", status)
	}
	// Read the first MiB, then stop reading while mail is delivered.
	var got bytes.Buffer
	if _, err := io.CopyN(&got, c.br, 1<<20); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		done := make(chan error, 1)
		go func() {
			_, err := e.st.Submit(context.Background(), &store.Submission{
				Body:  store.NewBody([]byte(fmt.Sprintf("Subject: during RETR %d\r\n\r\nhello\r\n", i))),
				Local: []store.LocalDelivery{{UserID: e.users[alice].ID}},
			})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("delivery during RETR: %v", err)
			}
		case <-time.After(time.Minute): // a deadlock guard, not a timing assertion
			t.Fatal("delivery blocked while a RETR was in progress")
		}
	}
	// The deliveries completed while the client had read only part of the
	// message; now read the rest.
	if got.Len() >= len(body) {
		t.Fatalf("read %d of %d octets before delivering", got.Len(), len(body))
	}
	for {
		line, err := c.br.ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		if string(line) == ".\r\n" && bytes.HasSuffix(got.Bytes(), []byte("\r\n")) {
			break
		}
		got.Write(line)
	}
	if u := unstuff(got.Bytes()); !bytes.Equal(u, body) {
		t.Fatalf("RETR returned %d octets, differing from the %d stored", len(u), len(body))
	}
	// The session's maildrop is fixed; the store has the new mail.
	if r := c.expectOK("STAT"); !strings.HasPrefix(r, "+OK 1 ") {
		t.Errorf("STAT = %q", r)
	}
	c.expectOK("QUIT")
	if n := len(e.inbox(alice)); n != 4 {
		t.Errorf("%d messages in INBOX, want 4", n)
	}
}
