package main

import (
	"strings"
	"testing"
)

// userListRole is the ADMIN column of address in "user list" output.
func userListRole(t *testing.T, out, address string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == address {
			return f[len(f)-1]
		}
	}
	t.Fatalf("user list lacks %s:\n%s", address, out)
	return ""
}

// TestUserAdminFlag: "user add --admin" and "user admin ADDRESS [--off]"
// with the server stopped (direct database access) and running (through
// the admin socket), and "user list" shows who is an administrator.
func TestUserAdminFlag(t *testing.T) {
	e := newTestEnv(t, offListeners, `domains = ["example.test"]`)

	// Server stopped.
	out := e.mustRun(t, "pw-alice\n", "user", "add", "alice@example.test", "--password-stdin", "--admin")
	if !strings.Contains(out, "administrator") {
		t.Fatalf("user add --admin printed %q", out)
	}
	e.mustRun(t, "pw-bob\n", "user", "add", "bob@example.test", "--password-stdin")
	out = e.mustRun(t, "", "user", "list")
	if !strings.Contains(out, "ADMIN") {
		t.Fatalf("user list has no ADMIN column:\n%s", out)
	}
	if r := userListRole(t, out, "alice@example.test"); r != "admin" {
		t.Fatalf("alice's role %q, want admin:\n%s", r, out)
	}
	if r := userListRole(t, out, "bob@example.test"); r != "-" {
		t.Fatalf("bob's role %q, want -:\n%s", r, out)
	}
	e.mustRun(t, "", "user", "admin", "bob@example.test")
	if r := userListRole(t, e.mustRun(t, "", "user", "list"), "bob@example.test"); r != "admin" {
		t.Fatalf("after user admin: bob's role %q", r)
	}

	// Server running: the same through the socket.
	s := e.start(t)
	e.mustRun(t, "", "user", "admin", "--off", "alice@example.test")
	e.mustRun(t, "pw-carol\n", "user", "add", "carol@example.test", "--admin", "--password-stdin")
	out = e.mustRun(t, "", "user", "list")
	for addr, want := range map[string]string{"alice@example.test": "-", "bob@example.test": "admin", "carol@example.test": "admin"} {
		if r := userListRole(t, out, addr); r != want {
			t.Fatalf("through the socket: %s's role %q, want %q:\n%s", addr, r, want, out)
		}
	}
	if !strings.Contains(s.log.String(), "op="+pathUserAdmin) {
		t.Fatalf("user admin did not go through the admin socket; server log:\n%s", s.log)
	}
	r := e.run(t, "", "user", "admin", "nobody@example.test")
	if r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("user admin of an unknown user: exit %d, stderr %q", r.code, r.stderr)
	}
	s.stop(t)

	// Usage errors.
	for _, args := range [][]string{{"user", "admin"}, {"user", "admin", "a@example.test", "b@example.test"}, {"user", "admin", "--of", "a@example.test"}} {
		if r := e.run(t, "", args...); r.code != 2 {
			t.Errorf("mailserver %s: exit %d, want 2 (usage); stderr %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	// Stopped again: what was done through the socket is in the database.
	out = e.mustRun(t, "", "user", "list")
	if r := userListRole(t, out, "alice@example.test"); r != "-" {
		t.Fatalf("after stop: alice's role %q:\n%s", r, out)
	}
	if r := userListRole(t, out, "carol@example.test"); r != "admin" {
		t.Fatalf("after stop: carol's role %q:\n%s", r, out)
	}
}
