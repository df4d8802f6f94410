package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// offListeners turns every listener off.
var offListeners = map[string]string{}

// TestUserAddDirectAndThroughSocket adds users with the server stopped
// (the CLI opens the database) and running (the CLI goes through the admin
// socket, as bbolt's lock keeps it out of the database).
func TestUserAddDirectAndThroughSocket(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "pop3": "127.0.0.1:0"}, `domains = ["seeded.test"]`)

	// Server stopped: direct access.
	e.mustRun(t, "", "domain", "add", "example.test")
	out := e.mustRun(t, "alice-secret\n", "user", "add", "alice@example.test", "--password-stdin")
	if !strings.Contains(out, "alice@example.test") {
		t.Fatalf("user add printed %q", out)
	}
	if out := e.mustRun(t, "", "user", "list"); !strings.Contains(out, "alice@example.test") {
		t.Fatalf("user list without server:\n%s", out)
	}

	// Server running: through the socket.
	s := e.start(t)
	sock := filepath.Join(e.dataDir, adminSocketFile)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatalf("admin socket: %v", err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket mode %v, want a socket with 0600", fi.Mode())
	}
	// --password-stdin before the address works too.
	e.mustRun(t, "bob-secret\n", "user", "add", "--password-stdin", "bob@example.test", "--quota-bytes", "5000")
	out = e.mustRun(t, "", "user", "list")
	if !strings.Contains(out, "5000") {
		t.Fatalf("user list does not show bob's --quota-bytes:\n%s", out)
	}
	for _, u := range []string{"alice@example.test", "bob@example.test"} {
		if !strings.Contains(out, u) {
			t.Fatalf("user list with server running lacks %s:\n%s", u, out)
		}
	}
	if !strings.Contains(s.log.String(), "op="+pathUserAdd) {
		t.Fatalf("user add did not go through the admin socket; server log:\n%s", s.log)
	}
	// Domains from the config are seeded at start.
	if out := e.mustRun(t, "", "domain", "list"); !strings.Contains(out, "seeded.test") || !strings.Contains(out, "example.test") {
		t.Fatalf("domain list:\n%s", out)
	}
	// Store errors come through the socket as one line, exit 1.
	r := e.run(t, "again\n", "user", "add", "alice@example.test", "--password-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("duplicate user through socket: exit %d, stderr %q", r.code, r.stderr)
	}
	e.mustRun(t, "", "alias", "add", "postmaster@example.test", "alice@example.test", "bob@example.test")
	// Accounts made through the socket log in to the running server.
	if !pop3Login(t, s.addrs["pop3"], "bob@example.test", "bob-secret") {
		t.Fatal("bob cannot log in over POP3 with the password given through the socket")
	}
	e.mustRun(t, "new-secret\n", "user", "passwd", "bob@example.test", "--password-stdin")
	if !pop3Login(t, s.addrs["pop3"], "bob@example.test", "new-secret") {
		t.Fatal("bob cannot log in over POP3 after user passwd")
	}
	if pop3Login(t, s.addrs["pop3"], "bob@example.test", "bob-secret") {
		t.Fatal("bob's old password still works after user passwd")
	}
	s.stop(t)
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("admin socket left after shutdown: %v", err)
	}

	// Stopped again: everything done through the socket is in the database.
	out = e.mustRun(t, "", "user", "list")
	for _, u := range []string{"alice@example.test", "bob@example.test"} {
		if !strings.Contains(out, u) {
			t.Fatalf("user list after stop lacks %s:\n%s", u, out)
		}
	}
	if out := e.mustRun(t, "", "alias", "list"); !strings.Contains(out, "postmaster@example.test") {
		t.Fatalf("alias list:\n%s", out)
	}
	r = e.run(t, "again\n", "user", "add", "alice@example.test", "--password-stdin")
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("duplicate user direct: exit %d, stderr %q", r.code, r.stderr)
	}
	e.mustRun(t, "", "user", "del", "bob@example.test")
	if out := e.mustRun(t, "", "user", "list"); strings.Contains(out, "bob@example.test") {
		t.Fatalf("bob still listed after user del:\n%s", out)
	}
}

