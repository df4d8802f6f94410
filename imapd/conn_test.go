package imapd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// TestPipelinedCommands sends several commands in one write: their
// responses, batched until the server next reads, must all arrive, in
// order, without the client sending anything more.
func TestPipelinedCommands(t *testing.T) {
	e := newTestEnv(t)
	for i := 0; i < 3; i++ {
		e.deliver(e.alice, testMessage(i))
	}
	rc := e.rawLogin("alice@example.test")
	fmt.Fprint(rc.c, "P1 NOOP\r\nP2 SELECT INBOX\r\nP3 FETCH 1:* (UID FLAGS)\r\nP4 UID SEARCH ALL\r\n")
	var tags []string
	fetches := 0
	for len(tags) < 4 {
		l := rc.readLine()
		switch {
		case strings.HasPrefix(l, "P"):
			if !strings.Contains(l, " OK ") {
				t.Fatalf("pipelined command failed: %s", l)
			}
			tags = append(tags, l[:2])
		case strings.Contains(l, " FETCH ("):
			fetches++
		}
	}
	if strings.Join(tags, ",") != "P1,P2,P3,P4" || fetches != 3 {
		t.Errorf("tags %v, %d FETCH responses", tags, fetches)
	}
}

// TestAppendImplicitTLS appends over implicit TLS, where the connection
// wrapper sits below TLS as on 143.
func TestAppendImplicitTLS(t *testing.T) {
	e := newTestEnv(t)
	tlsAddr := e.listenTLS()
	c, err := imapclient.DialTLS(tlsAddr, &imapclient.Options{TLSConfig: e.tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice@example.test", testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		msg := testMessage(i)
		w := c.Append("INBOX", int64(len(msg)), nil)
		if _, err := w.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Wait(); err != nil {
			t.Fatalf("APPEND %d: %v", i, err)
		}
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil || sel.NumMessages != 3 {
		t.Fatalf("SELECT: %v, %+v", err, sel)
	}
}
