package imapd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"
)

// An APPEND whose literal is cut short by the end of the connection stores
// nothing (issue 10 item 1): go-imap reports the short literal as io.EOF.
func TestAppendCutShortStoresNothing(t *testing.T) {
	for _, mode := range []string{"plaintext FIN", "TLS close_notify"} {
		t.Run(mode, func(t *testing.T) {
			e := newTestEnv(t)
			rc := e.raw()
			if mode == "TLS close_notify" {
				rc.ok("STARTTLS")
				tc := tls.Client(rc.c, e.tlsCfg)
				if err := tc.Handshake(); err != nil {
					t.Fatal(err)
				}
				rc.c, rc.r = tc, bufio.NewReader(tc)
			}
			rc.ok("LOGIN alice@example.test \"" + testPass + "\"")
			const announced, sent = 96 << 10, 48 << 10
			if _, err := io.WriteString(rc.c, "A1 APPEND INBOX {98304}\r\n"); err != nil {
				t.Fatal(err)
			}
			if l := rc.readLine(); !strings.HasPrefix(l, "+") {
				t.Fatalf("want continuation, got %q", l)
			}
			body := "From: a@example.org\r\nSubject: cut\r\n\r\n" + strings.Repeat("x", sent)
			if _, err := io.WriteString(rc.c, body[:sent]); err != nil {
				t.Fatal(err)
			}
			// End the connection inside the literal: FIN, or TLS
			// close_notify (then FIN).
			type closeWriter interface{ CloseWrite() error }
			if err := rc.c.(closeWriter).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			// The server closes once its APPEND handling is over.
			rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
			rest, _ := io.ReadAll(rc.r)
			if bytes.Contains(rest, []byte("A1 OK")) {
				t.Fatalf("APPEND acknowledged: %q", rest)
			}
			mb, err := e.st.MailboxByName(context.Background(), e.alice.ID, "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			uids, err := e.st.UIDs(context.Background(), e.alice.ID, mb.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(uids) != 0 {
				t.Fatalf("a truncated message was stored: INBOX has UIDs %v", uids)
			}
		})
	}
}
