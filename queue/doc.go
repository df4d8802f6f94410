// Package queue owns responsibility for accepted mail.
//
// # Accepting
//
// Submit routes every recipient of an accepted message (aliases, catch-alls,
// user+tag subaddresses, local or remote) and stores, in one durable store
// transaction, the local copies in their users' INBOX and the outbound
// queue entry for the remote recipients. SMTP answers 250 only after Submit
// returns. Local recipients that fail at commit time (a quota filled since
// RCPT) are bounced to the sender right after.
//
// A message that gets an outbound entry and whose From is in a local
// domain is DKIM-signed there, once (dkim.go): an Ed25519 and an RSA
// signature are prepended to the stored outbound body, so every attempt
// and every recipient sends the same bytes; local copies stay unsigned.
// DSNs are queued through the same path and signed the same way.
//
// A message that reaches an alias forwarding to a remote address, from a
// non-null sender outside the local domains, is queued with an SRS
// sender of the alias's domain (srs.go, package queue/srs), so the
// receiver's SPF check sees this server's domain; store.Resolve decodes
// the bounces that come back to it.
//
// # Filtering (Sieve)
//
// With Options.Sieve set, each local user a message reaches has their
// active Sieve script (RFC 5228) run inside that routing (filter.go),
// compiled once per script version. Its actions become parts of the same
// Submission: copies in mailboxes (keep, fileinto with :flags, :copy,
// :create; a missing target gets the copy in INBOX), remote recipients of
// the outbound entry (redirect, with the SRS sender of alias forwarding;
// a local target gets an unfiltered copy in INBOX), and further messages
// stored in the same transaction (store.Submission.Also): the DSN of a
// reject, and vacation replies with their memory record, which the store
// checks and writes inside the transaction (vacation.go: RFC 5230 §4.5,
// RFC 3834 §2). A crash therefore never keeps a message without what its
// script made of it, nor the reverse. A reject of every recipient on port
// 25 (Envelope.RejectAtData) stores nothing and returns a RejectedError,
// which smtpd answers 550 5.7.1. A script that fails keeps the message in
// INBOX and logs the user and script. DSNs and vacation replies are not
// filtered.
//
// # Delivering
//
// Run is the scheduler: one goroutine that sleeps until the earliest next
// attempt in the store's due index (or until Submit hands it new mail in
// memory), and starts delivery jobs within Options.Concurrency and
// Options.PerDomainConcurrency. A job is one queued message's due recipients
// for one destination domain (or for the relay), sent in one SMTP
// transaction (split only when the server answers 452).
//
// Each job (attempt.go):
//  1. claims its recipients in a short store transaction: attempt count
//     up, next attempt moved to the retry time (retry.go). A crash during
//     the delivery therefore neither loses the message nor retries it in a
//     storm: it comes back after the backoff.
//  2. delivers outside any transaction: MX lookup (mx.go), connection with
//     opportunistic or required STARTTLS, or implicit TLS and AUTH to a
//     relay (client.go), MAIL/RCPT/DATA (send.go). Sessions that end a
//     transaction cleanly are kept a few seconds for the next message to
//     the same destination (pool.go).
//  3. records every recipient's outcome (delivered, deferred with its
//     next attempt, failed) and, in the same transaction, stores the DSN
//     it calls for (dsn.go): failed, delayed (once, after
//     Options.DelayWarning) or relayed (NOTIFY=SUCCESS to a server without
//     DSN), never for the null sender. An entry leaves the queue when no
//     recipient is pending.
//
// # Stopping
//
// When Run's context ends, no new job starts and no new session is opened;
// the transactions under way go on for up to Options.ShutdownTimeout and
// are recorded as usual. A job still running then has its connection cut,
// and its recipients that got no reply are recorded as not attempted: the
// claim of step 1 is undone (attempt count and last attempt as before) and
// their next attempt is now, so the next start sends them at once rather
// than after the backoff. Idle pooled sessions end with QUIT.
//
// # Guarantees
//
//   - A message is acknowledged (Submit returns) only once committed; it
//     then leaves the queue only when every recipient is delivered or
//     failed, and a failure and its DSN are stored together.
//   - Local copies are stored at Submit, once; delivery never touches them,
//     so no crash or retry can duplicate them.
//   - A remote recipient may receive a message twice only if the process
//     dies between the remote's 250 and the recording of it, or the
//     shutdown timeout cuts a session after the final dot and before the
//     reply (at most one message per connection in flight; RFC 1047).
//   - Unknown means temporary: only a 5xx reply, a DNS answer that the
//     domain does not exist or accepts no mail (null MX), a mail loop, a
//     message the remote cannot take (SMTPUTF8, 8BITMIME, SIZE) or the end
//     of the lifetime fails a recipient.
package queue
