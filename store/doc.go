// Package store keeps everything the mail server knows on disk: domains,
// users, aliases, mailboxes, messages and their bodies, and the outbound
// queue. It is the only package that imports bbolt.
//
// # Layout
//
// One bbolt file (DATA_DIR/mail.db) with these top-level buckets:
//
//	meta       "version" → u32 (schema 2; Open migrates 1); "uidvalidity" → last UIDVALIDITY issued (u32);
//	           "ping" → unix nanos of the last health check's write (u64, Ping in metrics.go)
//	domains    name → created (unix seconds, u64)
//	users      address → userRecord (JSON); bucket sequence = last user ID
//	aliases    address or "@domain" (catch-all) → []string targets (JSON)
//	accounts   u64 user ID → bucket:
//	             usage          → bytes u64 ‖ messages u64
//	             mboxnames      name → u64 mailbox ID
//	             mboxes         u64 mailbox ID → mailboxRecord (JSON; with the
//	                            mailbox's keyword set, keywords.go, and its
//	                            first UID not yet claimed as \Recent, recent.go)
//	             m‖u64 ID       u32 UID → messageRecord (binary, see codec.go)
//	             subs           name → nil (subscriptions; may name absent mailboxes)
//	             imported       u64 mailbox ID ‖ 16 bytes of SHA-256 of the body →
//	                            u32 UID (import dedup keys, import.go)
//	             importstate    source → ImportState (JSON; migration resume points)
//	             vacation       u16 len ‖ handle ‖ sender → u64 expiry (unix nanos;
//	                            Sieve vacation memory, vacation.go)
//	             sieve          bucket (sieve.go), made by the first write:
//	                              scripts  name (RFC 5804 §1.6, NFC) → u64 unix
//	                                       nanos of the last change ‖ the script
//	                              active   → the active script's name (absent: none)
//	                            its sequence is the script version, advanced
//	                            by every write (ActiveSieveScript)
//	bodies     u64 body ID → bodyRecord (refcount, size, chunk count)
//	chunks     u64 body ID ‖ u32 chunk number → at most ChunkSize bytes
//	bodycache  u64 body ID → opaque bytes (protocol caches, e.g. IMAP BODYSTRUCTURE)
//	bodygc     u64 body ID → nil (bodies with no reference left, to delete)
//	queue      u64 queue ID → QueuedMessage (JSON)
//	queuedue   u64 unix nanos ‖ u64 queue ID → nil (index: First() is the next due)
//	dkim       domain → bucket: selector ("YYYYMMDDx-ed", "YYYYMMDDx-rsa") →
//	             {"alg": "ed25519"|"rsa", "pkcs8": private key (PKCS #8 DER),
//	             "created", "sign_from"} (JSON; see dkim.go). The private keys
//	             are read only to sign (DKIMKey.Signer), never printed.
//
// All integers are big-endian so that cursors walk them in numeric order.
//
// # Bodies
//
// Bodies live inside bbolt, cut into chunks of ChunkSize bytes. One group
// commit then makes body and metadata durable together (two fdatasyncs for
// the whole batch, no orphan files to collect), and a body is never one huge
// contiguous value: the freelist reuses chunk-sized runs of pages. A body
// delivered to several local recipients, or copied between mailboxes, is
// stored once and reference counted.
// Readers fetch one chunk per short read transaction (BodyReader), so a slow
// client never pins a transaction, and a writer that needs to grow the
// memory map never waits for a network write.
//
// A body outlives its last reader: the transaction that drops its last
// reference sets the count to 0 and lists it in bodygc; it is deleted by a
// later transaction of the collector only when no open BodyReader pins it
// and no hold (HoldBodies) taken before it was freed is open (bodykeeper.go).
// So a download that has started (POP3 RETR, IMAP FETCH) gets every byte
// although another session expunges the message meanwhile, and a command
// that reads records and bodies in separate transactions can hold the
// bodies it finds. Pins and holds live in memory: Open deletes whatever
// bodygc lists (a crash or Close left it), before anyone can read.
//
// # Durability and group commit
//
// Every mutation goes through one committer goroutine (commit.go). It takes
// every operation waiting, runs them in one read-write transaction and
// commits once: concurrent writers share the fsyncs, a lone writer is
// committed at once without an artificial delay (unlike bbolt's DB.Batch).
// A mutating method returns only after its transaction is durable.
// Operation functions may run more than once (when another operation in the
// same batch fails the batch is retried without it), so they are pure
// functions of the transaction; side effects happen after the commit.
//
// # Change notifications
//
// After a commit, and before the callers of that batch are released, the
// committer hands each operation's events (new messages, flag changes,
// expunges, mailbox changes) to the subscribers of the user, in commit
// order. A caller therefore sees its own events delivered when its method
// returns, and every subscriber sees every user's events in the order they
// became durable (what IMAP's sequence number bookkeeping needs).
//
// # Logins
//
// Authenticate is the one place SMTP AUTH, POP3 and IMAP check passwords.
// Failed logins are throttled per client network (package authlimit, in
// the manner of Dovecot's auth penalty): each distinct failure (the same
// user and wrong password count once) delays every later attempt from the
// network, the right password included, by 0, 2, 4, 8, then 15 s counted
// from the last failure; a success clears that penalty. A sustained
// guessing run (by default 100 distinct failures per hour per network) is
// refused outright with ErrThrottled until its score drains. The delay is
// slept holding no lock and no hash slot, and ends with ctx.
// Password hashes (argon2id, 19 MiB each) are computed in at most
// Options.PasswordHashSlots (default runtime.NumCPU()) at a time; an
// attempt that finds no slot within PasswordHashWait gets
// ErrAuthUnavailable. A login answered by the auth cache needs no slot.
//
// # Failed logins: the log line
//
// Every failed login is logged by the store, in one line at level WARN
// through the configured slog handler (text by default), and by nobody
// else:
//
//		time=2026-12-01T10:00:00.000Z level=WARN msg="authentication failed" protocol=imap remote=203.0.113.5 user=alice@example.test reason=password
//
//	  - protocol: smtp, submission, pop3 or imap.
//	  - remote: the client's IP address (IPv4-mapped IPv6 as IPv4); empty
//	    for logins without a network peer (the admin CLI).
//	  - user: the login name as the client sent it (at most 256 bytes),
//	    quoted by slog when it contains spaces, '=' or '"'. It comes after
//	    remote, so that a pattern anchored on remote= never reads a client's
//	    choice.
//	  - reason: password (a wrong password for an existing user),
//	    unknown-user (no such user; the client gets the same answer),
//	    throttled (refused unchecked during a guessing run), or
//	    unavailable (no password-hash slot came free: the server's
//	    problem, not the client's; fail2ban filters should not count it).
//
// A fail2ban filter matches it with
//
//	failregex = level=WARN msg="authentication failed" protocol=\S+ remote=<HOST> user=.* reason=(?:password|unknown-user|throttled)$
//
// # Invariants
//
//   - UIDs are strictly ascending per mailbox and never reused; a deleted
//     and re-created mailbox gets a new UIDVALIDITY.
//   - No transaction is held across network I/O: bodies are read into memory
//     (ReadBody) before their operation is queued, and read back in chunks.
//   - A body with references is never deleted; one without is deleted only
//     when no reader can reach it, and at the latest at the next Open.
//   - Mailbox names are keys, never file paths.
package store
