package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store/maildir"
)

// TestImportErrorsOnlineAndOffline: a store error (here the quota) ends
// the import with the store's reason, through the admin socket as well as
// on the database; an unknown user is refused before anything is read.
func TestImportErrorsOnlineAndOffline(t *testing.T) {
	tree := t.TempDir()
	w, err := maildir.CreateFolder(tree, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		body := []byte("Subject: " + strings.Repeat("x", 1000) + string(rune('a'+i)) + "\r\n\r\nbody\r\n")
		if err := w.Write(bytes.NewReader(body), int64(len(body)), nil, time.Unix(1e9, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(1); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, nil, `domains = ["example.test"]`)
	e.mustRun(t, "pw\n", "user", "add", "small@example.test", "--password-stdin", "--quota-bytes", "2000")
	check := func(how string) {
		t.Helper()
		r := e.run(t, "", "import", "small@example.test", tree)
		if r.code != 1 || !strings.Contains(r.stderr, "quota exceeded") || strings.Contains(r.stderr, "pipe") {
			t.Fatalf("%s over quota: exit %d, %q", how, r.code, r.stderr)
		}
		r = e.run(t, "", "import", "nobody@example.test", tree)
		if r.code != 1 || !strings.Contains(r.stderr, "nobody@example.test") || !strings.Contains(r.stderr, "not found") {
			t.Fatalf("%s unknown user: exit %d, %q", how, r.code, r.stderr)
		}
	}
	check("offline")
	s := e.start(t)
	check("online")
	s.stop(t)
}
