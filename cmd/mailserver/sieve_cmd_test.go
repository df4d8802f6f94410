package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

const (
	goodSieve = "require [\"fileinto\", \"vacation\"];\r\n" +
		"if header :contains \"List-Id\" \"golang-nuts\" {\r\n  fileinto \"Lists\";\r\n  stop;\r\n}\r\n" +
		"vacation :days 3 :subject \"Away\" \"I am away until Monday.\";\r\n"
	// badSieve has an unknown command on line 3.
	badSieve = "require \"fileinto\";\n\nfilein \"Lists\";\n"
)

// TestSieveAdminRoundTrip: every sieve admin operation through a real
// socket against a real store; sentinel errors survive the trip.
func TestSieveAdminRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(filepath.Join(dir, "mail.db"), &store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddUser(ctx, "alice@example.test", "pw"); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, adminSocketFile)
	srv, err := listenAdmin(sock, adminHandler(&directAdmin{st: st}, log), log)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	defer func() {
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		<-served
	}()
	var c sieveAdmin = newAdminClient(sock)
	const alice = "alice@example.test"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.PutSieveScript(ctx, alice, "main", []byte(goodSieve)))
	got, err := c.SieveScript(ctx, alice, "main")
	must(err)
	if string(got) != goodSieve {
		t.Fatalf("script through the socket %q", got)
	}
	must(c.SetActiveSieveScript(ctx, alice, "main"))
	list, err := c.SieveScripts(ctx, alice)
	must(err)
	if len(list) != 1 || list[0].Name != "main" || !list[0].Active || list[0].Size != len(goodSieve) {
		t.Fatalf("list through the socket %+v", list)
	}
	if err := c.DeleteSieveScript(ctx, alice, "main"); !errors.Is(err, store.ErrSieveScriptActive) {
		t.Fatalf("delete the active script: %v, want ErrSieveScriptActive", err)
	}
	if _, err := c.SieveScript(ctx, alice, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get a missing script: %v, want ErrNotFound", err)
	}
	if err := c.PutSieveScript(ctx, alice, "bad\nname", nil); !errors.Is(err, store.ErrInvalidScriptName) {
		t.Fatalf("invalid name: %v, want ErrInvalidScriptName", err)
	}
	if _, err := c.SieveScripts(ctx, "nobody@example.test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("scripts of a missing user: %v, want ErrNotFound", err)
	}
	must(c.SetActiveSieveScript(ctx, alice, ""))
	must(c.DeleteSieveScript(ctx, alice, "main"))
}

