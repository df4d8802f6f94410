// Package srs implements the Sender Rewriting Scheme (Shevek, "Sender
// Rewriting Scheme" 2004, as implemented by libsrs2 and postsrsd), so a
// message forwarded to a remote address leaves with an envelope sender in
// a local domain: the receiver's SPF check (RFC 7208) then sees the
// forwarder's domain, and a bounce comes back here to be relayed to the
// original sender.
//
// Formats (the field separator after the tag is '=', postsrsd's default):
//
//	SRS0=HHHH=TT=origdomain=origlocal@forwarder
//	SRS1=HHHH=firsthop==HHHH=TT=origdomain=origlocal@forwarder
//
// HHHH is the first four characters of the standard base64 of
// HMAC-SHA-1(secret, lower-case concatenation of the other fields); TT is
// the day number (Unix time / 86400) modulo 1024 in two base32 characters.
// An SRS0 address from another forwarder is not wrapped again but becomes
// SRS1, which points at that forwarder and keeps its SRS0 part opaque.
//
// Hashes are compared ignoring case, as libsrs2 does, because mail
// systems lower-case local parts.
package srs

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	// HashLength is the number of base64 characters of the HMAC kept
	// (postsrsd's and libsrs2's default).
	HashLength = 4
	// MaxAge is how long a rewritten address is accepted (libsrs2's
	// default of 21 days).
	MaxAge = 21 * 24 * time.Hour
	// timeBase32 is the alphabet of the timestamp (RFC 4648 base32).
	timeBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	// timeSlots is the period of the 10-bit day counter.
	timeSlots = 1024
	day       = 24 * time.Hour
)

var (
	// ErrNotSRS: the address is not an SRS address.
	ErrNotSRS = errors.New("srs: not an SRS address")
	// ErrBadHash: the hash does not match (forged or damaged address).
	ErrBadHash = errors.New("srs: hash does not match")
	// ErrExpired: the timestamp is older than MaxAge (or in the future).
	ErrExpired = errors.New("srs: address expired")
	// ErrMalformed: the address looks like SRS but does not parse.
	ErrMalformed = errors.New("srs: malformed SRS address")
)

// Rewriter rewrites and reverses addresses with one secret.
type Rewriter struct {
	secret []byte
}

// New returns a Rewriter with the given secret (which must not be empty).
func New(secret []byte) (*Rewriter, error) {
	if len(secret) == 0 {
		return nil, errors.New("srs: empty secret")
	}
	return &Rewriter{secret: append([]byte(nil), secret...)}, nil
}

// IsSRS reports whether the local part of addr has an SRS0 or SRS1 tag.
func IsSRS(local string) bool {
	return hasTag(local, "SRS0") || hasTag(local, "SRS1")
}

func hasTag(local, tag string) bool {
	return len(local) > len(tag) && strings.EqualFold(local[:len(tag)], tag) && isSeparator(local[len(tag)])
}

// isSeparator: libsrs2 accepts any of these after the tag on reversal.
func isSeparator(c byte) bool { return c == '=' || c == '-' || c == '+' }

// Forward rewrites sender (local@domain) for a message this host, as
// forwarder, relays: the result is in forwarder. A sender that is
// already SRS0 or SRS1 becomes SRS1.
func (r *Rewriter) Forward(sender, forwarder string, now time.Time) (string, error) {
	at := strings.LastIndexByte(sender, '@')
	if at <= 0 || at == len(sender)-1 {
		return "", fmt.Errorf("srs: cannot rewrite %q: no domain", sender)
	}
	local, domain := sender[:at], sender[at+1:]
	switch {
	case hasTag(local, "SRS0"):
		// SRS0=HHHH=TT=d=l@domain -> SRS1=H=domain==HHHH=TT=d=l: the
		// first hop is domain; the part after the tag is kept as is.
		user := local[len("SRS0"):]
		return "SRS1=" + r.hash(domain, user) + "=" + domain + "=" + user + "@" + forwarder, nil
	case hasTag(local, "SRS1"):
		// SRS1=HHHH=firsthop==rest@domain -> SRS1=H'=firsthop==rest: the
		// first hop stays the one to send the bounce to.
		_, hop, user, err := splitSRS1(local)
		if err != nil {
			return "", err
		}
		return "SRS1=" + r.hash(hop, user) + "=" + hop + "=" + user + "@" + forwarder, nil
	}
	ts := timestamp(now)
	return "SRS0=" + r.hash(ts, domain, local) + "=" + ts + "=" + domain + "=" + local + "@" + forwarder, nil
}

