package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestSieveScripts(t *testing.T) {
	s := openTest(t)
	alice := mustUser(t, s, "alice@example.test")
	bob := mustUser(t, s, "bob@example.test")

	// A new account has no script and version 0.
	list, err := s.SieveScripts(ctx, alice.ID)
	if err != nil || len(list) != 0 {
		t.Fatalf("SieveScripts of a new account: %v %v", list, err)
	}
	name, content, version, err := s.ActiveSieveScript(ctx, alice.ID)
	if err != nil || name != "" || content != nil || version != 0 {
		t.Fatalf("ActiveSieveScript of a new account: %q %q %d %v", name, content, version, err)
	}
	if _, err := s.SieveScript(ctx, alice.ID, "none"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SieveScript of a missing script: %v, want ErrNotFound", err)
	}

	before := time.Now().Add(-time.Second)
	mustPut := func(u *User, name, content string) {
		t.Helper()
		if err := s.PutSieveScript(ctx, u.ID, name, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	mustPut(alice, "vacation", "vacation \"away\";\r\n")
	mustPut(alice, "lists", "keep;")
	mustPut(alice, "empty", "")
	mustPut(bob, "lists", "discard;")

	list, err = s.SieveScripts(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sc := range list {
		got = append(got, fmt.Sprintf("%s/%d/%v", sc.Name, sc.Size, sc.Active))
		if sc.Updated.Before(before) || sc.Updated.After(time.Now()) {
			t.Errorf("script %s: updated %v", sc.Name, sc.Updated)
		}
	}
	if want := "empty/0/false lists/5/false vacation/18/false"; strings.Join(got, " ") != want {
		t.Fatalf("SieveScripts = %v, want %s", got, want)
	}
	if c, err := s.SieveScript(ctx, alice.ID, "empty"); err != nil || c == nil || len(c) != 0 {
		t.Fatalf("empty script: %q %v (want non-nil empty)", c, err)
	}
	// Users are isolated.
	if c, _ := s.SieveScript(ctx, bob.ID, "lists"); string(c) != "discard;" {
		t.Fatalf("bob's script = %q", c)
	}

	// Activate: version changes, ActiveSieveScript returns it.
	_, _, v0, _ := s.ActiveSieveScript(ctx, alice.ID)
	if err := s.SetActiveSieveScript(ctx, alice.ID, "lists"); err != nil {
		t.Fatal(err)
	}
	name, content, v1, err := s.ActiveSieveScript(ctx, alice.ID)
	if err != nil || name != "lists" || string(content) != "keep;" || v1 == v0 {
		t.Fatalf("active after SETACTIVE: %q %q v%d (was v%d) %v", name, content, v1, v0, err)
	}
	if err := s.SetActiveSieveScript(ctx, alice.ID, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("activate a missing script: %v", err)
	}
	// Replacing the active script keeps it active, with a new version.
	mustPut(alice, "lists", "stop;")
	name, content, v2, _ := s.ActiveSieveScript(ctx, alice.ID)
	if name != "lists" || string(content) != "stop;" || v2 == v1 {
		t.Fatalf("active after replacing it: %q %q v%d", name, content, v2)
	}
	// Only one is active.
	if err := s.SetActiveSieveScript(ctx, alice.ID, "vacation"); err != nil {
		t.Fatal(err)
	}
	list, _ = s.SieveScripts(ctx, alice.ID)
	for _, sc := range list {
		if sc.Active != (sc.Name == "vacation") {
			t.Fatalf("after activating vacation: %+v", list)
		}
	}

	// The active script cannot be deleted; others can.
	if err := s.DeleteSieveScript(ctx, alice.ID, "vacation"); !errors.Is(err, ErrSieveScriptActive) {
		t.Fatalf("delete the active script: %v", err)
	}
	if err := s.DeleteSieveScript(ctx, alice.ID, "empty"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSieveScript(ctx, alice.ID, "empty"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}

	// Rename keeps content and activeness and changes the version.
	_, _, v3, _ := s.ActiveSieveScript(ctx, alice.ID)
	if err := s.RenameSieveScript(ctx, alice.ID, "vacation", "away"); err != nil {
		t.Fatal(err)
	}
	name, content, v4, _ := s.ActiveSieveScript(ctx, alice.ID)
	if name != "away" || string(content) != "vacation \"away\";\r\n" || v4 == v3 {
		t.Fatalf("active after rename: %q %q v%d", name, content, v4)
	}
	if err := s.RenameSieveScript(ctx, alice.ID, "away", "lists"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto an existing name: %v", err)
	}
	if err := s.RenameSieveScript(ctx, alice.ID, "away", "away"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto itself: %v", err)
	}
	if err := s.RenameSieveScript(ctx, alice.ID, "gone", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rename a missing script: %v", err)
	}
	if _, err := s.SieveScript(ctx, alice.ID, "vacation"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name after rename: %v", err)
	}

	// Deactivate: none active, the scripts stay.
	if err := s.SetActiveSieveScript(ctx, alice.ID, ""); err != nil {
		t.Fatal(err)
	}
	name, content, _, _ = s.ActiveSieveScript(ctx, alice.ID)
	if name != "" || content != nil {
		t.Fatalf("active after deactivating: %q %q", name, content)
	}
	if err := s.DeleteSieveScript(ctx, alice.ID, "away"); err != nil {
		t.Fatalf("delete after deactivating: %v", err)
	}
	// Unknown users.
	if err := s.PutSieveScript(ctx, 4242, "x", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("put for a missing user: %v", err)
	}
	mustVerifyOK(t, s)
}

func TestSieveScriptNames(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	bad := []string{"", "a\x00b", "tab\there", "nl\n", "del\x7f", "c1\u0085", "ls\u2028", "ps\u2029",
		"bom\ufeff", "\xff\xfe", strings.Repeat("é", MaxScriptNameChars+1)}
	for _, name := range bad {
		if err := s.PutSieveScript(ctx, u.ID, name, []byte("keep;")); !errors.Is(err, ErrInvalidScriptName) {
			t.Errorf("PutSieveScript(%q): %v, want ErrInvalidScriptName", name, err)
		}
	}
	good := []string{"a", "my script", "ürlaub/2026", "\"quoted\"", "{5}", strings.Repeat("é", MaxScriptNameChars)}
	for _, name := range good {
		if err := s.PutSieveScript(ctx, u.ID, name, []byte("keep;")); err != nil {
			t.Errorf("PutSieveScript(%q): %v", name, err)
		}
	}
	// Net-Unicode (RFC 5198): a decomposed name is the composed one.
	if err := s.PutSieveScript(ctx, u.ID, "cafe\u0301", []byte("keep;")); err != nil {
		t.Fatal(err)
	}
	if c, err := s.SieveScript(ctx, u.ID, "caf\u00e9"); err != nil || string(c) != "keep;" {
		t.Fatalf("NFC lookup: %q %v", c, err)
	}
	mustVerifyOK(t, s)
}

// TestSieveDeleteUser: the scripts go with the user; a new user of the
// same address starts with none.
func TestSieveDeleteUser(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	if err := s.PutSieveScript(ctx, u.ID, "a", []byte("keep;")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActiveSieveScript(ctx, u.ID, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.Address); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SieveScripts(ctx, u.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("scripts of a deleted user: %v", err)
	}
	u2, err := s.AddUser(ctx, u.Address, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if list, err := s.SieveScripts(ctx, u2.ID); err != nil || len(list) != 0 {
		t.Fatalf("scripts of the re-created user: %v %v", list, err)
	}
	if name, _, _, err := s.ActiveSieveScript(ctx, u2.ID); err != nil || name != "" {
		t.Fatalf("active script of the re-created user: %q %v", name, err)
	}
	mustVerifyOK(t, s)
}

// TestSieveDurable: what was acknowledged is there after reopening.
func TestSieveDurable(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "alice@example.test")
	if err := s.PutSieveScript(ctx, u.ID, "a", []byte("keep;")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActiveSieveScript(ctx, u.ID, "a"); err != nil {
		t.Fatal(err)
	}
	_, _, v, _ := s.ActiveSieveScript(ctx, u.ID)
	path := s.Path()
	s.Close()
	s2, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	name, content, v2, err := s2.ActiveSieveScript(ctx, u.ID)
	if err != nil || name != "a" || string(content) != "keep;" || v2 != v {
		t.Fatalf("after reopening: %q %q v%d (was v%d) %v", name, content, v2, v, err)
	}
}

// TestSieveConcurrentWriters: writers of several users share commits and
// none is lost.
func TestSieveConcurrentWriters(t *testing.T) {
	s := openTest(t)
	var users []*User
	for i := range 4 {
		users = append(users, mustUser(t, s, fmt.Sprintf("u%d@example.test", i)))
	}
	commits := s.commits.Load()
	var wg sync.WaitGroup
	for _, u := range users {
		for j := range 25 {
			wg.Go(func() {
				if err := s.PutSieveScript(ctx, u.ID, fmt.Sprintf("s%02d", j), []byte("keep;")); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, u := range users {
		list, err := s.SieveScripts(ctx, u.ID)
		if err != nil || len(list) != 25 {
			t.Fatalf("user %d: %d scripts, %v", u.ID, len(list), err)
		}
	}
	t.Logf("100 puts in %d commits", s.commits.Load()-commits)
	mustVerifyOK(t, s)
}

func TestVerifySieve(t *testing.T) {
	cases := []struct {
		name  string
		apply func(sv *bolt.Bucket)
		want  string
	}{
		{"active names nothing", func(sv *bolt.Bucket) { sv.Put(keySieveActive, []byte("ghost")) },
			`active Sieve script "ghost" does not exist`},
		{"short record", func(sv *bolt.Bucket) { sv.Bucket(bucketSieveScripts).Put([]byte("x"), []byte{1}) },
			`Sieve script "x": record of 1 bytes`},
		{"bad name", func(sv *bolt.Bucket) {
			sv.Bucket(bucketSieveScripts).Put([]byte("a\nb"), make([]byte, 8))
		}, "is not valid"},
		{"stray key", func(sv *bolt.Bucket) { sv.Put([]byte("junk"), []byte{1}) }, `sieve: stray key "junk"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := openTest(t)
			u := mustUser(t, s, "alice@example.test")
			if err := s.PutSieveScript(ctx, u.ID, "a", []byte("keep;")); err != nil {
				t.Fatal(err)
			}
			mustVerifyOK(t, s)
			err := s.db.Update(func(tx *bolt.Tx) error {
				acct, _ := account(tx, u.ID)
				c.apply(acct.Bucket(bucketSieve))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(rep.Problems, "\n"), c.want) {
				t.Fatalf("verify did not report %q: %v", c.want, rep.Problems)
			}
		})
	}
}

func FuzzCheckScriptName(f *testing.F) {
	for _, s := range []string{"a", "", "caf\u0065\u0301", "x\u2028", "\xff", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := CheckScriptName(name)
		if err != nil {
			return
		}
		// A valid name is stable: checking it again gives itself.
		if n2, err := CheckScriptName(n); err != nil || n2 != n {
			t.Fatalf("CheckScriptName(%q) = %q, then %q %v", name, n, n2, err)
		}
	})
}