// TestSieveCLIAndManageSieve drives the real binary: the sieve commands
// on the database with no server running, then through the admin socket
// of a running server, and sieve-connect (a ManageSieve client nobody here
// wrote) over STARTTLS against it. Plaintext logins on loopback are off,
// so sieve-connect can only log in after STARTTLS.
func TestSieveCLIAndManageSieve(t *testing.T) {
	sieveConnect, err := exec.LookPath("sieve-connect")
	if err != nil {
		t.Fatal("sieve-connect not found: install the Debian package sieve-connect")
	}
	e := newTestEnv(t, map[string]string{"managesieve": "127.0.0.1:0"}, "[auth]\nallow_plaintext_on_loopback = false\n")
	good := filepath.Join(e.dir, "good.sieve")
	bad := filepath.Join(e.dir, "bad.sieve")
	for p, s := range map[string]string{good: goodSieve, bad: badSieve} {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const alice = "alice@example.test"
	e.mustRun(t, "", "domain", "add", "example.test")
	e.mustRun(t, "alice-secret\n", "user", "add", alice, "--password-stdin")

	// check needs neither server nor database.
	if out := e.mustRun(t, "", "sieve", "check", good); !strings.Contains(out, "OK") {
		t.Fatalf("sieve check of a good script: %q", out)
	}
	failsWith := func(want string, stdin string, args ...string) {
		t.Helper()
		r := e.run(t, stdin, args...)
		if r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Fatalf("mailserver %s: exit %d, stderr %q; want exit 1 and %q", strings.Join(args, " "), r.code, r.stderr, want)
		}
	}
	failsWith("line 3, column 1:", "", "sieve", "check", bad)

	// Server stopped: straight on the database.
	e.mustRun(t, "", "sieve", "put", alice, "main", good)
	failsWith("line 3, column 1:", "", "sieve", "put", alice, "broken", bad)
	if out := e.mustRun(t, "", "sieve", "get", alice, "main"); out != goodSieve {
		t.Fatalf("sieve get = %q, want the file's bytes", out)
	}
	e.mustRun(t, "", "sieve", "activate", alice, "main")
	failsWith("active script", "", "sieve", "delete", alice, "main")
	if out := e.mustRun(t, "", "sieve", "list", alice); !regexpLine(out, "main", "yes") || strings.Contains(out, "broken") {
		t.Fatalf("sieve list:\n%s", out)
	}
	failsWith("not found", "", "sieve", "list", "nobody@example.test")

	// Server running: through the admin socket.
	s := e.start(t)
	if out := e.mustRun(t, "", "sieve", "list", alice); !regexpLine(out, "main", "yes") {
		t.Fatalf("sieve list through the socket:\n%s", out)
	}
	e.mustRun(t, "keep;\n", "sieve", "put", alice, "second", "-")
	failsWith("line 3, column 1:", badSieve, "sieve", "put", alice, "second", "-")
	if out := e.mustRun(t, "", "sieve", "get", alice, "second"); out != "keep;\n" {
		t.Fatalf("sieve get through the socket = %q", out)
	}
	e.mustRun(t, "", "sieve", "activate", alice, "second")
	failsWith("active script", "", "sieve", "delete", alice, "second")
	e.mustRun(t, "", "sieve", "deactivate", alice)
	e.mustRun(t, "", "sieve", "delete", alice, "second")
	e.mustRun(t, "", "sieve", "activate", alice, "main")
	if !strings.Contains(s.log.String(), "op="+pathSievePut) {
		t.Fatalf("sieve put did not go through the admin socket; server log:\n%s", s.log)
	}

	// sieve-connect over STARTTLS.
	addr := s.addrs["managesieve"]
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("managesieve address %q: %v", addr, err)
	}
	sc := func(args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.Command(sieveConnect, append([]string{"--server", host, "--port", port, "--nosrv",
			"--user", alice, "--passwordfd", "3", "--notlsverify", "--noclearchan"}, args...)...)
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pw.WriteString("alice-secret\n")
		pw.Close()
		defer pr.Close()
		cmd.ExtraFiles = []*os.File{pr} // fd 3
		cmd.Dir = e.dir
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Stdin = strings.NewReader("")
		err = cmd.Run()
		return out.String(), errb.String(), err
	}
	mustSC := func(args ...string) string {
		t.Helper()
		out, errOut, err := sc(args...)
		if err != nil {
			t.Fatalf("sieve-connect %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}
	mustSC("--upload", "--localsieve", good, "--remotesieve", "vacation")
	if out := mustSC("--list"); !strings.Contains(out, `"vacation"`) || !strings.Contains(out, `"main" ACTIVE`) {
		t.Fatalf("sieve-connect --list:\n%s", out)
	}
	mustSC("--activate", "--remotesieve", "vacation")
	if out := mustSC("--list"); !strings.Contains(out, `"vacation" ACTIVE`) || strings.Contains(out, `"main" ACTIVE`) {
		t.Fatalf("sieve-connect --list after --activate:\n%s", out)
	}
	downloaded := filepath.Join(e.dir, "downloaded.sieve")
	mustSC("--download", "--remotesieve", "vacation", "--localsieve", downloaded)
	if b, err := os.ReadFile(downloaded); err != nil || string(b) != goodSieve {
		t.Fatalf("downloaded script %q (%v), want the uploaded bytes %q", b, err, goodSieve)
	}
	if out := e.mustRun(t, "", "sieve", "list", alice); !regexpLine(out, "vacation", "yes") {
		t.Fatalf("sieve list after sieve-connect --activate:\n%s", out)
	}
	// A script with a syntax error is refused by PUTSCRIPT, with its line.
	out, errOut, err := sc("--upload", "--localsieve", bad, "--remotesieve", "broken")
	if !strings.Contains(out+errOut, "line 3, column 1:") || !strings.Contains(out+errOut, "PUTSCRIPT") {
		t.Fatalf("sieve-connect upload of a bad script: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	t.Logf("sieve-connect on the refused script: %s", strings.TrimSpace(out+errOut))
	if out := mustSC("--list"); strings.Contains(out, "broken") {
		t.Fatalf("the refused script was stored:\n%s", out)
	}
	// The active script cannot be deleted; after deactivating it can.
	out, errOut, _ = sc("--delete", "--remotesieve", "vacation")
	if !strings.Contains(out+errOut, "ACTIVE") {
		t.Fatalf("sieve-connect --delete of the active script: stdout %s stderr %s", out, errOut)
	}
	mustSC("--deactivate")
	mustSC("--delete", "--remotesieve", "vacation")
	if out := mustSC("--list"); strings.Contains(out, "vacation") || strings.Contains(out, "ACTIVE") {
		t.Fatalf("sieve-connect --list after --delete:\n%s", out)
	}
	if !strings.Contains(s.log.String(), "managesieve login") {
		t.Fatalf("no ManageSieve login in the server log:\n%s", s.log)
	}
	s.stop(t)

	// Stopped again: what sieve-connect did is in the database.
	out = e.mustRun(t, "", "sieve", "list", alice)
	if !regexpLine(out, "main", "") || strings.Contains(out, "vacation") {
		t.Fatalf("sieve list after stop:\n%s", out)
	}
}

// regexpLine reports whether out has a line whose first field is name and
// whose third field (ACTIVE) is active ("" for none).
func regexpLine(out, name, active string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == name {
			return active == "" && (len(f) < 3 || f[2] != "yes") || len(f) >= 3 && f[2] == active
		}
	}
	return false
}
