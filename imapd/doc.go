// Package imapd serves IMAP4rev1 and IMAP4rev2 (RFC 3501, RFC 9051) over the
// mail store, as an implementation of go-imap v2's imapserver.Session.
//
// # Structure
//
//   - server.go: Server (ServeConn, Shutdown, Close), connection limits,
//     the implicit-TLS handshake, and the split between connections that
//     may log in without TLS, the others, and implicit TLS.
//   - conn.go, quickack_*.go: the wrapper under every TCP connection
//     (below STARTTLS and below the implicit TLS of 993), and above TLS
//     on 993: a command's whole response leaves in one write (and in few
//     TLS records), and received data is acknowledged at once (TCP_QUICKACK
//     on Linux) so that clients using Nagle's algorithm do not stall 40 ms
//     on each APPEND.
//   - guard.go: the input guard under go-imap's connection, which refuses
//     oversized literals at once and ends a command whose quoted string
//     holds a line end (go-imap's decoder gets both wrong); searchfix.go,
//     which it applies to SEARCH so that SMALLER survives go-imap's parser.
//   - starttls.go: STARTTLS taken over from go-imap, so that after it the
//     connection has the same wrappers as on 993 (guard and write batch
//     above TLS); the plaintext library connection ends, a new one serves
//     the TLS connection without a greeting.
//   - clienterr.go: which errors are the client's doing (a disconnect),
//     logged at info.
//   - registry.go, view.go, uidruns.go: live updates. One store.Watch subscription per
//     logged-in user feeds the views of every session that has one of the
//     user's mailboxes selected. A view is the client's picture of its
//     mailbox: the UIDs it knows, in sequence order, plus the changes it has
//     not been told about yet. Changes are applied to the picture only when
//     they are written to the client, so sequence numbers in commands always
//     mean what the client thinks they mean, and EXPUNGE is never sent
//     during FETCH, STORE or SEARCH (RFC 9051 §7.5.1). Nothing here makes
//     the store's committer wait: no lock its callback needs is held
//     across a store read, and a session more than maxBacklog changes
//     behind is closed with BYE.
//   - session.go: login, errors (the one place that turns store errors into
//     IMAP replies), numbers and sets.
//   - mailboxes.go, list.go: CREATE, DELETE, RENAME, (UN)SUBSCRIBE, LIST,
//     LSUB, STATUS, NAMESPACE.
//   - mime.go: the MIME tree of a message, one pass per level, bounded at
//     100 levels and 10,000 parts as Dovecot bounds it.
//   - fetch.go, structure.go, parse.go: FETCH, with ENVELOPE and
//     BODYSTRUCTURE parsed once per body (raw header values, as Dovecot
//     sends them) and kept in the store's body cache; headercache.go keeps
//     recently read header sections and decoded ENVELOPE/BODYSTRUCTURE in
//     memory; headerscan.go reads single fields and HEADER.FIELDS from a
//     raw header section without parsing all of it.
//   - messages.go: SELECT, STORE, COPY, MOVE, EXPUNGE, APPEND. SELECT
//     lists the mailbox's keywords (the store keeps the set); the view
//     announces a grown set with an untagged FLAGS (ahead of the EXISTS or
//     FETCH it writes for the change that grew it).
//   - recent.go: \Recent for IMAP4rev1 sessions (none after ENABLE
//     IMAP4rev2): which UIDs are recent in this session, claimed from the
//     store at SELECT and as arrivals are announced.
//   - search.go: SEARCH.
//
// FETCH and SEARCH take a store hold (HoldBodies) per batch before they
// read its records, so every message whose record they find can be read
// to the end however other sessions expunge; a message whose record was
// already gone gets no FETCH response, and a FETCH by sequence number then
// ends in NO [EXPUNGEISSUED] (RFC 2180 §4.1.2).
//
// # Performance
//
// Whole-mailbox commands walk the client's picture in batches of
// fetchBatch messages, each read from the store with one cursor scan, so
// a command over a 100,000-message mailbox never holds a copy of it.
// bench_test.go measures FETCH, SEARCH, STORE, APPEND, SELECT of 100,000
// messages and the memory of idle connections; profile_test.go serves the
// shared bench scripts with pprof (IMAPD_PROFILE_ADDR) for profiles under
// their load.
//
// # What the library does not offer
//
// go-imap v2.0.0-beta.8 parses no CONDSTORE, QRESYNC, ID, QUOTA, SORT,
// THREAD, COMPRESS or METADATA command, so none is advertised (the store
// keeps modseqs, so CONDSTORE can follow). Its timeouts are fixed: 30 s per
// command before login, 35 min idle after (autologout, RFC 9051 §5.4),
// 5 min per APPEND literal; commands are at most 50 KiB and literals other
// than APPEND's at most 4 KiB.
package imapd
