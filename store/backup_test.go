package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupUnderLoad takes a backup while writers deliver, restores it
// into a fresh directory and checks that it verifies and holds every
// message acknowledged before the backup began, byte for byte, with its
// flags, UID and UIDVALIDITY.
func TestBackupUnderLoad(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	fill(t, s, u, 300, 2000, 100)
	var (
		mu    sync.Mutex
		acked = map[uint32][]byte{} // UID → body, acknowledged
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				body := []byte(fmt.Sprintf("Subject: load %d/%d\r\n\r\n%s\r\n", w, i, strings.Repeat("x", 500+i%3000)))
				r, err := s.Append(ctx, u.ID, "INBOX", NewBody(body), AppendOptions{Flags: []string{FlagFlagged}})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[r.UID] = body
				mu.Unlock()
			}
		})
	}
	for len(snapshot(&mu, acked)) < 50 {
		runtimeGosched()
	}
	before := snapshot(&mu, acked)
	dir := t.TempDir()
	var calls int
	m, err := s.Backup(ctx, filepath.Join(dir, "b.db"), BackupOptions{Progress: func(done, total int64) { calls++ }, Share: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	stop.Store(true)
	wg.Wait()
	if calls == 0 || m.Size == 0 || len(m.SHA256) != 64 || m.Schema != schemaVersion {
		t.Fatalf("manifest %+v, progress calls %d", m, calls)
	}
	if _, err := CheckBackup(filepath.Join(dir, "b.db"), nil); err != nil {
		t.Fatal(err)
	}
	orig := inbox(t, s, u)
	restored := filepath.Join(t.TempDir(), "fresh", "mail.db")
	if _, rep, err := Restore(filepath.Join(dir, "b.db"), restored, nil); err != nil {
		t.Fatal(err, rep)
	}
	r, err := Open(restored, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mustVerifyOK(t, r)
	rin := inbox(t, r, u)
	if rin.UIDValidity != orig.UIDValidity {
		t.Fatalf("UIDVALIDITY %d, was %d", rin.UIDValidity, orig.UIDValidity)
	}
	for uid, body := range before {
		msgs, err := r.GetMessages(ctx, u.ID, rin.ID, []uint32{uid})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("UID %d acknowledged before the backup is not in it: %v", uid, err)
		}
		got, err := r.ReadBodyBytes(msgs[0].BodyID)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("UID %d: body differs (%v)", uid, err)
		}
		if !msgs[0].HasFlag(FlagFlagged) {
			t.Fatalf("UID %d lost its flags: %v", uid, msgs[0].Flags)
		}
	}
}

func snapshot(mu *sync.Mutex, m map[uint32][]byte) map[uint32][]byte {
	mu.Lock()
	defer mu.Unlock()
	out := make(map[uint32][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestBackupRestoreChecks(t *testing.T) {
	s, alice, _ := verifyFixture(t)
	dir := t.TempDir()
	bk := filepath.Join(dir, "b.db")
	if _, err := s.Backup(ctx, bk, BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("backup left %d files (temporary ones?): %v", len(entries), entries)
	}
	dataDir := t.TempDir()
	dbPath := filepath.Join(dataDir, "mail.db")
	live, err := Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustUser(t, live, "carol@example.test")
	// A database in use is not replaced.
	if _, _, err := Restore(bk, dbPath, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("restore over an open database: %v, want ErrLocked", err)
	}
	live.Close()
	if _, _, err := Restore(bk, dbPath, nil); err != nil {
		t.Fatal(err)
	}
	prev, err := Open(dbPath+BeforeRestoreSuffix, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prev.UserByAddress(ctx, "carol@example.test"); err != nil {
		t.Fatalf("the database before the restore was not kept: %v", err)
	}
	prev.Close()
	r, err := Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.UserByAddress(ctx, alice.Address); err != nil {
		t.Fatal(err)
	}
	r.Close()

	// A damaged copy, a missing manifest, a copy that verifies badly.
	b, _ := os.ReadFile(bk)
	b[len(b)/2] ^= 1
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, b, 0o600)
	man, _ := os.ReadFile(bk + ManifestSuffix)
	os.WriteFile(bad+ManifestSuffix, man, 0o600)
	if _, _, err := Restore(bad, dbPath, nil); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("restore of a damaged backup: %v", err)
	}
	os.Remove(bk + ManifestSuffix)
	if _, _, err := Restore(bk, dbPath, nil); err == nil || !strings.Contains(err.Error(), "no manifest") {
		t.Fatalf("restore without manifest: %v", err)
	}
}

func runtimeGosched() { time.Sleep(time.Millisecond) }
