// Package managesieved is the ManageSieve server (RFC 5804): users upload,
// check, list, fetch, activate, rename and delete their Sieve scripts
// (RFC 5228), which the queue runs at local delivery. Scripts live in the
// store (store/sieve.go); this package checks them with the Checker it is
// given (cmd passes sieve.Parse) and never stores one the checker refuses.
//
// # Sessions
//
// The server greets with its capabilities (IMPLEMENTATION, SASL, SIEVE,
// STARTTLS, MAXREDIRECTS, UNAUTHENTICATE, VERSION "1.0"; OWNER after
// login). AUTHENTICATE takes SASL PLAIN and LOGIN, with an initial
// response or challenges, only over TLS (STARTTLS, after which the
// capabilities are sent again, or implicit TLS) or from loopback when
// Options.AllowPlaintextOnLoopback is set; before TLS the SASL list is
// empty and AUTHENTICATE gets NO (ENCRYPT-NEEDED). Logins go through
// Store.Authenticate with protocol "managesieve", so the store's throttle
// of failed logins per client network covers this port as every other;
// a PLAIN authorization identity must be empty or the user's own.
//
// # Commands and responses
//
// LISTSCRIPTS, PUTSCRIPT, CHECKSCRIPT, GETSCRIPT, SETACTIVE (the empty
// name deactivates), DELETESCRIPT (NO (ACTIVE) for the active script),
// RENAMESCRIPT, HAVESPACE, NOOP (with its TAG), UNAUTHENTICATE, LOGOUT.
// Errors carry the RFC 5804 §1.3 response codes (NONEXISTENT,
// ALREADYEXISTS, ACTIVE, QUOTA/MAXSCRIPTS, QUOTA/MAXSIZE, ENCRYPT-NEEDED,
// TRYLATER); a script the checker refuses gets NO with the checker's text,
// "line L, column C: message" for a syntax error. replyFor (response.go) is
// the one place that turns errors into responses; internal error text
// never reaches the wire.
//
// # Limits
//
// A command line (outside its literals) is bounded by MaxLineLength, a
// literal by MaxScriptSize after login and by a few KiB before (a SASL
// response). A script literal over MaxScriptSize is read and dropped and
// answered NO (QUOTA/MAXSIZE); one over 16 MiB ends the session, as a line
// that is too long does. A session waits IdleTimeout for a command, and
// from its first octet a command must arrive and be answered within
// CommandTimeout. MaxScripts bounds each user's scripts, MaxConnections
// the sessions; a few failed logins or ten malformed commands end a
// connection.
//
// The parser (parse.go) reads octet by octet from the buffered connection
// and never backs up: linear in its input, fuzzed by FuzzParser.
package managesieved
