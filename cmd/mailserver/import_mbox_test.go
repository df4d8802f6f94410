package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// procmailBinary is Debian's procmail, a real MDA that writes mboxo.
const procmailBinary = "/usr/bin/procmail"

// TestImportProcmailMbox: messages delivered by procmail into an mbox
// (mboxo: body lines starting "From " quoted as ">From ", a blank line
// between messages) come back as they were given to it, with the flags of
// their Status/X-Status headers and the date of procmail's From line.
func TestImportProcmailMbox(t *testing.T) {
	if _, err := os.Stat(procmailBinary); err != nil {
		t.Fatalf("%s is missing: install Debian's procmail (apt-get install procmail): %v", procmailBinary, err)
	}
	dir := t.TempDir()
	mboxFile := filepath.Join(dir, "mbox")
	rc := filepath.Join(dir, "procmailrc")
	if err := os.WriteFile(rc, []byte("LOGFILE=/dev/null\nVERBOSE=no\n:0:\n"+mboxFile+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	msgs := []struct {
		text  string
		flags []string
	}{
		{"From: a@example.test\nSubject: one\n\nHello\nFrom the start of a line\n\nFrom after a blank line\n", nil},
		{"From: b@example.test\nSubject: read and answered\nStatus: RO\nX-Status: AF\n\nbody\n", []string{`\Answered`, `\Flagged`, `\Seen`}},
		{"no header at all\n", nil},
	}
	before := time.Now().Add(-time.Second).Truncate(time.Second)
	for _, m := range msgs {
		cmd := exec.Command(procmailBinary, "-f", "sender@example.test", "-m", rc)
		cmd.Stdin = strings.NewReader(m.text)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("procmail: %v\n%s", err, out)
		}
	}
	after := time.Now().Add(time.Second)
	raw, err := os.ReadFile(mboxFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "\n>From the start") || !strings.Contains(string(raw), "\n>From after") {
		t.Fatalf("procmail did not quote the From lines:\n%s", raw)
	}

	e := newTestEnv(t, nil, `domains = ["example.test"]`)
	e.mustRun(t, "pw\n", "user", "add", "mutt@example.test", "--password-stdin")
	out := e.mustRun(t, "", "import", "mutt@example.test", mboxFile, "--folder", "Procmail/Old")
	if !strings.Contains(out, "3 added, 0 already there, 1 with an unparseable header") {
		t.Fatalf("import printed %q", out)
	}

	ctx := context.Background()
	st, err := store.Open(filepath.Join(e.dataDir, "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByAddress(ctx, "mutt@example.test")
	if err != nil {
		t.Fatal(err)
	}
	mb, err := st.MailboxByName(ctx, u.ID, "Procmail/Old")
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil || len(got) != len(msgs) {
		t.Fatalf("%d messages (%v), want %d", len(got), err, len(msgs))
	}
	for i, m := range got {
		body, err := st.ReadBodyBytes(m.BodyID)
		if err != nil {
			t.Fatal(err)
		}
		want := msgs[i].text
		want = strings.NewReplacer("Status: RO\n", "", "X-Status: AF\n", "").Replace(want) // flags, not content
		want = strings.ReplaceAll(want, "\n", "\r\n")
		if string(body) != want {
			t.Errorf("message %d: %q, want %q", i+1, body, want)
		}
		flags := slices.Clone(m.Flags)
		slices.Sort(flags)
		if !slices.Equal(flags, msgs[i].flags) {
			t.Errorf("message %d: flags %v, want %v", i+1, flags, msgs[i].flags)
		}
		if m.InternalDate.Before(before) || m.InternalDate.After(after) {
			t.Errorf("message %d: internal date %v, not procmail's delivery time (%v to %v)", i+1, m.InternalDate, before, after)
		}
	}
}
