package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testVersion is linked into the binary the tests run, to check -ldflags.
const testVersion = "v0.0.0-cmdtest"

// binary is the mailserver executable built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailserver-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mailserver")
	build := exec.Command("go", "build", "-o", binary, "-ldflags", "-X main.version="+testVersion, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mailserver:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	stopRspamd() // spam_test.go
	os.RemoveAll(dir)
	os.Exit(code)
}

// testEnv is a directory with a config file for the child processes.
type testEnv struct {
	dir     string // working directory of the children
	config  string // path of the config file
	dataDir string
	// wrap, if set, runs serve through a wrapper: the command line is
	// wrap followed by the binary and its arguments.
	wrap []string
}

// newTestEnv writes a config whose listeners are on ephemeral loopback
// ports (listen values are "127.0.0.1:0") or off (""), plus extra TOML.
func newTestEnv(t *testing.T, listen map[string]string, extra string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{dir: dir, config: filepath.Join(dir, "test.toml"), dataDir: filepath.Join(dir, "data")}
	var b strings.Builder
	fmt.Fprintf(&b, "hostname = %q\ndata_dir = %q\n%s\n[listen]\n", "mail.example.test", e.dataDir, extra)
	for _, l := range defaultConfig().Listen.entries() {
		fmt.Fprintf(&b, "%s = %q\n", l.key, listen[l.key])
	}
	if !strings.Contains(extra, "[inbound]") {
		// Port 25 would ask the system's DNS about the tests' domains;
		// tests of inbound verification give their own DNS.
		b.WriteString("[inbound]\nverify = false\n")
	}
	if err := os.WriteFile(e.config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// childEnv is the environment of child processes: without
// MAILSERVER_CONFIG, so only what a test passes applies.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAILSERVER_CONFIG=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs the binary with --config and args, feeding stdin.
func (e *testEnv) run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runIn(t, e.dir, stdin, append([]string{"--config", e.config}, args...)...)
}

// runIn runs the binary in dir with exactly args.
func runIn(t testing.TB, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return r
}

// mustRun runs a command that must succeed.
func (e *testEnv) mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := e.run(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("mailserver %s: exit %d, stderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// server is a running "mailserver serve".
type server struct {
	cmd   *exec.Cmd
	addrs map[string]string // [listen] key -> bound address, from the log
	log   *lockedBuffer
	done  chan struct{}
	err   error // from Wait, after done
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startupLimit only keeps a broken start-up from hanging the test run.
const startupLimit = 2 * time.Minute

// start runs serve and waits until it logs that it is ready.
func (e *testEnv) start(t *testing.T) *server {
	t.Helper()
	s, ready := e.launch(t)
	if !ready {
		t.Fatalf("serve exited before it was ready: %v\n%s", s.err, s.log)
	}
	return s
}

// launch runs serve and waits until it is ready (true) or has exited
// (false).
func (e *testEnv) launch(t testing.TB) (*server, bool) {
	t.Helper()
	args := append(append([]string(nil), e.wrap...), binary, "--config", e.config, "serve")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = e.dir
	cmd.Env = childEnv()
	pr, pw := io.Pipe()
	s := &server{cmd: cmd, addrs: map[string]string{}, log: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// done closes only when every line the child wrote is in s.log: Wait
	// returns once the pipe's last bytes are read, which can be before
	// the scanner below has appended the last line ("msg=stopped").
	scanned := make(chan struct{})
	go func() {
		s.err = cmd.Wait()
		pw.Close()
		<-scanned
		close(s.done)
	}()
	readyc := make(chan map[string]string, 1)
	go func() {
		addrs := map[string]string{}
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.log, line)
			if strings.Contains(line, "msg=listening") {
				addrs[logField(line, "key")] = logField(line, "addr")
			}
			if strings.Contains(line, `msg="mailserver ready"`) && !sent {
				readyc <- addrs
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
		close(scanned)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case s.addrs = <-readyc:
		return s, true
	case <-s.done:
		return s, false
	case <-time.After(startupLimit):
		t.Fatalf("serve not ready after %v:\n%s", startupLimit, s.log)
		return nil, false
	}
}

// logField extracts key=value from a slog text line.
func logField(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// stop sends SIGTERM and checks for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitStopped(t)
}

// waitStopped waits for serve to exit after SIGTERM and checks it stopped
// cleanly.
func (s *server) waitStopped(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(startupLimit):
		t.Fatalf("serve did not stop after SIGTERM:\n%s", s.log)
	}
	if s.err != nil {
		t.Fatalf("serve exited with %v after SIGTERM:\n%s", s.err, s.log)
	}
	if !strings.Contains(s.log.String(), "msg=stopped") {
		t.Fatalf("serve did not log a graceful stop:\n%s", s.log)
	}
}

// execIn prepares the binary with args in dir, with extra environment.
func execIn(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = childEnv(env...)
	return cmd
}
