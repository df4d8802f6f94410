package store

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The admin flag: off for new users and for records written before it
// existed, set and cleared by SetAdmin, seen by every way of reading a
// user (lookup, list, login), and written only when set (omitempty).
func TestSetAdmin(t *testing.T) {
	s := openTest(t)
	mustUser(t, s, "alice@example.test")
	mustUser(t, s, "bob@example.test")
	isAdmin := func(addr string) bool {
		t.Helper()
		u, err := s.UserByAddress(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		return u.Admin
	}
	if isAdmin("alice@example.test") {
		t.Fatal("a new user is an admin")
	}
	if err := s.SetAdmin(ctx, "Alice@Example.TEST", true); err != nil {
		t.Fatal(err)
	}
	if !isAdmin("alice@example.test") || isAdmin("bob@example.test") {
		t.Fatal("SetAdmin(true) not seen by UserByAddress, or set on another user")
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) != 2 || !users[0].Admin || users[1].Admin {
		t.Fatalf("Users: %+v %v", users, err)
	}
	u, err := s.Authenticate(ctx, Login{Protocol: "webmail", Username: "alice@example.test", Password: "secret"})
	if err != nil || !u.Admin {
		t.Fatalf("Authenticate: %+v %v", u, err)
	}
	raw := func(addr string) []byte {
		var v []byte
		s.db.View(func(tx *bolt.Tx) error {
			v = bytes.Clone(tx.Bucket(bucketUsers).Get([]byte(addr)))
			return nil
		})
		return v
	}
	if !bytes.Contains(raw("alice@example.test"), []byte(`"admin":true`)) {
		t.Fatalf("record of an admin: %s", raw("alice@example.test"))
	}
	if err := s.SetAdmin(ctx, "alice@example.test", false); err != nil {
		t.Fatal(err)
	}
	if isAdmin("alice@example.test") {
		t.Fatal("SetAdmin(false) did not clear the flag")
	}
	if bytes.Contains(raw("alice@example.test"), []byte(`admin`)) {
		t.Fatalf("record of a non-admin names the flag: %s", raw("alice@example.test"))
	}
	if err := s.SetAdmin(ctx, "nobody@example.test", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
}

// A record written before the flag existed (no "admin" key) reads as a
// non-admin, and SetAdmin works on it.
func TestAdminFlagOldRecord(t *testing.T) {
	s := openTest(t)
	u := mustUser(t, s, "old@example.test")
	old := []byte(`{"id":` + strconv.FormatUint(u.ID, 10) + `,"address":"old@example.test","hash":"x","quota":{},"created":"2025-01-01T00:00:00Z"}`)
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).Put([]byte("old@example.test"), old)
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByAddress(ctx, "old@example.test")
	if err != nil || got.Admin || got.ID != u.ID {
		t.Fatalf("old record: %+v %v", got, err)
	}
	if err := s.SetAdmin(ctx, "old@example.test", true); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByAddress(ctx, "old@example.test"); err != nil || !got.Admin {
		t.Fatalf("after SetAdmin: %+v %v", got, err)
	}
}
