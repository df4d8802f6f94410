package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestMain lets the test binary act as the crash test's child process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("STORE_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	if dir := os.Getenv("STORE_PINNED_CRASH_CHILD"); dir != "" {
		pinnedCrashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild delivers messages from 8 goroutines until it is killed,
// printing "ok SUBJECT" after each delivery returned (was committed).
func crashChild(dir string) {
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
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				subj := fmt.Sprintf("m-%d-%d", w, i)
				body := NewBody([]byte("Subject: " + subj + "\r\n\r\n" + strings.Repeat("x", 3000) + "\r\n"))
				res, err := s.Submit(ctx, &Submission{Body: body, Local: []LocalDelivery{{UserID: u.ID}}})
				if err != nil || res.Local[0].Err != nil {
					fmt.Println("submit:", err)
					os.Exit(1)
				}
				mu.Lock()
				fmt.Fprintln(out, "ok", subj)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestCrashLosesNothingCommitted kills a delivering child process with
// SIGKILL; the database must reopen cleanly with every delivery the child
// reported as committed.
func TestCrashLosesNothingCommitted(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustUser(t, s, "alice@example.test")
	s.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STORE_CRASH_CHILD="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		subj, ok := strings.CutPrefix(line, "ok ")
		if !ok {
			t.Fatalf("child: %s", line)
		}
		acked[subj] = true
		if len(acked) == 500 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	// Lines already written before the kill still count as acknowledged.
	for sc.Scan() {
		if subj, ok := strings.CutPrefix(sc.Text(), "ok "); ok {
			acked[subj] = true
		}
	}
	cmd.Wait()

	s, err = Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	u, err := s.UserByAddress(ctx, "alice@example.test")
	if err != nil {
		t.Fatal(err)
	}
	in := inbox(t, s, u)
	msgs, err := s.ListMessages(ctx, u.ID, in.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, m := range msgs {
		b, err := s.ReadBodyBytes(m.BodyID)
		if err != nil {
			t.Fatalf("UID %d: %v", m.UID, err)
		}
		subj := strings.TrimPrefix(strings.SplitN(string(b), "\r\n", 2)[0], "Subject: ")
		found[subj]++
	}
	for subj := range acked {
		if found[subj] != 1 {
			t.Errorf("acknowledged %s found %d times", subj, found[subj])
		}
	}
	if int(in.Messages) != len(msgs) || in.UIDNext <= uint32(len(msgs)) {
		t.Errorf("counters: %d messages, %d listed, uidnext %d", in.Messages, len(msgs), in.UIDNext)
	}
	t.Logf("%d acknowledged, %d in the mailbox after SIGKILL", len(acked), len(msgs))
}
