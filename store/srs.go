package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mailserver/mailserver/queue/srs"
)

// srsSecretKey is the meta key of the SRS secret: 32 random bytes made
// once, when the database is created (or first opened by a version with
// SRS), and never changed, so addresses handed out stay valid.
var srsSecretKey = []byte("srs-secret")

const srsSecretSize = 32

// srsRewriterTx returns the Rewriter for the stored secret, making the
// secret first if there is none (inside Open's write transaction).
func srsRewriterTx(meta *bolt.Bucket) (*srs.Rewriter, error) {
	secret := meta.Get(srsSecretKey)
	if secret == nil {
		secret = make([]byte, srsSecretSize)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("srs secret: %w", err)
		}
		if err := meta.Put(srsSecretKey, secret); err != nil {
			return nil, fmt.Errorf("srs secret: %w", err)
		}
	}
	return srs.New(secret)
}

// SRSForward rewrites the envelope sender of a message forwarded to a
// remote address into an SRS address of the local domain forwarder (see
// package queue/srs), so the receiver's SPF check sees forwarder and a
// bounce comes back here (Resolve decodes it). now sets the timestamp.
func (s *Store) SRSForward(sender, forwarder string, now time.Time) (string, error) {
	return s.srs.Forward(sender, forwarder, now)
}

// srsBounce routes mail to an SRS address of a local domain (its raw
// local part): to the original sender it decodes to, if the hash matches
// and, for SRS0, it is at most srs.MaxAge old. Anything else is
// ErrNotFound (RCPT answers 550 5.1.1, RFC 3463 §3.2 "bad destination
// mailbox address"): only addresses this server minted recently relay,
// so an SRS address is no open relay.
func (r *resolver) srsBounce(local string, now time.Time) ([]Route, error) {
	orig, err := r.s.srs.Reverse(local, now)
	if err != nil {
		if errors.Is(err, srs.ErrBadHash) || errors.Is(err, srs.ErrExpired) || errors.Is(err, srs.ErrMalformed) {
			return nil, nil // ErrNotFound in Resolve
		}
		return nil, err
	}
	at := strings.LastIndexByte(orig, '@')
	l, d, err := CanonicalAddress(orig)
	if err != nil || at < 0 {
		return nil, nil
	}
	if r.tx.Bucket(bucketDomains).Get([]byte(d)) != nil {
		return r.resolve(l, d, 1) // a local original sender
	}
	// The remote local part keeps its case (RFC 5321 §2.4).
	return []Route{{Remote: orig[:at] + "@" + d}}, nil
}
