package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts
// it at cleanup. It needs root (CAP_SYS_ADMIN) and mount(8); without them
// the test fails, naming what is missing.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("this test needs a small file system: mount -t tmpfs (as root, with mount from util-linux) failed: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// TestNoSpace fills the database's file system: the failing commit
// returns ErrNoSpace, shows nothing of its batch, harms nothing committed
// before, and the store commits again once space is freed.
func TestNoSpace(t *testing.T) {
	dir := mountTmpfs(t, 24<<20)
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 4<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := mustUser(t, s, "alice@example.test")
	body := func(i int) []byte {
		return []byte(fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("z", 256<<10)))
	}
	var acked []uint32
	var full error
	for i := 0; i < 1000; i++ {
		r, err := s.Append(ctx, u.ID, "INBOX", NewBody(body(i)), AppendOptions{Flags: []string{FlagSeen}})
		if err != nil {
			full = err
			break
		}
		acked = append(acked, r.UID)
	}
	if !errors.Is(full, ErrNoSpace) {
		t.Fatalf("filling a 24 MiB file system: %v after %d messages, want ErrNoSpace", full, len(acked))
	}
	if !s.DiskFull() || s.NoSpaceFailures() == 0 {
		t.Fatal("the store does not say the disk is full")
	}
	in := inbox(t, s, u)
	if in.Messages != uint32(len(acked)) || in.UIDNext != acked[len(acked)-1]+1 {
		t.Fatalf("after the failed commit the mailbox says %d messages, UIDNEXT %d; %d were acknowledged", in.Messages, in.UIDNext, len(acked))
	}
	// Small writes may still fail or fit; either way the store is sound.
	mustVerifyOK(t, s)
	check := func(st *Store) {
		t.Helper()
		in := inbox(t, st, u)
		msgs, err := st.GetMessages(ctx, u.ID, in.ID, acked)
		if err != nil || len(msgs) != len(acked) {
			t.Fatalf("%d of %d acknowledged messages readable: %v", len(msgs), len(acked), err)
		}
		for i, m := range msgs {
			b, err := st.ReadBodyBytes(m.BodyID)
			if err != nil || !bytes.Equal(b, body(i)) {
				t.Fatalf("UID %d damaged: %v", m.UID, err)
			}
		}
	}
	check(s)
	// Space comes back: the next commit goes through without a restart.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	r, err := s.Append(ctx, u.ID, "INBOX", NewBody(body(len(acked))), AppendOptions{Flags: []string{FlagSeen}})
	if err != nil {
		t.Fatalf("append after space was freed: %v", err)
	}
	acked = append(acked, r.UID)
	if s.DiskFull() {
		t.Fatal("still marked full after a successful commit")
	}
	mustVerifyOK(t, s)
	check(s)
	path := s.Path()
	s.Close()
	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	mustVerifyOK(t, s2)
	check(s2)
}
