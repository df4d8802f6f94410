package imapd

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// recordCounter counts the TLS records the server sends, by parsing the
// record headers (RFC 8446 §5.1: type, version, 2-octet length) of the
// raw stream below the client's TLS.
type recordCounter struct {
	net.Conn
	mu      sync.Mutex
	records int
	hdr     []byte // partial record header
	skip    int    // payload octets of the current record still to come
}

func (c *recordCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := p[:n]; len(b) > 0; {
		if c.skip > 0 {
			k := min(c.skip, len(b))
			c.skip -= k
			b = b[k:]
			continue
		}
		need := 5 - len(c.hdr)
		k := min(need, len(b))
		c.hdr = append(c.hdr, b[:k]...)
		b = b[k:]
		if len(c.hdr) == 5 {
			c.records++
			c.skip = int(c.hdr[3])<<8 | int(c.hdr[4])
			c.hdr = c.hdr[:0]
		}
	}
	return n, err
}

func (c *recordCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.records
}

// TestImplicitTLSBatchesRecords: over implicit TLS (993) a FETCH of 500
// messages' flags, 500 response lines, arrives in a few TLS records (the
// write batch sits above TLS), not one record per line; and 993 offers
// AUTH=PLAIN without STARTTLS or LOGINDISABLED, and lets a client log in
// where plaintext logins are refused.
func TestImplicitTLSBatchesRecords(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	const n = 500
	for i := range n {
		e.deliver(e.alice, testMessage(i))
	}
	addr := e.listenTLS()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rc := &recordCounter{Conn: raw}
	tc := tls.Client(rc, e.tlsCfg)
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(tc)
	greeting, _ := r.ReadString('\n')
	for _, cap := range []string{"AUTH=PLAIN"} {
		if !strings.Contains(greeting, cap) {
			t.Errorf("greeting lacks %s: %q", cap, greeting)
		}
	}
	for _, cap := range []string{"STARTTLS", "LOGINDISABLED"} {
		if strings.Contains(greeting, cap) {
			t.Errorf("greeting has %s: %q", cap, greeting)
		}
	}
	cmd := func(tag, line string) []string {
		t.Helper()
		fmt.Fprintf(tc, "%s %s\r\n", tag, line)
		var lines []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			lines = append(lines, l)
			if strings.HasPrefix(l, tag+" ") {
				if !strings.HasPrefix(l, tag+" OK") {
					t.Fatalf("%s: %s", line, l)
				}
				return lines
			}
		}
	}
	cmd("a", `LOGIN alice@example.test "`+testPass+`"`)
	cmd("b", "SELECT INBOX")
	before := rc.count()
	if got := len(cmd("c", "UID FETCH 1:* (FLAGS)")); got != n+1 {
		t.Fatalf("%d response lines, want %d", got, n+1)
	}
	// 500 lines of ~30 octets: one or two 16 KiB records; allow a few.
	if records := rc.count() - before; records > 8 {
		t.Errorf("FETCH of %d flags came in %d TLS records, want a few", n, records)
	}

	// The plaintext port refuses the same login (no TLS, not allowed on
	// loopback here), so the check above was the TLS path's doing.
	c, err := imapclient.DialInsecure(e.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.Caps().Has(imap.CapLoginDisabled) {
		t.Errorf("143 without TLS lacks LOGINDISABLED: %v", c.Caps())
	}
}

// TestIdleOverImplicitTLS: an IDLE session on 993 hears another
// session's delivery at once: a write made while the connection waits for
// input goes out through both write batches, above and below TLS, without
// waiting for the client.
func TestIdleOverImplicitTLS(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, testMessage(1))
	ev := newEvents()
	c, err := imapclient.DialTLS(e.listenTLS(), &imapclient.Options{TLSConfig: e.tlsCfg, UnilateralDataHandler: ev.handler()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice@example.test", testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	e.deliver(e.alice, testMessage(2))
	ev.wait(t, "EXISTS 2")
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
}
