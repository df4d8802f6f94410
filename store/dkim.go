package store

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DKIM signing keys (RFC 6376, RFC 8463). Every local domain has at least
// one selector pair: an Ed25519 key (selector "YYYYMMDDx-ed") and an
// RSA-2048 key ("YYYYMMDDx-rsa"), made together, where YYYYMMDD is the UTC
// creation date and x a letter (a, b, ...) that keeps pairs made the same
// day apart. The queue signs with the newest pair whose SignFrom has come;
// older pairs stay listed (their public records still published, so mail
// signed before a rotation keeps verifying) until retired.
//
// Private keys never leave the store except as a crypto.Signer (Signer):
// DKIMKey has no exported field that holds them, so printing or
// marshalling a DKIMKey shows the public part only.

// DKIM key algorithms (the k= tag of RFC 6376 §3.6.1, RFC 8463 §3).
const (
	DKIMEd25519 = "ed25519"
	DKIMRSA     = "rsa"
)

// DKIMRSABits is the RSA modulus size (RFC 8301 §3.2: at least 1024,
// 2048 recommended by M3AAWG and what receivers expect today).
const DKIMRSABits = 2048

// DefaultDKIMRotateAfter is how long after `dkim rotate` the new pair
// starts signing: time for its DNS records to be published and to reach
// the receivers' caches.
const DefaultDKIMRotateAfter = 72 * time.Hour

// ErrDKIMInUse: the selector still signs mail and cannot be retired.
var ErrDKIMInUse = errors.New("DKIM selector is the one signing; rotate first and wait until the new pair signs")

// DKIMKey is one DKIM key of a local domain.
type DKIMKey struct {
	Domain    string
	Selector  string
	Algorithm string // DKIMEd25519 or DKIMRSA
	Created   time.Time
	// SignFrom is when the key starts signing.
	SignFrom time.Time
	// Public is the public key as the p= tag carries it (RFC 6376
	// §3.6.1: base64 of the DER SubjectPublicKeyInfo for RSA; RFC 8463
	// §4: base64 of the raw 32-byte key for Ed25519).
	Public string

	private []byte // PKCS #8 DER; only Signer reads it
}

// DNSName is the name of the key's TXT record (RFC 6376 §3.6.2.1).
func (k *DKIMKey) DNSName() string { return k.Selector + "._domainkey." + k.Domain }

// DNSRecord is the TXT record's text (RFC 6376 §3.6.1).
func (k *DKIMKey) DNSRecord() string {
	return "v=DKIM1; k=" + k.Algorithm + "; p=" + k.Public
}

// Signer returns the private key (ed25519.PrivateKey or *rsa.PrivateKey).
func (k *DKIMKey) Signer() (crypto.Signer, error) {
	key, err := x509.ParsePKCS8PrivateKey(k.private)
	if err != nil {
		return nil, fmt.Errorf("dkim key %s: %w", k.DNSName(), err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("dkim key %s: unexpected key type %T", k.DNSName(), key)
	}
	return s, nil
}

// dkimRecord is the stored form of a key (JSON; see doc.go).
type dkimRecord struct {
	Algorithm string    `json:"alg"`
	Private   []byte    `json:"pkcs8"`
	Created   time.Time `json:"created"`
	SignFrom  time.Time `json:"sign_from"`
	Public    string    `json:"pub"` // the p= value, kept so listing parses no private key
}

// newDKIMPair generates an Ed25519 and an RSA key. RSA generation takes
// about 0.1 s, so it runs before, never inside, a write transaction.
func newDKIMPair(now, signFrom time.Time) (ed, rs dkimRecord, err error) {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return ed, rs, fmt.Errorf("dkim: generate ed25519 key: %w", err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, DKIMRSABits)
	if err != nil {
		return ed, rs, fmt.Errorf("dkim: generate rsa key: %w", err)
	}
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		return ed, rs, fmt.Errorf("dkim: %w", err)
	}
	rsaDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		return ed, rs, fmt.Errorf("dkim: %w", err)
	}
	now, signFrom = now.UTC().Truncate(time.Second), signFrom.UTC().Truncate(time.Second)
	ed = dkimRecord{Algorithm: DKIMEd25519, Private: edDER, Created: now, SignFrom: signFrom}
	rs = dkimRecord{Algorithm: DKIMRSA, Private: rsaDER, Created: now, SignFrom: signFrom}
	for _, r := range []*dkimRecord{&ed, &rs} {
		if r.Public, err = dkimPublic(&DKIMKey{Algorithm: r.Algorithm, private: r.Private}); err != nil {
			return ed, rs, err
		}
	}
	return ed, rs, nil
}

