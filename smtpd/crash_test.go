package smtpd

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// crashChildEnv names the data directory when the test binary runs as the
// server child of TestCrashLosesNothingAcknowledged.
const crashChildEnv = "SMTPD_TEST_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	stopRspamd() // spam_test.go
	os.Exit(code)
}

// crashChild serves port 25 from the store in dir until it is killed.
func crashChild(dir string) error {
	st, err := store.Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		return err
	}
	q := queue.New(st, queue.Options{Hostname: "mx.example.test"})
	srv, err := NewServer(Options{Mode: ModeMX, Hostname: "mx.example.test", Store: st, Queue: q})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		srv.ServeConn(c, false)
	}
}

// TestCrashLosesNothingAcknowledged runs the server in a child process,
// loads it from many clients, SIGKILLs it mid-load and checks that every
// message that got a 250 is in the reopened store exactly once (and no
// message twice).
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.AddDomain(ctx, "example.test"))
	if _, err := st.AddUser(ctx, "alice@example.test", alicePass); err != nil {
		t.Fatal(err)
	}
	must(t, st.Close())

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	must(t, cmd.Start())
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		t.Fatalf("child said %q: %v", line, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))

	const workers = 20
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		count atomic.Int64
		wg    sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			c, err := smtp.Dial(addr)
			if err != nil {
				return
			}
			defer c.Close()
			for i := 0; ; i++ {
				subj := fmt.Sprintf("w%d-%d", w, i)
				if err := send(c, "load@remote.test", []string{"alice@example.test"}, message("load@remote.test", "alice@example.test", subj)); err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[subj] = true
				mu.Unlock()
				count.Add(1)
			}
		})
	}
	// Kill once the load is well under way.
	deadline := time.Now().Add(20 * time.Second)
	for count.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	must(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()
	killed = true
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no message was acknowledged before the kill")
	}

	st, err = store.Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer st.Close()
	e := &testEnv{t: t, st: st}
	seen := map[string]int{}
	for _, m := range e.inbox("alice@example.test") {
		if sm := subjectRE.FindStringSubmatch(m); sm != nil {
			seen[sm[1]]++
		}
	}
	for subj := range acked {
		if seen[subj] != 1 {
			t.Errorf("acknowledged %s stored %d times", subj, seen[subj])
		}
	}
	for subj, n := range seen {
		if n > 1 {
			t.Errorf("%s stored %d times", subj, n)
		}
	}
	t.Logf("%d acknowledged, %d stored (the difference was in flight at the kill)", len(acked), len(seen))
}