// Reverse decodes the local part of an SRS address of this forwarder:
// for SRS0 the original sender, for SRS1 the SRS0 address at the first
// hop. It checks the hash and, for SRS0, that the timestamp is at most
// MaxAge old. ErrNotSRS when local has no SRS tag.
func (r *Rewriter) Reverse(local string, now time.Time) (string, error) {
	switch {
	case hasTag(local, "SRS0"):
		f := strings.SplitN(local[len("SRS0")+1:], "=", 4)
		if len(f) != 4 || len(f[0]) != HashLength || len(f[1]) != 2 || f[2] == "" || f[3] == "" {
			return "", ErrMalformed
		}
		if !r.hashOK(f[0], f[1], f[2], f[3]) {
			return "", ErrBadHash
		}
		if !fresh(f[1], now) {
			return "", ErrExpired
		}
		return f[3] + "@" + f[2], nil
	case hasTag(local, "SRS1"):
		h, hop, user, err := splitSRS1(local)
		if err != nil {
			return "", err
		}
		if !r.hashOK(h, hop, user) {
			return "", ErrBadHash
		}
		return "SRS0" + user + "@" + hop, nil
	}
	return "", ErrNotSRS
}

// splitSRS1 splits SRS1=HHHH=hop=user into the hash, hop and user (the
// SRS0 part without its tag, so starting with its separator).
func splitSRS1(local string) (hash, hop, user string, err error) {
	rest := local[len("SRS1")+1:]
	h := strings.IndexByte(rest, '=')
	if h != HashLength {
		return "", "", "", ErrMalformed
	}
	hash, rest = rest[:h], rest[h+1:]
	e := strings.IndexByte(rest, '=')
	if e <= 0 || e == len(rest)-1 {
		return "", "", "", ErrMalformed
	}
	return hash, rest[:e], rest[e+1:], nil
}

// hash is the first HashLength characters of the base64 HMAC-SHA-1 of
// the lower-cased fields, concatenated (libsrs2's srs_hash_create).
func (r *Rewriter) hash(fields ...string) string {
	m := hmac.New(sha1.New, r.secret)
	for _, f := range fields {
		m.Write([]byte(strings.ToLower(f)))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))[:HashLength]
}

// hashOK compares in constant time, ignoring case (see the package doc).
func (r *Rewriter) hashOK(got string, fields ...string) bool {
	want := strings.ToLower(r.hash(fields...))
	return len(got) == HashLength && hmac.Equal([]byte(strings.ToLower(got)), []byte(want))
}

// timestamp is the day number of now modulo 1024, in base32.
func timestamp(now time.Time) string {
	d := now.Unix() / int64(day/time.Second) % timeSlots
	return string([]byte{timeBase32[d>>5&31], timeBase32[d&31]})
}

// fresh reports whether the base32 timestamp ts is at most MaxAge old at
// now (modulo the 1024-day period, as libsrs2 does).
func fresh(ts string, now time.Time) bool {
	hi := strings.IndexByte(timeBase32, upper(ts[0]))
	lo := strings.IndexByte(timeBase32, upper(ts[1]))
	if hi < 0 || lo < 0 {
		return false
	}
	then := int64(hi<<5 | lo)
	today := now.Unix() / int64(day/time.Second) % timeSlots
	age := (today - then + timeSlots) % timeSlots
	return age <= int64(MaxAge/day)
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