// putDKIMPair stores a pair under the first free selector base of the day
// and returns the base ("YYYYMMDDx").
func putDKIMPair(tx *bolt.Tx, domain string, ed, rs dkimRecord) (string, error) {
	b, err := tx.Bucket(bucketDKIM).CreateBucketIfNotExists([]byte(domain))
	if err != nil {
		return "", err
	}
	day := ed.Created.Format("20060102")
	for c := 'a'; c <= 'z'; c++ {
		base := day + string(c)
		if b.Get([]byte(base+"-ed")) != nil || b.Get([]byte(base+"-rsa")) != nil {
			continue
		}
		for _, kv := range []struct {
			sel string
			rec dkimRecord
		}{{base + "-ed", ed}, {base + "-rsa", rs}} {
			v, err := json.Marshal(kv.rec)
			if err != nil {
				return "", err
			}
			if err := b.Put([]byte(kv.sel), v); err != nil {
				return "", err
			}
		}
		return base, nil
	}
	return "", fmt.Errorf("dkim: %s: 26 selector pairs made on %s already; retire some", domain, day)
}

// DKIMKeys lists a domain's keys, oldest pair first (ed before rsa).
func (s *Store) DKIMKeys(ctx context.Context, domain string) ([]DKIMKey, error) {
	domain = CanonicalDomain(domain)
	var out []DKIMKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketDomains).Get([]byte(domain)) == nil {
			return fmt.Errorf("domain %s: %w", domain, ErrNoSuchDomain)
		}
		var err error
		out, err = dkimKeysTx(tx, domain)
		return err
	})
	return out, err
}

func dkimKeysTx(tx *bolt.Tx, domain string) ([]DKIMKey, error) {
	b := tx.Bucket(bucketDKIM).Bucket([]byte(domain))
	if b == nil {
		return nil, nil
	}
	var out []DKIMKey
	err := b.ForEach(func(k, v []byte) error {
		var r dkimRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("dkim key %s of %s: %w", k, domain, err)
		}
		key := DKIMKey{Domain: domain, Selector: string(k), Algorithm: r.Algorithm,
			Created: r.Created, SignFrom: r.SignFrom, Public: r.Public, private: r.Private}
		if key.Public == "" {
			var err error
			if key.Public, err = dkimPublic(&key); err != nil {
				return err
			}
		}
		out = append(out, key)
		return nil
	})
	// Keys sort by selector: the date and letter order the pairs, and
	// "-ed" sorts before "-rsa".
	sort.Slice(out, func(i, j int) bool { return out[i].Selector < out[j].Selector })
	return out, err
}

func dkimPublic(k *DKIMKey) (string, error) {
	s, err := k.Signer()
	if err != nil {
		return "", err
	}
	switch pub := s.Public().(type) {
	case ed25519.PublicKey:
		return base64.StdEncoding.EncodeToString(pub), nil
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("dkim key %s: %w", k.DNSName(), err)
		}
		return base64.StdEncoding.EncodeToString(der), nil
	}
	return "", fmt.Errorf("dkim key %s: unexpected public key %T", k.DNSName(), s.Public())
}

// DKIMSigningKeys returns the keys that sign a domain's mail at now: per
// algorithm, the newest one whose SignFrom has come. None (and no error)
// for a domain that is not local or has no key.
func (s *Store) DKIMSigningKeys(ctx context.Context, domain string, now time.Time) ([]DKIMKey, error) {
	var keys []DKIMKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		keys, err = dkimKeysTx(tx, CanonicalDomain(domain))
		return err
	})
	if err != nil {
		return nil, err
	}
	return signingKeys(keys, now), nil
}

