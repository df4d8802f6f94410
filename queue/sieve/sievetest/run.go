package sievetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Path is where Debian's dovecot-sieve installs sieve-test.
const Path = "/usr/bin/sieve-test"

// Timeout bounds one sieve-test run when the caller's context has no
// earlier deadline.
const Timeout = 30 * time.Second

// Extensions is the -x argument: exactly the capabilities of contract S1.
const Extensions = "fileinto reject envelope encoded-character vacation vacation-seconds " +
	"subaddress comparator-i;ascii-numeric relational regex imap4flags copy body " +
	"variables mailbox date"

// ErrMissing is returned (wrapped) when sieve-test is not installed.
var ErrMissing = errors.New("sieve-test not found: install the Debian package dovecot-sieve (apt-get install -y dovecot-sieve)")

// exitCompileFailed is sieve-test's exit status (EX_TEMPFAIL-like 89, from
// i_fatal) when the script does not compile.
const exitCompileFailed = 89

// Pigeonhole runs sieve-test on script and msg with envelope sender from and
// recipient to, and returns its result as S2 lines (see the package
// documentation for the mapping). An error means sieve-test could not be
// run or printed something this package does not understand; a script that
// fails to compile or to run is a normal result ("invalid", "error").
func Pigeonhole(ctx context.Context, script, msg []byte, from, to string) ([]string, error) {
	return run(ctx, Path, script, msg, from, to)
}

// Available reports whether sieve-test is installed: nil, or an error
// wrapping ErrMissing that names the Debian package.
func Available() error {
	if _, err := exec.LookPath(Path); err != nil {
		return fmt.Errorf("sievetest: %s: %w", Path, ErrMissing)
	}
	return nil
}

// run is Pigeonhole with the sieve-test binary given, for tests.
func run(ctx context.Context, path string, script, msg []byte, from, to string) ([]string, error) {
	bin, err := exec.LookPath(path)
	if err != nil {
		return nil, fmt.Errorf("sievetest: %s: %w", path, ErrMissing)
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tempBase(cred != nil), "sievetest-")
	if err != nil {
		return nil, fmt.Errorf("sievetest: temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	files := map[string][]byte{
		"script.sieve": rewriteEreject(script),
		"message.eml":  msg,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("sievetest: write %s: %w", name, err)
		}
	}
	if cred != nil {
		for _, p := range []string{dir, filepath.Join(dir, "script.sieve"), filepath.Join(dir, "message.eml")} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, fmt.Errorf("sievetest: chown for nobody: %w", err)
			}
		}
	}

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, Timeout)
		defer cancel()
	}
	args := []string{"-C", "-x", Extensions, "-d", "dump.txt",
		// No site minimum or maximum for :days/:seconds (RFC 5230 §4.1 and
		// RFC 6131 §2 let sites choose; queue/sieve reports the script's
		// value and leaves policy to delivery).
		"-o", "plugin/sieve_vacation_min_period=0",
		"-o", "plugin/sieve_vacation_max_period=0",
	}
	if from != "" {
		args = append(args, "-f", from)
	}
	if to != "" {
		args = append(args, "-a", to, "-r", to)
	}
	args = append(args, "script.sieve", "message.eml")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	// TZ=UTC: the date test without :zone uses local time (RFC 5260 §4.1).
	cmd.Env = []string{"HOME=" + dir, "PATH=/usr/bin:/bin", "LANG=C", "TZ=UTC"}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("sievetest: sieve-test: %w (stderr: %s)", ctx.Err(), stderr.Bytes())
	}
	status := 0
	if runErr != nil {
		var ee *exec.ExitError
		if !errors.As(runErr, &ee) {
			return nil, fmt.Errorf("sievetest: run sieve-test: %w", runErr)
		}
		status = ee.ExitCode()
	}
	dump, _ := os.ReadFile(filepath.Join(dir, "dump.txt"))
	lines, err := Translate(status, stdout.Bytes(), stderr.Bytes(), dump, from)
	if err != nil {
		return nil, fmt.Errorf("sievetest: %w\nstdout:\n%s\nstderr:\n%s", err, stdout.Bytes(), stderr.Bytes())
	}
	return lines, nil
}

// tempBase is where the private directory is made: os.TempDir(), unless
// sieve-test runs as nobody and cannot reach it (a TMPDIR under /root, say),
// then /tmp.
func tempBase(asNobody bool) string {
	base := os.TempDir()
	if !asNobody {
		return base
	}
	for d := base; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return base
		}
	}
}

// credential returns the user nobody's credential when running as root
// (sieve-test refuses root), nil otherwise.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("sievetest: running as root needs user nobody for sieve-test: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("sievetest: uid of nobody: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("sievetest: gid of nobody: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}
