package imapd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestFetchSearchDuringExpunge: one session FETCHes and SEARCHes bodies in
// a loop while another appends and expunges in the same mailbox. Each
// command reads message records and then their bodies in separate store
// transactions; an EXPUNGE in between used to free the body and fail the
// command with NO [SERVERBUG] after partial output. RFC 2180 §4.1: a
// message expunged meanwhile is served or answered NO [EXPUNGEISSUED]
// (RFC 5530) by sequence number, ignored in a UID FETCH, never a server
// error.
func TestFetchSearchDuringExpunge(t *testing.T) {
	e := newTestEnv(t)
	for i := range 60 {
		e.deliver(e.alice, testMessage(i))
	}
	reader := e.rawLogin("alice@example.test")
	reader.ok("SELECT INBOX")
	writer := e.client("alice@example.test", nil)
	if _, err := writer.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	writerErr := make(chan error, 1)
	go func() {
		writerErr <- func() error {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return nil
				default:
				}
				// Expunge the oldest few, append as many: the mailbox
				// stays about the same size, and the reader reads
				// messages while they are being expunged.
				for i := range 5 {
					msg := testMessage(1000 + 5*n + i)
					cmd := writer.Append("INBOX", int64(len(msg)), nil)
					cmd.Write([]byte(msg))
					cmd.Close()
					if _, err := cmd.Wait(); err != nil {
						return fmt.Errorf("APPEND: %w", err)
					}
				}
				if err := writer.Store(imap.SeqSetNum(1, 2, 3, 4, 5), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
					return fmt.Errorf("STORE: %w", err)
				}
				if err := writer.Expunge().Close(); err != nil {
					return fmt.Errorf("EXPUNGE: %w", err)
				}
			}
		}()
	}()

	var bugs, expungeIssued, commands int
	cmds := []string{
		"FETCH 1:* (UID BODY.PEEK[])",
		"FETCH 1:* (BODY.PEEK[TEXT] FLAGS)",
		"FETCH 1:* (BODY[])",
		"UID FETCH 1:* (BODY.PEEK[] FLAGS)",
		"SEARCH BODY \"message\"",
		"SEARCH TEXT \"Body of\"",
		"UID SEARCH NOT BODY \"nowhere\"",
	}
	for round := range 60 {
		for _, c := range cmds {
			untagged, tagged := reader.cmd(c)
			commands++
			switch {
			case strings.Contains(tagged, "SERVERBUG"):
				bugs++
				t.Logf("round %d %s: %s", round, c, tagged)
			case strings.HasPrefix(tagged, "NO [EXPUNGEISSUED]") && !strings.HasPrefix(c, "UID "):
				// RFC 2180 §4.1.2; a UID FETCH ignores UIDs that are gone
				// (RFC 9051 §6.4.9), so it must not get here.
				expungeIssued++
			case !strings.HasPrefix(tagged, "OK"):
				t.Errorf("round %d %s: %s", round, c, tagged)
			}
			for _, l := range untagged {
				if strings.Contains(l, "SERVERBUG") {
					t.Errorf("untagged %q", l)
				}
			}
		}
		if round%4 == 3 {
			reader.ok("NOOP") // learn of expunges and new messages
		}
	}
	close(stop)
	if err := <-writerErr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	t.Logf("%d commands, %d NO [EXPUNGEISSUED]", commands, expungeIssued)
	if bugs > 0 {
		t.Fatalf("%d of %d commands failed with SERVERBUG", bugs, commands)
	}
}
