package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the master and slave ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	return master, slave
}

// promptSession runs a command on a terminal and types one answer per
// prompt, each only once the terminal's echo is off.
func promptSession(t *testing.T, e *testEnv, answers []string, args ...string) (result, string) {
	t.Helper()
	master, slave := openPTY(t)
	defer master.Close()
	cmd := exec.Command(binary, append([]string{"--config", e.config}, args...)...)
	cmd.Dir = e.dir
	cmd.Env = childEnv()
	var stdout bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &stdout, slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	screen := &lockedBuffer{}
	copied := make(chan struct{})
	go func() {
		io.Copy(screen, master) // ends with EIO when the slave is closed
		close(copied)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(startupLimit) // only against hanging
	for i, answer := range answers {
		for {
			tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(screen.String(), "assword: ") > i && tio.Lflag&unix.ECHO == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no prompt %d with echo off; screen %q", i+1, screen)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := io.WriteString(master, answer+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	err := <-exited
	slave.Close()
	<-copied
	r := result{stdout: stdout.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r, screen.String()
}

// TestPasswordPrompt: without --password-stdin on a terminal, the password
// is asked twice without echo.
func TestPasswordPrompt(t *testing.T) {
	e := newTestEnv(t, offListeners, "")
	e.mustRun(t, "", "domain", "add", "example.test")

	r, screen := promptSession(t, e, []string{"pty-secret-1", "pty-secret-1"}, "user", "add", "dave@example.test")
	if r.code != 0 || !strings.Contains(r.stdout, "added user dave@example.test") {
		t.Fatalf("user add at the prompt: exit %d, stdout %q, terminal %q", r.code, r.stdout, screen)
	}
	if strings.Contains(screen, "pty-secret") {
		t.Fatalf("the password was echoed: %q", screen)
	}
	if !strings.Contains(screen, "Repeat password: ") {
		t.Fatalf("no confirmation prompt: %q", screen)
	}

	r, screen = promptSession(t, e, []string{"one", "two"}, "user", "passwd", "dave@example.test")
	if r.code != exitError || !strings.Contains(screen, "do not match") {
		t.Fatalf("mismatched passwords: exit %d, terminal %q", r.code, screen)
	}
}
