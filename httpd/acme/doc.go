// Package acme obtains and renews the server's certificates from an ACME
// CA (RFC 8555: Let's Encrypt, or Pebble in tests) and serves them to
// every TLS listener through one GetCertificate.
//
// The ACME protocol itself is github.com/caddyserver/certmagic's (its
// ACMEIssuer, built on mholt/acmez): this package decides which names to
// manage, when to renew and how to back off, and keeps the certificates
// it serves in memory, so a renewal takes effect on the next handshake
// of every listener without a restart.
//
// # Challenges
//
// TLS-ALPN-01 (RFC 8737) is answered in GetCertificate: a ClientHello
// offering exactly the "acme-tls/1" protocol gets the challenge
// certificate (ChallengeConfig gives the tls.Config that negotiates
// that protocol). HTTP-01 (RFC 8555 §8.3) is answered by HTTPHandler
// under /.well-known/acme-challenge/. Options.HTTP01 and
// Options.TLSALPN01 choose which are offered to the CA. "acme-tls/1" is
// negotiated only for a validation hello (ChallengeConfig), never listed
// in the shared config's NextProtos: Go's server refuses a client whose
// ALPN list does not overlap NextProtos, so a browser offering h2 or a
// mail client offering "imap" would be cut off.
//
// # Storage
//
// Options.Dir (DATA_DIR/acme) holds certmagic's file storage: the
// account key, each name's certificate, key and metadata under
// certificates/<CA host-path>/<name>/ (directories 0700, files 0600,
// written atomically), and status.json, which this package writes after
// every attempt so `mailserver cert status` can show the last renewal
// and its error with the server stopped.
//
// # Renewal
//
// One certificate per name (a failing name does not hold up the others).
// A certificate is renewed once two thirds of its lifetime have passed
// (a third before expiry). A failed order is retried with exponential
// backoff (Options.RetryInitial doubling up to Options.RetryMax); the
// name keeps its previous certificate meanwhile, or the fallback
// certificate (self-signed) if it never had one. Names are re-read from
// Options.Names every Options.CheckInterval, so a domain added to the
// running server is picked up.
package acme
