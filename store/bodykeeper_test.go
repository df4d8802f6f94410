package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// collectBodies runs the collector's work now and waits until no deletion
// that could run is left (the collector goroutine may hold some).
func collectBodies(t testing.TB, s *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !s.bodies.idle() {
		if ids := s.bodies.collectable(); len(ids) > 0 {
			err := s.update(ctx, func(tx *bolt.Tx, _ *changes) error { return deleteBodies(tx, ids) })
			s.bodies.done(ids, err == nil)
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if time.Now().After(deadline) {
			t.Fatal("unreferenced bodies were not collected")
		}
		time.Sleep(time.Millisecond)
	}
}

// bigBody is a body of several chunks whose every line is different.
func bigBody(size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "line %08d of a large message\r\n", i)
	}
	return b.String()
}

// TestReaderOutlivesExpunge: a reader that has started gets the whole
// body although its only message is expunged (and the collector runs)
// halfway; once it is closed the body is deleted. Before, the chunks went
// with the expunge and the read failed after what was cached.
func TestReaderOutlivesExpunge(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	want := bigBody(3 << 20)
	res := deliver(t, s, want, u)
	msgs, _ := s.GetMessages(ctx, u.ID, res.Local[0].MailboxID, []uint32{res.Local[0].UID})
	r, err := s.OpenBody(msgs[0].BodyID)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge(ctx, u.ID, res.Local[0].MailboxID, ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	collectBodies(t, s)
	// A second reader still opens it: nothing told this session yet.
	if b, err := s.ReadBodyBytes(msgs[0].BodyID); err != nil || string(b) != want {
		t.Fatalf("whole body after expunge: %d bytes, %v", len(b), err)
	}
	tail := make([]byte, 100)
	if _, err := r.ReadAt(tail, int64(len(want)-100)); err != nil && err != io.EOF {
		t.Fatalf("ReadAt after expunge: %v", err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || string(head)+string(rest) != want || string(tail) != want[len(want)-100:] {
		t.Fatalf("rest: %d bytes, %v", len(rest), err)
	}
	// Read to the end: the pin is gone, and so is the body.
	assertNoBodies(t, s)
	if _, err := s.OpenBody(msgs[0].BodyID); !errors.Is(err, ErrNoSuchMessage) {
		t.Fatalf("body after its reader: %v", err)
	}

	// The same with Close before the end.
	res = deliver(t, s, want, u)
	msgs, _ = s.GetMessages(ctx, u.ID, res.Local[0].MailboxID, []uint32{res.Local[0].UID})
	r, err = s.OpenBody(msgs[0].BodyID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Expunge(ctx, u.ID, res.Local[0].MailboxID, ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	collectBodies(t, s)
	if _, err := r.ReadAt(head, 1<<20); err != nil {
		t.Fatalf("pinned body: %v", err)
	}
	r.Close()
	r.Close() // idempotent
	assertNoBodies(t, s)
}

// TestHoldBodies: records read under a hold have readable bodies until the
// hold is released, whatever is expunged meanwhile (the way an IMAP FETCH
// reads records and bodies in separate transactions).
func TestHoldBodies(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	for i := range 3 {
		deliver(t, s, fmt.Sprintf("Subject: %d\r\n\r\n%s", i, bigBody(200<<10)), u)
	}
	mb := inbox(t, s, u)
	release := s.HoldBodies()
	msgs, err := s.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil || len(msgs) != 3 {
		t.Fatal(len(msgs), err)
	}
	if _, err := s.Expunge(ctx, u.ID, mb.ID, ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	// A body freed after the hold was taken, with no reader at all.
	late := deliver(t, s, "Subject: late\r\n\r\nx\r\n", u)
	lateMsgs, _ := s.GetMessages(ctx, u.ID, mb.ID, []uint32{late.Local[0].UID})
	if _, err := s.Expunge(ctx, u.ID, mb.ID, ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	collectBodies(t, s)
	for _, m := range append(msgs, lateMsgs...) {
		b, err := s.AppendBody(nil, m.BodyID)
		if err != nil || int64(len(b)) != m.Size {
			t.Fatalf("message %d under the hold: %d bytes, %v", m.UID, len(b), err)
		}
	}
	release()
	release()
	assertNoBodies(t, s)
}

// TestBodyHoldsOlderThanFree: a hold keeps a body freed while it is open;
// a hold taken after the body was freed does not keep it.
func TestBodyHoldsOlderThanFree(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	deliver(t, s, "Subject: x\r\n\r\nx\r\n", u)
	mb := inbox(t, s, u)
	old := s.HoldBodies()
	if _, err := s.Expunge(ctx, u.ID, mb.ID, ExpungeOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.bodies.idle() {
		t.Fatal("a body freed under a hold is collectable")
	}
	newer := s.HoldBodies()
	defer newer()
	old()
	assertNoBodies(t, s)
}

// TestReadersRaceExpunges: concurrent readers and expunges; every reader
// that opened its body reads all of it (run with -race).
func TestReadersRaceExpunges(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	mb := inbox(t, s, u)
	want := bigBody(300 << 10)
	var wg sync.WaitGroup
	var opened, gone atomic.Int64
	for range 40 {
		res := deliver(t, s, want, u)
		msgs, _ := s.GetMessages(ctx, u.ID, mb.ID, []uint32{res.Local[0].UID})
		wg.Go(func() {
			r, err := s.OpenBody(msgs[0].BodyID)
			if errors.Is(err, ErrNoSuchMessage) {
				gone.Add(1)
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			opened.Add(1)
			defer r.Close()
			buf := make([]byte, 4096)
			var got []byte
			for {
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("read after %d bytes: %v", len(got), err)
					return
				}
			}
			if string(got) != want {
				t.Errorf("read %d bytes, want %d", len(got), len(want))
			}
		})
		wg.Go(func() {
			if _, err := s.Expunge(ctx, u.ID, mb.ID, ExpungeOptions{UIDs: []uint32{res.Local[0].UID}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	t.Logf("%d readers opened, %d found the body gone", opened.Load(), gone.Load())
	assertNoBodies(t, s)
}

// pinnedCrashChild delivers a large message, starts reading it, expunges
// it, says so and waits to be killed.
func pinnedCrashChild(dir string) {
	s, err := Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	u, err := s.UserByAddress(ctx, "alice@example.test")
	if err != nil {
		fmt.Println("user:", err)
		os.Exit(1)
	}
	res, err := s.Submit(ctx, &Submission{Body: NewBody([]byte(bigBody(2 << 20))), Local: []LocalDelivery{{UserID: u.ID}}})
	if err != nil {
		fmt.Println("submit:", err)
		os.Exit(1)
	}
	msgs, _ := s.GetMessages(ctx, u.ID, res.Local[0].MailboxID, []uint32{res.Local[0].UID})
	r, err := s.OpenBody(msgs[0].BodyID)
	if err != nil {
		fmt.Println("open body:", err)
		os.Exit(1)
	}
	if _, err := io.ReadFull(r, make([]byte, 100<<10)); err != nil {
		fmt.Println("read:", err)
		os.Exit(1)
	}
	if _, err := s.Expunge(ctx, u.ID, res.Local[0].MailboxID, ExpungeOptions{}); err != nil {
		fmt.Println("expunge:", err)
		os.Exit(1)
	}
	fmt.Println("expunged", msgs[0].BodyID)
	select {} // r stays pinned until the kill
}

// TestPinnedBodyAfterCrash: a process killed while a reader kept an
// expunged body leaves it listed in bodygc; the next Open deletes it.
func TestPinnedBodyAfterCrash(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustUser(t, s, "alice@example.test")
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STORE_PINNED_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	var id uint64
	if _, err := fmt.Sscanf(line, "expunged %d", &id); err != nil {
		t.Fatalf("child said %q", line)
	}
	// The killed state: the body unreferenced, listed, its chunks there.
	db, err := bolt.Open(filepath.Join(dir, "mail.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBodies).Get(u64(id))
		if v == nil || tx.Bucket(bucketBodyGC).Get(u64(id)) == nil || tx.Bucket(bucketChunks).Stats().KeyN == 0 {
			t.Errorf("after the kill: body record %x, listed %v", v, tx.Bucket(bucketBodyGC).Get(u64(id)) != nil)
		}
		return nil
	})
	db.Close()
	s, err = Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBodies, bucketChunks, bucketBodyCache, bucketBodyGC} {
			if n := tx.Bucket(b).Stats().KeyN; n != 0 {
				t.Errorf("%s: %d keys left after reopening", b, n)
			}
		}
		return nil
	})
}
