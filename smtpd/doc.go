// Package smtpd is the SMTP server: the MX role on port 25 and message
// submission on ports 587 (STARTTLS) and 465 (implicit TLS), built on
// github.com/emersion/go-smtp.
//
// It decides, per connection and per recipient, what is allowed, and hands
// accepted messages to the queue (queue.Submit), which stores local copies
// and the outbound entry in one durable transaction. A message gets 250
// only after Submit has returned, that is after the fsync'd group commit.
// smtpd knows nothing about bbolt.
//
// # Roles
//
//   - ModeMX (port 25): anyone may send to the local domains. STARTTLS is
//     offered; AUTH is not offered here (clients use the submission
//     ports). Relaying to other domains is allowed only from
//     Options.TrustedNetworks.
//   - ModeSubmission (587, RFC 6409) and ModeSubmissions (465, RFC 8314):
//     AUTH PLAIN or LOGIN is required before MAIL. AUTH is offered and
//     accepted only over TLS, or in clear text from a loopback address when
//     Options.AllowPlaintextOnLoopback is set. The envelope sender and the
//     From: header must be addresses the user may send as
//     (store.MaySendAs); a submitted message has exactly one From:, at
//     most one Sender: (required when From: has several mailboxes), and
//     every address in both must pass MaySendAs (RFC 5322 §3.6).
//     Message-ID and Date are added when missing (RFC 6409 §8).
//
// # Recipient policy (RFC 5321 §3.6, no open relay)
//
// go-smtp hands Rcpt the address with quotes removed and any source route
// (@a,@b:) stripped, as RFC 5321 Appendix C allows. Every recipient then goes
// through store.Resolve, whose canonical form accepts only dot-atom local
// parts without '%', '!' or quotes and LDH (or UTF-8) domains without IP
// literals; anything else gets 501 5.1.3. An address in a local domain must
// resolve (an account, an alias, user+tag or a catch-all), else 550 5.1.1.
// An address elsewhere needs AUTH or a trusted network, else 554 5.7.1.
// Quotas are checked with the SIZE hint: 452 4.2.2, or 552 5.2.2 when the
// message alone exceeds the quota.
//
// # Inbound authentication (port 25)
//
// With Options.Resolver set, every message on port 25 that is neither
// from Options.TrustedNetworks nor authenticated is checked after DATA,
// before Submit (no store transaction is open, no lock is held; sessions
// verify concurrently), in verify.go and verify_dmarc.go:
//   - SPF (RFC 7208, blitiri.com.ar/go/spf) of the client's address for
//     the MAIL FROM domain, or the HELO name for the null sender (§2.4);
//     spf enforces the lookup limits of §4.6.4;
//   - DKIM (RFC 6376, RFC 8463; go-msgauth) of every signature, at most
//     maxDKIMSignatures;
//   - DMARC (RFC 7489) for each From: domain: the policy at _dmarc.<From
//     domain>, else at the organizational domain's (publicsuffix; sp=
//     then applies), which go-msgauth does not do; identifier alignment,
//     relaxed or strict, likewise ours; pct= sampling (§6.6.4). A
//     temporary DNS failure that could have changed the outcome makes it
//     temperror, never fail (§6.6.2).
//
// The outcome goes into one Authentication-Results field (RFC 8601,
// authres.go) with authserv-id = Options.Hostname, on top; fields with
// our authserv-id that came with the message are removed (§5). Options.
// Inbound decides (inbound.go): DMARC p=reject failing gets 550 5.7.1
// and nothing is stored, p=quarantine failing goes to each recipient's
// \Junk mailbox (queue.Envelope.Junk), SPF fail without an aligned DKIM
// pass is marked or refused (550 5.7.23), a temporary failure is marked
// or deferred (451 4.7.24 for SPF, 451 4.7.1 otherwise). Nothing is
// refused at RCPT that only the message could decide.
//
// # Bare CR and LF, SMTP smuggling
//
// go-smtp ends DATA only at <CRLF>.<CRLF>. The content it hands over still
// carries whatever bare CR and LF the client sent, with one leading dot
// removed from each line that began after a CRLF. smtpd then:
//   - rejects the message (550 5.6.0) if it contains a bare CR, or a line
//     "." that starts or ends with a bare LF: what "<LF>.<LF>",
//     "<LF>.<CRLF>", "<CR>.<CR>", "<CRLF>..<LF>" and their kin leave
//     behind, i.e. someone spelling an end-of-data another way;
//   - otherwise turns bare LF into CRLF (store.ReadBody), as Postfix's
//     smtpd_forbid_bare_newline=normal does, so sloppy but harmless
//     senders are still served.
//
// go-smtp removes the dot of "<CRLF>.<LF>" (leaving an empty line) and the
// dot and CR of "<CRLF>.<CR>" followed by anything but LF before smtpd
// sees them; such input ends up inside one message, never as two.
//
// # Timeouts and limits
//
// The caller's accept loop hands each connection to ServeConn; its socket
// is wrapped below TLS (implicit TLS on 465 and STARTTLS both go on top).
// A whole command line must arrive within Options.ReadTimeout from when
// the server starts waiting for it (RFC 5321 §4.5.3.2.7: 5 minutes per
// command), however slowly it trickles in; a DATA or BDAT transfer within
// Options.DataTimeout, each piece of it within ReadTimeout; an implicit-TLS
// handshake within ReadTimeout, at most 30 s. A connection holds its slot
// from ServeConn to its close; beyond the total or per-IP limit it gets
// "421 4.7.0" and is closed. Message
// size is enforced while reading (552 5.3.4) and nothing is stored.
//
// # Where go-smtp (v0.25.1) is worked around
//
// go-smtp has no hook for commands and does TLS itself, so smtpd puts a
// command filter (cmdfilter.go, cmdrewrite.go) into go-smtp's own reader
// chain, above TLS, at every new session (conninternals.go). It follows
// the protocol (a command line at a time, BDAT chunks by their size, DATA
// up to go-smtp's own end-of-data) and rewrites the lines go-smtp answers
// wrongly into lines it answers right:
//   - RCPT TO:<Postmaster> without a domain (RFC 5321 §4.5.1; go-smtp: 501)
//     reaches the store as Resolve("postmaster");
//   - STARTTLS with an argument gets 501 (RFC 3207 §4; go-smtp: 220) —
//     once the first EHLO has been seen, since the filter goes in there;
//   - a SASL response that is not base64 gets 501 5.5.2 (RFC 4954 §4;
//     go-smtp: 454 4.7.0);
//   - a repeated MAIL or RCPT parameter (NOTIFY, ORCPT, RET, ENVID, ...),
//     an ENVID over 100 or an ORCPT over 500 characters get 501 5.5.4
//     (RFC 3461 §4; go-smtp kept the last of each);
//   - a BDAT chunk that the connection ends in the middle of fails the
//     message (RFC 3030 §2; go-smtp stored it and answered 250).
//
// The session itself answers a nested MAIL with 503 5.5.1 (RFC 5321
// §4.1.4), refuses an empty BDAT message, and applies DATA's line limit
// and bare CR/LF rules to BDAT content (go-smtp sets its line limit to 0
// for BDAT).
//
// Both places where smtpd reaches into go-smtp's unexported fields, this
// filter and the DATA fast path below, sit behind one behavioural guard
// (gosmtpguard.go), run once at the first NewServer: the go-smtp linked in
// must be the verified version (module version and go.sum hash, read with
// runtime/debug.ReadBuildInfo), the fields must have the expected names
// and types, and a real go-smtp server on an in-memory connection must
// behave as expected: the filter's transcripts give the right replies,
// and dotReader agrees with go-smtp's own reader on a corpus of smuggling
// variants, size and line limit cases. Otherwise the hook is off and
// go-smtp's behaviour applies as it is, except that BDAT is refused with
// 451 (a cut chunk could not be told from a whole one). The start-up log
// says why (listener=... "go-smtp workaround off").
//
// # Performance
//
// go-smtp undoes DATA's dot-stuffing and counts line lengths one octet at
// a time; with 64 KiB messages that was two thirds of the server's CPU.
// dotreader.go reads the same buffered connection with the same state
// machine (behind the guard above, and compared with go-smtp's reader by
// FuzzDotReader) but copies whole runs of a line at once, and applies the
// line length limit line by line. contentScanner likewise skips to the
// next CR or LF. BenchmarkAccept and BenchmarkSMTPSource (Postfix's
// smtp-source, the load of the shared bench's smtp-accept) measure
// acceptance with and without the fast path.
//
// # Errors
//
// All replies come from errors.go: policy refusals are *smtp.SMTPError
// values, and any other error is logged and answered with a generic
// "451 4.3.0", so internal error text never reaches the wire. A client
// that goes away (EOF, reset, a broken TLS stream) is logged at info, as
// are go-smtp's own "error handling" lines about such connections.
package smtpd
