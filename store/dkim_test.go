package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestDKIMKeysAtAddDomain: a new domain gets an Ed25519 and an RSA-2048
// key that sign at once; the public records are well formed and the
// private keys appear nowhere in what a DKIMKey prints or marshals.
func TestDKIMKeysAtAddDomain(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.AddDomain(ctx, "Example.TEST"); err != nil {
		t.Fatal(err)
	}
	keys, err := s.DKIMKeys(ctx, "example.test")
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys %+v, %v", keys, err)
	}
	day := time.Now().UTC().Format("20060102")
	if keys[0].Selector != day+"a-ed" || keys[1].Selector != day+"a-rsa" {
		t.Fatalf("selectors %s %s", keys[0].Selector, keys[1].Selector)
	}
	ed, err := keys[0].Signer()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ed.(ed25519.PrivateKey); !ok || keys[0].Algorithm != DKIMEd25519 {
		t.Fatalf("ed key %T %s", ed, keys[0].Algorithm)
	}
	rs, err := keys[1].Signer()
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := rs.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
		t.Fatalf("rsa key %T", rs)
	}
	if got := keys[0].DNSName(); got != day+"a-ed._domainkey.example.test" {
		t.Fatalf("name %s", got)
	}
	if r := keys[0].DNSRecord(); !strings.HasPrefix(r, "v=DKIM1; k=ed25519; p=") || len(r) != len("v=DKIM1; k=ed25519; p=")+44 {
		t.Fatalf("record %q", r)
	}
	js, _ := json.Marshal(keys)
	for _, k := range keys {
		if strings.Contains(string(js), base64.StdEncoding.EncodeToString(k.private)[:40]) {
			t.Fatalf("marshalled key shows the private key: %s", js)
		}
	}
	sign, err := s.DKIMSigningKeys(ctx, "EXAMPLE.test", time.Now())
	if err != nil || len(sign) != 2 {
		t.Fatalf("signing keys %+v %v", sign, err)
	}
	if none, err := s.DKIMSigningKeys(ctx, "other.test", time.Now()); err != nil || len(none) != 0 {
		t.Fatalf("signing keys of a foreign domain: %+v %v", none, err)
	}
	if _, err := s.DKIMKeys(ctx, "other.test"); !errors.Is(err, ErrNoSuchDomain) {
		t.Fatalf("keys of a foreign domain: %v", err)
	}
}

// TestDKIMRotateRetire: a rotated pair signs only after its delay; the
// old pair stays listed, cannot be retired while it signs, and can once
// the new one has taken over.
func TestDKIMRotateRetire(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	old, _ := s.DKIMKeys(ctx, "example.test")
	oldBase := strings.TrimSuffix(old[0].Selector, "-ed")
	nw, err := s.DKIMRotate(ctx, "example.test", DefaultDKIMRotateAfter)
	if err != nil || len(nw) != 2 || nw[0].Selector != strings.TrimSuffix(oldBase, "a")+"b-ed" {
		t.Fatalf("rotate: %+v %v", nw, err)
	}
	all, _ := s.DKIMKeys(ctx, "example.test")
	if len(all) != 4 {
		t.Fatalf("%d keys listed after rotate", len(all))
	}
	now := time.Now()
	if sign, _ := s.DKIMSigningKeys(ctx, "example.test", now); sign[0].Selector != old[0].Selector || sign[1].Selector != old[1].Selector {
		t.Fatalf("signing before the delay: %s %s", sign[0].Selector, sign[1].Selector)
	}
	if sign, _ := s.DKIMSigningKeys(ctx, "example.test", now.Add(DefaultDKIMRotateAfter+time.Minute)); sign[0].Selector != nw[0].Selector || sign[1].Selector != nw[1].Selector {
		t.Fatalf("signing after the delay: %s %s", sign[0].Selector, sign[1].Selector)
	}
	if err := s.DKIMRetire(ctx, "example.test", oldBase); !errors.Is(err, ErrDKIMInUse) {
		t.Fatalf("retire of the signing pair: %v", err)
	}
	if err := s.DKIMRetire(ctx, "example.test", "19990101a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retire of an unknown selector: %v", err)
	}
	// A pair rotated with no delay signs at once; then the first retires.
	now3, err := s.DKIMRotate(ctx, "example.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	if sign, _ := s.DKIMSigningKeys(ctx, "example.test", time.Now()); sign[0].Selector != now3[0].Selector {
		t.Fatalf("signing %s, want %s", sign[0].Selector, now3[0].Selector)
	}
	if err := s.DKIMRetire(ctx, "example.test", old[1].Selector); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.DKIMKeys(ctx, "example.test"); len(all) != 4 || all[0].Selector != nw[0].Selector {
		t.Fatalf("after retire: %+v", all)
	}
}

// TestDKIMKeysAtStart: a domain stored without keys (by a version before
// DKIM) gets a pair when the store opens; DeleteDomain drops its keys.
func TestDKIMKeysAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mail.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.AddDomain(ctx, "old.test"); err != nil {
		t.Fatal(err)
	}
	err = s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		return tx.Bucket(bucketDKIM).DeleteBucket([]byte("old.test"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.DKIMKeys(ctx, "old.test"); len(keys) != 0 {
		t.Fatal("keys left")
	}
	s.Close()
	if s, err = Open(path, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys, err := s.DKIMKeys(ctx, "old.test")
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys after reopening: %+v %v", keys, err)
	}
	if err := s.DeleteDomain(ctx, "old.test"); err != nil {
		t.Fatal(err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketDKIM).Bucket([]byte("old.test")) != nil {
			t.Error("keys of a deleted domain kept")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