// TestStaleAdminSocket: a socket file left by a crashed server neither
// stops the CLI (it opens the database) nor the next serve (it replaces
// the file).
func TestStaleAdminSocket(t *testing.T) {
	e := newTestEnv(t, offListeners, "")
	if err := os.MkdirAll(e.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(e.dataDir, adminSocketFile))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()

	e.mustRun(t, "", "domain", "add", "example.test")
	s := e.start(t)
	if out := e.mustRun(t, "", "domain", "list"); !strings.Contains(out, "example.test") {
		t.Fatalf("domain list through socket:\n%s", out)
	}
	s.stop(t)
}

// TestPasswordNeverFromArgv: a password given as an argument is refused
// with a usage error, before anything is stored.
func TestPasswordNeverFromArgv(t *testing.T) {
	e := newTestEnv(t, offListeners, "")
	e.mustRun(t, "", "domain", "add", "example.test")
	e.mustRun(t, "first\n", "user", "add", "carol@example.test", "--password-stdin")
	for _, args := range [][]string{
		{"user", "add", "alice@example.test", "hunter2"},
		{"user", "add", "alice@example.test", "--password-stdin", "hunter2"},
		{"user", "add", "--password", "hunter2", "alice@example.test"},
		{"user", "add", "--password=hunter2", "alice@example.test"},
		{"user", "passwd", "carol@example.test", "hunter2"},
		{"user", "passwd", "--password", "hunter2", "carol@example.test"},
	} {
		r := e.run(t, "stdin-secret\n", args...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", args, r.code, exitUsage, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "mailserver: ") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: stderr is not one error line: %q", args, r.stderr)
		}
	}
	r := e.run(t, "stdin-secret\n", "user", "add", "alice@example.test", "hunter2")
	if !strings.Contains(r.stderr, "--password-stdin") {
		t.Errorf("refusal does not point to --password-stdin: %q", r.stderr)
	}
	// Without --password-stdin and without a terminal there is no prompt.
	r = e.run(t, "stdin-secret\n", "user", "add", "alice@example.test")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--password-stdin") {
		t.Errorf("no terminal: exit %d, stderr %q", r.code, r.stderr)
	}
	if out := e.mustRun(t, "", "user", "list"); strings.Contains(out, "alice") {
		t.Fatalf("a refused command created a user:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "no command"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"user"}, exitUsage, "missing subcommand"},
		{[]string{"user", "rename"}, exitUsage, "unknown subcommand"},
		{[]string{"domain", "add"}, exitUsage, "usage: mailserver domain add NAME"},
		{[]string{"alias", "add", "a@example.test"}, exitUsage, "TARGET"},
		{[]string{"--bogus", "version"}, exitUsage, "flag provided but not defined"},
		{[]string{"--config", filepath.Join(dir, "missing.toml"), "config"}, exitError, "missing.toml"},
	} {
		r := runIn(t, dir, "", tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d stderr %q; want exit %d and %q", tc.args, r.code, r.stderr, tc.code, tc.want)
		}
	}
	if r := runIn(t, dir, "", "help"); r.code != 0 || !strings.Contains(r.stdout, "Usage: mailserver") {
		t.Errorf("help: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	r := runIn(t, t.TempDir(), "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "mailserver "+testVersion+" (go") {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestConfigPrintsEffectiveTOML: the output of "config" parses back
// (strictly) to the values loaded from the file, and feeding it back in
// prints the same again.
func TestConfigPrintsEffectiveTOML(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:2525", "imaps": "[::1]:9993"}, `
domains = ["example.test", "example.org"]
log_level = "debug"
[smtp]
trusted_networks = ["10.0.0.0/8", "2001:db8::/32"]
read_timeout = "90s"
max_recipients = 7
[delivery]
retry_initial = "1m30s"
lifetime = "72h"
delay_warning = ""
relay_host = "smtp.example.net:587"
relay_username = "me"
relay_password = "p\"w"
[quota]
default_max_bytes = 1000000
`)
	want, err := loadConfig(e.config, true)
	if err != nil {
		t.Fatal(err)
	}
	out := e.mustRun(t, "", "config")
	got := defaultConfig()
	if err := decodeConfig(out, &got); err != nil {
		t.Fatalf("config output does not parse back: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Fatalf("config output parses to\n%+v\nwant\n%+v\noutput:\n%s", got, *want, out)
	}
	if got.Delivery.DelayWarning.Duration != 0 || got.SMTP.ReadTimeout.String() != "1m30s" {
		t.Fatalf("durations: delay_warning %v, read_timeout %v", got.Delivery.DelayWarning, got.SMTP.ReadTimeout)
	}
	if !strings.Contains(out, `retry_initial = "1m30s"`) || !strings.Contains(out, `lifetime = "72h"`) {
		t.Fatalf("durations are not printed as strings:\n%s", out)
	}

	again := filepath.Join(e.dir, "again.toml")
	if err := os.WriteFile(again, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	out2 := runIn(t, e.dir, "", "--config", again, "config")
	if out2.code != 0 || body(out2.stdout) != body(out) {
		t.Fatalf("config of its own output differs (exit %d, %s):\n%s", out2.code, out2.stderr, out2.stdout)
	}

	// With no file at all, the embedded defaults are printed.
	def := runIn(t, t.TempDir(), "", "config")
	if def.code != 0 || !strings.Contains(def.stdout, `smtp = ":25"`) || !strings.Contains(def.stdout, `data_dir = "./data"`) {
		t.Fatalf("config without a file: exit %d, stderr %q\n%s", def.code, def.stderr, def.stdout)
	}
}

// body drops the comment line naming the source.
func body(s string) string {
	_, rest, _ := strings.Cut(s, "\n")
	return rest
}

// TestConfigSources: --config wins over MAILSERVER_CONFIG, which wins over
// ./mailserver.toml.
func TestConfigSources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, level string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("log_level = \""+level+"\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("mailserver.toml", "warn")
	envFile := write("env.toml", "error")
	flagFile := write("flag.toml", "debug")
	check := func(want string, env []string, args ...string) {
		t.Helper()
		cmd := execIn(dir, env, args...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(string(out), `log_level = "`+want+`"`) {
			t.Fatalf("%v with %v: want log_level %s:\n%s", args, env, want, out)
		}
	}
	check("warn", nil, "config")
	check("error", []string{"MAILSERVER_CONFIG=" + envFile}, "config")
	check("debug", []string{"MAILSERVER_CONFIG=" + envFile}, "--config", flagFile, "config")
	check("debug", nil, "config", "--config", flagFile)
}

func TestUnknownConfigKeyRejected(t *testing.T) {
	e := newTestEnv(t, offListeners, "[smtp]\nmax_recipents = 3\n")
	for _, args := range [][]string{{"config"}, {"serve"}, {"user", "list"}} {
		r := e.run(t, "", args...)
		if r.code != exitError || !strings.Contains(r.stderr, "smtp.max_recipents") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 naming smtp.max_recipents", args, r.code, r.stderr)
		}
	}
}

// pop3Login reports whether USER/PASS succeeds (plaintext is allowed on
// loopback by default).
func pop3Login(t *testing.T, addr, user, pass string) bool {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func() string {
		t.Helper()
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("pop3: %v", err)
		}
		return line
	}
	if l := reply(); !strings.HasPrefix(l, "+OK") {
		t.Fatalf("pop3 greeting %q", l)
	}
	fmt.Fprintf(c, "USER %s\r\n", user)
	if l := reply(); !strings.HasPrefix(l, "+OK") {
		t.Fatalf("pop3 USER: %q", l)
	}
	fmt.Fprintf(c, "PASS %s\r\n", pass)
	ok := strings.HasPrefix(reply(), "+OK")
	fmt.Fprintf(c, "QUIT\r\n")
	return ok
}
