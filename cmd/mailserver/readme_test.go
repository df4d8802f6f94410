package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// readmeCommandLimit only keeps a broken command from hanging the test run
// (go build under load can take a while); nothing is timed.
const readmeCommandLimit = 5 * time.Minute

// TestReadmeQuickStart runs README's Quick start the way a newcomer reads
// it, so that it stays true (issue 10, item 23). The set-up blocks (the
// ones before the try-out config) are checked against .ci/run: the same
// GOTOOLCHAIN and exactly the test commands CI runs. Then, in a fresh
// directory that looks like a clone (symlinks to the repository's files),
// the try-out mailserver.toml is written with its listeners moved to
// ephemeral loopback ports, and every following shell block runs in order
// with `sh -e`: go build, domain add, user add --password-stdin, user list,
// `./mailserver serve` (started in the background until it is ready), and
// the login that follows, with the README's addresses replaced by the ones
// the server bound. Any command that fails fails the test.
func TestReadmeQuickStart(t *testing.T) {
	blocks := fencedBlocks(t, readmeSection(t, "Quick start"))
	first := -1
	for i, b := range blocks {
		if b.lang == "toml" {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatal("README Quick start has no toml block (the try-out mailserver.toml)")
	}
	toolchain := checkReadmeSetUp(t, blocks[:first])

	dir := cloneLikeDir(t)
	readmeAddrs := writeTryOutConfig(t, dir, blocks[first])
	env := append(readmeChildEnv(), "GOTOOLCHAIN="+toolchain)

	var srv *readmeServer
	for _, b := range blocks[first+1:] {
		switch {
		case b.lang != "sh":
			t.Fatalf("README Quick start: block at line %d is %q; after the config only sh blocks are expected", b.line, b.lang)
		case strings.Join(strings.Fields(b.body), " ") == "./mailserver serve":
			if srv != nil {
				t.Fatalf("README Quick start starts the server twice (line %d)", b.line)
			}
			srv = startReadmeServer(t, dir, env)
		default:
			body := b.body
			if srv != nil {
				for key, readme := range readmeAddrs {
					if bound, ok := srv.addrs[key]; ok {
						body = strings.ReplaceAll(body, readme, bound)
					}
				}
			}
			runReadmeBlock(t, dir, env, b.line, body)
		}
	}
	if srv == nil {
		t.Fatal("README Quick start never runs ./mailserver serve")
	}
	srv.stop(t)
}

// checkReadmeSetUp checks the set-up blocks against .ci/run and returns
// the GOTOOLCHAIN they export.
func checkReadmeSetUp(t *testing.T, blocks []fencedBlock) string {
	t.Helper()
	ciText, err := os.ReadFile(filepath.Join(readmeRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	ciLines := map[string]bool{}
	var ciGo []string // go vet / go test lines of .ci/run
	ciToolchain := ""
	for _, l := range strings.Split(string(ciText), "\n") {
		l = strings.TrimSpace(l)
		ciLines[l] = true
		if v, ok := strings.CutPrefix(l, "export GOTOOLCHAIN="); ok {
			ciToolchain = v
		}
		if strings.HasPrefix(l, "go vet ") || strings.HasPrefix(l, "go test ") {
			ciGo = append(ciGo, l)
		}
	}
	if ciToolchain == "" {
		t.Fatal(".ci/run exports no GOTOOLCHAIN")
	}

	toolchain, serveCmd, testCmd := "", false, false
	for _, b := range blocks {
		lines := strings.Split(strings.TrimSpace(b.body), "\n")
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "export GOTOOLCHAIN=") {
			t.Errorf("README set-up block at line %d does not start with export GOTOOLCHAIN=...: %q", b.line, b.body)
		}
		for _, l := range lines {
			l = strings.TrimSpace(l)
			if v, ok := strings.CutPrefix(l, "export GOTOOLCHAIN="); ok {
				if v != ciToolchain {
					t.Errorf("README exports GOTOOLCHAIN=%s, .ci/run %s", v, ciToolchain)
				}
				toolchain = v
			}
			if l == "go run ./cmd/mailserver serve" {
				serveCmd = true
			}
			if !strings.Contains(l, "go test") {
				continue
			}
			testCmd = true
			var parts []string
			for _, p := range strings.Split(l, "&&") {
				p = strings.TrimSpace(p)
				parts = append(parts, p)
				if !ciLines[p] {
					t.Errorf("README's test command runs %q, which .ci/run does not", p)
				}
			}
			if strings.Join(parts, " && ") != strings.Join(ciGo, " && ") {
				t.Errorf("README's test command is %q; .ci/run runs %q", l, strings.Join(ciGo, " && "))
			}
		}
	}
	if !serveCmd {
		t.Error("README Quick start does not open with go run ./cmd/mailserver serve")
	}
	if !testCmd {
		t.Error("README Quick start does not give the test command")
	}
	if toolchain == "" {
		t.Fatal("README Quick start exports no GOTOOLCHAIN")
	}
	return toolchain
}

// cloneLikeDir returns a new directory holding a symlink to every entry of
// the repository's root, so README's commands run "from the repository
// root" without writing into the real one. What a developer may have left
// there from trying the README (the binary, the config, the data) is left
// out.
func cloneLikeDir(t *testing.T) string {
	t.Helper()
	root := readmeRoot(t)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	skip := map[string]bool{".git": true, "mailserver": true, "mailserver.toml": true, "data": true}
	for _, e := range entries {
		if skip[e.Name()] {
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeTryOutConfig writes README's try-out config into dir as
// mailserver.toml, each listener moved to an ephemeral loopback port, and
// returns the README's address of each [listen] key. The try-out promises
// loopback only: an address on another interface fails the test.
func writeTryOutConfig(t *testing.T, dir string, b fencedBlock) map[string]string {
	t.Helper()
	var doc map[string]any
	if _, err := toml.Decode(b.body, &doc); err != nil {
		t.Fatalf("README try-out config (line %d) is not TOML: %v", b.line, err)
	}
	listen, ok := doc["listen"].(map[string]any)
	if !ok {
		t.Fatal("README try-out config has no [listen] table; the defaults would listen on every interface")
	}
	addrs := map[string]string{}
	for _, e := range defaultConfig().Listen.entries() {
		v, ok := listen[e.key].(string)
		if !ok {
			t.Errorf("README try-out config leaves [listen] %s at its default %q (all interfaces)", e.key, e.addr)
			continue
		}
		if v == "" {
			continue // turned off
		}
		host, _, err := net.SplitHostPort(v)
		if err != nil {
			t.Errorf("README try-out config: [listen] %s = %q: %v", e.key, v, err)
			continue
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			t.Errorf("README try-out config: [listen] %s = %q is not a loopback address", e.key, v)
		}
		addrs[e.key] = v
		listen[e.key] = "127.0.0.1:0"
	}
	var out bytes.Buffer
	if err := toml.NewEncoder(&out).Encode(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mailserver.toml"), out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return addrs
}

// readmeChildEnv is the test's environment without MAILSERVER_CONFIG,
// which would override ./mailserver.toml.
func readmeChildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MAILSERVER_CONFIG=") && !strings.HasPrefix(kv, "GOTOOLCHAIN=") {
			env = append(env, kv)
		}
	}
	return env
}

// runReadmeBlock runs one shell block as a reader pasting it would, and
// fails the test if any command in it fails.
func runReadmeBlock(t *testing.T, dir string, env []string, line int, body string) {
	t.Helper()
	for _, tool := range []string{"curl"} {
		if strings.Contains(body, tool+" ") {
			if _, err := exec.LookPath(tool); err != nil {
				t.Fatalf("README Quick start uses %s, which is not installed (Debian package %s)", tool, tool)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), readmeCommandLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-e", "-c", body)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README Quick start block at line %d failed (%v):\n%s\noutput:\n%s", line, err, body, out)
	}
	t.Logf("README block at line %d:\n%s%s", line, body, out)
}

// readmeServer is the README's `./mailserver serve`, run in the background.
type readmeServer struct {
	cmd   *exec.Cmd
	addrs map[string]string // [listen] key -> bound address, from the log
	log   bytes.Buffer      // written by the log reader until done closes
	done  chan struct{}     // closed when the process has exited
	err   error             // from Wait, once done is closed
}

// startReadmeServer starts ./mailserver serve in dir and waits until it
// logs that it is ready.
func startReadmeServer(t *testing.T, dir string, env []string) *readmeServer {
	t.Helper()
	s := &readmeServer{addrs: map[string]string{}, done: make(chan struct{})}
	s.cmd = exec.Command(filepath.Join(dir, "mailserver"), "serve")
	s.cmd.Dir = dir
	s.cmd.Env = env
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("README: ./mailserver serve: %v", err)
	}
	ready := make(chan map[string]string, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		addrs := map[string]string{}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&s.log, line)
			if strings.Contains(line, "msg=listening") {
				addrs[logField(line, "key")] = logField(line, "addr")
			}
			if strings.Contains(line, `msg="mailserver ready"`) && addrs != nil {
				ready <- addrs
				addrs = nil
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		<-logDone // Wait closes the pipe: read it all first
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			s.cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case s.addrs = <-ready:
		return s
	case <-s.done:
		t.Fatalf("README: ./mailserver serve exited before it was ready (%v):\n%s", s.err, s.log.String())
	case <-time.After(readmeCommandLimit):
		t.Fatalf("README: ./mailserver serve not ready after %v", readmeCommandLimit)
	}
	return nil
}

// stop is the reader's Ctrl-C: SIGINT, then a graceful exit with status 0.
func (s *readmeServer) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("README: ./mailserver serve exited with %v after Ctrl-C:\n%s", s.err, s.log.String())
		}
	case <-time.After(readmeCommandLimit):
		t.Fatalf("README: ./mailserver serve did not stop after Ctrl-C")
	}
}

// TestReadmeCommandsListEveryCommand: README's Commands block names every
// command the binary has, and no other (issue 10, item 23: queue and help
// were missing).
func TestReadmeCommandsListEveryCommand(t *testing.T) {
	blocks := fencedBlocks(t, readmeSection(t, "Commands"))
	if len(blocks) == 0 {
		t.Fatal("README's Commands section has no code block")
	}
	listed := map[string]bool{}
	for _, l := range strings.Split(blocks[0].body, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] != "mailserver" {
			listed[f[0]] = true
		}
	}
	have := map[string]bool{}
	for _, c := range commands() {
		have[c.name] = true
		if !listed[c.name] {
			t.Errorf("README's Commands list leaves out %q (%s)", c.name, c.summary)
		}
	}
	for name := range listed {
		if !have[name] {
			t.Errorf("README's Commands list names %q, which mailserver does not have", name)
		}
	}
}
