// Package dnscache is the caching DNS resolver the queue (MX, A/AAAA) and
// smtpd (SPF, DKIM, DMARC) share.
//
// It is a stub resolver with a cache: every query goes to the configured
// recursive server (Options.Server, or the nameservers of
// /etc/resolv.conf), and each answer is kept for as long as its records
// say:
//
//   - RFC 1035 §3.2.1, §7.4: a positive answer is kept for the smallest
//     TTL among the records used (a CNAME chain's records included),
//     bounded by Options.MinTTL and Options.MaxTTL. A TTL of zero is not
//     cached (unless MinTTL raises it).
//   - RFC 2308 §5: NXDOMAIN and NODATA are kept for the smaller of the
//     authority SOA's TTL and its MINIMUM field, bounded by MinTTL and
//     NegativeMaxTTL. A negative answer without an SOA has no TTL (RFC 2308
//     §5: SHOULD NOT be cached) and is kept for MinTTL only.
//   - RFC 2308 §7.1: a server failure (SERVFAIL, REFUSED, ...) is kept for
//     FailureTTL (a few seconds, never more than five minutes); a timeout
//     or network error is never cached.
//
// Concurrent lookups of one name and type share one upstream query; each
// caller still waits only as long as its own context allows. The cache is
// bounded by MaxEntries and MaxBytes and evicts the least recently used
// entry. A UDP answer with the TC bit is asked again over TCP (RFC 7766
// §5, RFC 1035 §4.2.2).
//
// Queries ask for the AD bit (RFC 6840 §5.7); LookupSecure reports it,
// for DANE's TLSA and MX lookups (RFC 7672). The resolver validates
// nothing itself: the bit means something only from a validating server
// the host trusts.
//
// Errors look like net.Resolver's, so callers written for it work
// unchanged: a *net.DNSError with IsNotFound for NXDOMAIN and NODATA, and
// IsTemporary for server failures and timeouts (IsTimeout too for the
// latter). Every name is taken as absolute: no search list is applied,
// and /etc/hosts is not read (mail routing uses the DNS only, like
// Postfix's smtp_host_lookup = dns).
package dnscache
