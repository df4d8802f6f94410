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
//     (store.MaySendAs). Message-ID and Date are added when missing
//     (RFC 6409 §8).
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
// # Performance
//
// go-smtp undoes DATA's dot-stuffing and counts line lengths one octet at
// a time; with 64 KiB messages that was two thirds of the server's CPU.
// dotreader.go reads the same buffered connection with the same state
// machine (checked against go-smtp's own reader at first use and by
// FuzzDotReader) but copies whole runs of a line at once, and applies the
// line length limit line by line. contentScanner likewise skips to the
// next CR or LF. BenchmarkSMTPSource measures acceptance under Postfix's
// smtp-source, the load of the shared bench's smtp-accept.
//
// # Errors
//
// All replies come from errors.go: policy refusals are *smtp.SMTPError
// values, and any other error is logged and answered with a generic
// "451 4.3.0", so internal error text never reaches the wire.
package smtpd