// signingKeys picks, per algorithm, the key with the latest SignFrom not
// after now (ties: the later selector), ed25519 first.
func signingKeys(keys []DKIMKey, now time.Time) []DKIMKey {
	var out []DKIMKey
	for _, alg := range []string{DKIMEd25519, DKIMRSA} {
		best := -1
		for i, k := range keys {
			if k.Algorithm != alg || k.SignFrom.After(now) {
				continue
			}
			if best < 0 || !k.SignFrom.Before(keys[best].SignFrom) {
				best = i
			}
		}
		if best >= 0 {
			out = append(out, keys[best])
		}
	}
	return out
}

// DKIMRotate makes a new selector pair for domain that starts signing
// after the given delay (0 signs at once). The old pairs stay until
// DKIMRetire. It returns the new keys.
func (s *Store) DKIMRotate(ctx context.Context, domain string, after time.Duration) ([]DKIMKey, error) {
	domain = CanonicalDomain(domain)
	now := time.Now()
	ed, rs, err := newDKIMPair(now, now.Add(after))
	if err != nil {
		return nil, err
	}
	var base string
	err = s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		if tx.Bucket(bucketDomains).Get([]byte(domain)) == nil {
			return fmt.Errorf("domain %s: %w", domain, ErrNoSuchDomain)
		}
		base, err = putDKIMPair(tx, domain, ed, rs)
		return err
	})
	if err != nil {
		return nil, err
	}
	keys, err := s.DKIMKeys(ctx, domain)
	if err != nil {
		return nil, err
	}
	var out []DKIMKey
	for _, k := range keys {
		if strings.HasPrefix(k.Selector, base+"-") {
			out = append(out, k)
		}
	}
	return out, nil
}

// DKIMRetire removes a selector pair: selector is the pair's base
// ("20261201a") or either of its selectors. A pair that signs mail now is
// refused with ErrDKIMInUse.
func (s *Store) DKIMRetire(ctx context.Context, domain, selector string) error {
	domain = CanonicalDomain(domain)
	base := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(selector), "-ed"), "-rsa")
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		if tx.Bucket(bucketDomains).Get([]byte(domain)) == nil {
			return fmt.Errorf("domain %s: %w", domain, ErrNoSuchDomain)
		}
		keys, err := dkimKeysTx(tx, domain)
		if err != nil {
			return err
		}
		var found []string
		for _, k := range keys {
			if k.Selector == base+"-ed" || k.Selector == base+"-rsa" {
				found = append(found, k.Selector)
			}
		}
		if len(found) == 0 {
			return fmt.Errorf("dkim selector %s of %s: %w", selector, domain, ErrNotFound)
		}
		for _, k := range signingKeys(keys, time.Now()) {
			for _, f := range found {
				if k.Selector == f {
					return fmt.Errorf("dkim selector %s of %s: %w", f, domain, ErrDKIMInUse)
				}
			}
		}
		b := tx.Bucket(bucketDKIM).Bucket([]byte(domain))
		for _, f := range found {
			if err := b.Delete([]byte(f)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ensureDKIM gives every local domain without a key a pair that signs at
// once (domains added before keys existed). Called by Open.
func (s *Store) ensureDKIM(ctx context.Context) error {
	var missing []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDomains).ForEach(func(k, _ []byte) error {
			if b := tx.Bucket(bucketDKIM).Bucket(k); b == nil || firstKey(b) == nil {
				missing = append(missing, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, d := range missing {
		now := time.Now()
		ed, rs, err := newDKIMPair(now, now)
		if err != nil {
			return err
		}
		err = s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
			if tx.Bucket(bucketDomains).Get([]byte(d)) == nil {
				return nil // deleted meanwhile
			}
			_, err := putDKIMPair(tx, d, ed, rs)
			return err
		})
		if err != nil {
			return fmt.Errorf("dkim: keys for %s: %w", d, err)
		}
		s.log.Info("DKIM keys created; publish them (mailserver dkim list)", "domain", d)
	}
	return nil
}

func firstKey(b *bolt.Bucket) []byte {
	k, _ := b.Cursor().First()
	return k
}
