package pop3d

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// fullDiskStore is the store with a full disk under its expunges: every
// Expunge fails the way a refused commit does.
type fullDiskStore struct{ *store.Store }

func (fullDiskStore) Expunge(context.Context, uint64, uint64, store.ExpungeOptions) ([]uint32, error) {
	return nil, fmt.Errorf("store: commit: %w: write mail.db: no space left on device", store.ErrNoSpace)
}

// TestQuitOnFullDisk: when the UPDATE state cannot commit for lack of
// space, QUIT answers -ERR [SYS/TEMP] saying so and the maildrop keeps
// every message (RFC 1939 §6).
func TestQuitOnFullDisk(t *testing.T) {
	e := newEnv(t, nil)
	e.deliver(alice, "Subject: one\r\n\r\nfirst\r\n")
	e.deliver(alice, "Subject: two\r\n\r\nsecond\r\n")
	cfg, _, _ := testTLS(t)
	srv := New(fullDiskStore{e.st}, Options{Hostname: "pop.example.test", TLSConfig: cfg, AllowPlaintextOnLoopback: true, Logger: testLogger(t)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acceptInto(t, ln, srv, false)
	t.Cleanup(func() { srv.Close() })

	c := dial(t, ln.Addr().String())
	c.login(alice)
	c.expectOK("DELE 1")
	if r := c.cmd("QUIT"); !strings.HasPrefix(r, "-ERR [SYS/TEMP]") || !strings.Contains(r, "mail system full") {
		t.Fatalf("QUIT on a full disk: %q", r)
	}
	if got := e.inbox(alice); len(got) != 2 {
		t.Fatalf("%d messages left after a failed update, want 2", len(got))
	}
}
