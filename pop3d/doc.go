// Package pop3d is the POP3 server (RFC 1939) with CAPA and response codes
// (RFC 2449, RFC 3206), STLS (RFC 2595) and SASL PLAIN (RFC 5034, RFC 4616),
// written over the mail store.
//
// # Sessions
//
// A session starts in the AUTHORIZATION state. USER/PASS and AUTH PLAIN are
// accepted only over TLS (STLS on the pop3 port, implicit TLS on pop3s), or
// from a loopback address when Options.AllowPlaintextOnLoopback is set.
// Logins go through Store.Authenticate, which throttles failed logins per
// client network for every protocol; unknown users and wrong passwords get
// the same reply.
//
// A successful login takes the user's maildrop lock (lock.go: in memory,
// one process owns the database) and snapshots INBOX (maildrop.go): message
// numbers, sizes and UIDs are fixed for the session, and mail delivered
// meanwhile appears in the next session. A second session for the same user
// gets -ERR [IN-USE]. The lock is released when the session ends, however it
// ends.
//
// DELE only marks. QUIT in the TRANSACTION state enters UPDATE and removes
// the marked messages with one Store.Expunge (atomic; IMAP sessions see an
// expunge event). A dropped connection, a timeout or a shutdown deletes
// nothing (RFC 1939 §6).
//
// # Sizes and UIDs
//
// Bodies are stored with CRLF line endings, so a message is sent as stored,
// plus a CRLF when the stored body does not end with one (a multi-line
// response must end with CRLF "." CRLF). The size in STAT, LIST and the RETR
// reply is exactly the number of octets RETR sends before the terminating
// ".", not counting the dots added by byte-stuffing: the stored size, plus 2
// for a body without a final CRLF. (RFC 1939 §11 lets the size differ from
// what is sent; most clients, and Python's poplib-based checks, compare the
// two, so they are made equal.) UIDL is "UIDVALIDITY.UID" of the INBOX
// message: unique, stable across sessions and restarts.
//
// # Streaming
//
// RETR and TOP read the body one store chunk at a time (Store.OpenBody does
// one short read transaction per chunk) and write it through a buffered
// writer with dot-stuffing: no transaction is held while writing to the
// network, and a large message is never copied whole into memory.
//
// # Limits
//
// Command lines are limited (Options.MaxLineLength), a session is logged out
// after Options.IdleTimeout without a command (RFC 1939 §3: at least 10
// minutes by default), a write that makes no progress for
// Options.WriteTimeout ends the session, a connection gets a few failed
// logins before it is closed, and Options.MaxConnections bounds the
// sessions.
package pop3d
