package imapd

import (
	"context"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// recordingHandler keeps the log records a test's server writes.
type recordingHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// atLeast lists the messages of records at level or above.
func (h *recordingHandler) atLeast(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level >= level {
			var sb strings.Builder
			sb.WriteString(r.Message)
			r.Attrs(func(a slog.Attr) bool {
				sb.WriteString(" " + a.String())
				return true
			})
			out = append(out, sb.String())
		}
	}
	return out
}

func withRecorder(h *recordingHandler) func(*Options) {
	return func(o *Options) { o.Logger = slog.New(h) }
}

// UNSUBSCRIBE of a name that is not subscribed is OK, as with Dovecot, and
// logs no error (issue 10 item 15).
func TestUnsubscribeNotSubscribed(t *testing.T) {
	rec := &recordingHandler{}
	e := newTestEnv(t, withRecorder(rec))
	rc := e.rawLogin("alice@example.test")
	rc.ok(`CREATE Work`)
	rc.ok(`UNSUBSCRIBE Work`) // created unsubscribed: nothing to remove
	rc.ok(`UNSUBSCRIBE "Never/Existed"`)
	rc.ok(`SUBSCRIBE Work`)
	rc.ok(`UNSUBSCRIBE Work`)
	rc.ok(`UNSUBSCRIBE Work`)
	if u := grep(rc.ok(`LSUB "" "*"`), "Work"); len(u) != 0 {
		t.Errorf("Work still subscribed: %q", u)
	}

	// The same with Python's imaplib, as Thunderbird's sequence after a
	// delete to Trash does it.
	host, port, _ := net.SplitHostPort(e.addr)
	script := `
import imaplib, sys
c = imaplib.IMAP4(sys.argv[1], int(sys.argv[2]))
c.login(sys.argv[3], sys.argv[4])
typ, data = c.unsubscribe('"Gone/Folder"')
print(typ, data)
assert typ == 'OK', (typ, data)
typ, data = c.rename('Work', 'Work2')
assert typ == 'OK', (typ, data)
typ, data = c.unsubscribe('Work')
print(typ, data)
assert typ == 'OK', (typ, data)
c.logout()
print("done")
`
	out, err := exec.Command("python3", "-c", script, host, port, "alice@example.test", testPass).CombinedOutput()
	t.Logf("imaplib:\n%s", out)
	if err != nil || !strings.Contains(string(out), "done") {
		t.Fatalf("imaplib: %v", err)
	}
	if errs := rec.atLeast(slog.LevelError); len(errs) != 0 {
		t.Errorf("error log lines: %q", errs)
	}
}
