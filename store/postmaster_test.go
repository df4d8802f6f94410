package store

import (
	"errors"
	"path/filepath"
	"testing"
)

func routeNames(rs []Route) []string {
	var out []string
	for _, r := range rs {
		if r.Local != nil {
			out = append(out, r.Local.Address)
		} else {
			out = append(out, "remote:"+r.Remote)
		}
	}
	return out
}

func wantRoutes(t *testing.T, s *Store, addr string, want ...string) {
	t.Helper()
	routes, local, err := s.Resolve(ctx, addr)
	if err != nil || !local {
		t.Fatalf("Resolve(%q): local %v, %v", addr, local, err)
	}
	if got := routeNames(routes); len(got) != len(want) || len(got) > 0 && got[0] != want[0] {
		t.Fatalf("Resolve(%q) = %v, want %v", addr, got, want)
	}
}

// TestPostmasterDefaultsToFirstUser: with no Options.Postmaster,
// postmaster@ and abuse@ of every local domain and the bare "Postmaster"
// (RFC 5321 §4.5.1, RFC 2142) reach the first user created; a user or
// alias with the exact address wins, and a catch-all does not take them.
func TestPostmasterDefaultsToFirstUser(t *testing.T) {
	s := openTest(t)
	if pm, err := s.Postmaster(ctx); err != nil || pm != "" {
		t.Fatalf("Postmaster with no users: %q, %v", pm, err)
	}
	if err := s.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Resolve(ctx, "postmaster@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("postmaster with no users: %v", err)
	}
	if _, local, err := s.Resolve(ctx, "POSTMASTER"); !local || !errors.Is(err, ErrNotFound) {
		t.Fatalf("bare postmaster with no users: %v %v", local, err)
	}
	mustUser(t, s, "zed@example.test")
	mustUser(t, s, "alice@example.test")
	mustUser(t, s, "carol@other.test")
	if err := s.AddAlias(ctx, "@example.test", []string{"alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	if pm, err := s.Postmaster(ctx); err != nil || pm != "zed@example.test" {
		t.Fatalf("Postmaster = %q, %v", pm, err)
	}
	for _, a := range []string{"postmaster@example.test", "Postmaster@EXAMPLE.test", "abuse@example.test",
		"postmaster@other.test", "abuse@other.test", "postmaster", "PostMaster"} {
		wantRoutes(t, s, a, "zed@example.test")
	}
	// Not role addresses: the catch-all and ErrNotFound as before.
	wantRoutes(t, s, "postmaster2@example.test", "alice@example.test")
	if _, _, err := s.Resolve(ctx, "hostmaster@other.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("hostmaster: %v", err)
	}
	// An exact alias or user wins.
	if err := s.AddAlias(ctx, "abuse@other.test", []string{"carol@other.test"}); err != nil {
		t.Fatal(err)
	}
	mustUser(t, s, "postmaster@example.test")
	wantRoutes(t, s, "abuse@other.test", "carol@other.test")
	wantRoutes(t, s, "postmaster@example.test", "postmaster@example.test")
	wantRoutes(t, s, "postmaster@other.test", "zed@example.test")
	// The first user deleted: the next lowest ID takes over.
	if err := s.DeleteUser(ctx, "zed@example.test"); err != nil {
		t.Fatal(err)
	}
	wantRoutes(t, s, "postmaster", "alice@example.test")
	if pm, _ := s.Postmaster(ctx); pm != "alice@example.test" {
		t.Fatalf("Postmaster after delete = %q", pm)
	}
}

// TestPostmasterOption: Options.Postmaster may name a local user, an alias
// or an external address, and naming a role address itself cannot loop.
func TestPostmasterOption(t *testing.T) {
	open := func(pm string) *Store {
		t.Helper()
		s, err := Open(filepath.Join(t.TempDir(), "mail.db"), &Options{Postmaster: pm})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		mustUser(t, s, "alice@example.test")
		mustUser(t, s, "bob@example.test")
		return s
	}
	s := open("Bob@Example.Test")
	if pm, _ := s.Postmaster(ctx); pm != "bob@example.test" {
		t.Fatalf("Postmaster = %q", pm)
	}
	wantRoutes(t, s, "abuse@example.test", "bob@example.test")
	wantRoutes(t, s, "postmaster", "bob@example.test")

	s = open("ops@elsewhere.example")
	wantRoutes(t, s, "postmaster@example.test", "remote:ops@elsewhere.example")

	s = open("postmaster@example.test") // neither user nor alias: nothing
	if _, _, err := s.Resolve(ctx, "abuse@example.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("self-referencing postmaster: %v", err)
	}
	if err := s.AddAlias(ctx, "postmaster@example.test", []string{"alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	wantRoutes(t, s, "abuse@example.test", "alice@example.test")

	if _, err := Open(filepath.Join(t.TempDir(), "mail.db"), &Options{Postmaster: "not an address"}); !errors.Is(err, ErrInvalidAddress) {
		t.Fatalf("invalid postmaster: %v", err)
	}
}
