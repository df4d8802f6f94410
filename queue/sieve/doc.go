// Package sieve implements the Sieve mail filtering language (RFC 5228)
// with the extensions mail clients use, as a pure library: Parse checks a
// script completely, Script.Run evaluates it against an Input and returns
// the actions; the package does no I/O of its own.
//
// # Layout
//
//	lexer.go     tokens (RFC 5228 §8.1): identifiers, tags, numbers with K/M/G,
//	             quoted and text: strings, both comment forms
//	parser.go    generic syntax tree (RFC 5228 §8.2)
//	check.go     the checked tree: require (§3.2), if/elsif/else (§3.1),
//	             argument kinds and counts, tags and their extensions (§2.6),
//	             comparators and match types (§2.7); every static error is an
//	             *Error with line and column
//	check_tests.go, check_commands.go  the checks of each test and command
//	ast.go       the checked tree's node types
//	eval.go      the evaluator: actions and their cancellation and
//	             deduplication rules (§2.10), tests (§5), limits
//	match.go     comparators i;octet, i;ascii-casemap, i;ascii-numeric
//	             (RFC 4790 §9), :is/:contains/:matches (linear globbing),
//	             :count/:value (RFC 5231)
//	regex.go     :regex (draft-ietf-sieve-regex) on Go's linear-time RE2
//	address.go   address lists with groups, comments, quoted strings (RFC 5322
//	             §3.4); :localpart/:domain/:all, :user/:detail (RFC 5233)
//	header.go    lazy message header access, unfolding, RFC 2047 decoding
//	variables.go set, ${...} expansion, match variables (RFC 5229)
//	encoded.go   ${hex:...} / ${unicode:...} (RFC 5228 §2.4.2.4)
//	flags.go     imap4flags (RFC 5232)
//	body.go      body :raw/:content/:text (RFC 5173): its own linear MIME
//	             walker (RFC 2045/2046), charsets via go-message/charset
//	date.go      date/currentdate (RFC 5260)
//	vacation.go  vacation (RFC 5230, RFC 6131 :seconds), IsAutoReplyExempt
//	limits.go    Limits and the Default* constants (the one source of defaults)
//	result.go    Result and the Action types
//	lines.go     Result.Lines, the canonical one-line-per-action form
//
// # Implemented capabilities
//
// fileinto, copy (RFC 3894), mailbox (RFC 5490 :create), reject and ereject
// (RFC 5429), vacation (RFC 5230), vacation-seconds (RFC 6131), imap4flags
// (RFC 5232), variables (RFC 5229), envelope, encoded-character, subaddress
// (RFC 5233, separator "+"), body (RFC 5173), relational (RFC 5231),
// comparator-i;ascii-numeric, date (RFC 5260), regex (draft), and the
// comparators i;octet and i;ascii-casemap that need no require.
//
// # Semantics worth knowing
//
// Where the RFCs leave room, the package does what Dovecot Pigeonhole does,
// checked by the differential corpus in testdata/diff (TestDifferential;
// the pairs where the RFC makes us differ are listed with their section in
// testdata/diff/DIFFERENCES.md). In particular: "?" in :matches is one
// octet (the RFC 4790 comparators work on octets); match variables are
// ${0}..${31}; set's case modifiers map ASCII letters only; address lists
// are read as Dovecot's parser reads them (entries that are not
// local@domain are skipped, trailing garbage or a bad domain ends the
// list, and a field with no valid address at all offers its whole value to
// :all only); :count on address/envelope counts addresses; the address
// test only names address fields (RFC 5228 §5.1); invalid IMAP flags are
// ignored; a malformed RFC 2047 word stays literal, an unknown charset's
// octets pass through; the body test sets no match variables; vacation's
// period is reported as written (:days 0 and :seconds 0 included), site
// minimums being the deliverer's policy. Where Pigeonhole differs from an
// RFC, the RFC wins: i;ascii-casemap orders by upper-casing (RFC 4790
// §9.2.1), unfolding removes only CRLF (RFC 5322 §2.2.3), a fileinto or
// redirect without :copy cancels the implicit keep even when it duplicates
// an earlier action (RFC 5228 §2.10.2), require "comparator-i;octet" and
// "comparator-i;ascii-casemap" are accepted (RFC 5228 §2.7.3 names them
// as always available).
//
// # Not implemented
//
// Extensions beyond the list above (include, editheader, enotify,
// environment, duplicate, ihave, mime/foreverypart, spamtest, index,
// i;unicode-casemap, ...) are refused by require. Envelope parts other
// than "from" and "to" (e.g. "auth") are refused. Variable namespaces
// ("${ns.name}") are an error, as no namespace extension is offered.
// :regex refuses backreferences (\1..\9): RE2 cannot run them in linear
// time, and they are the source of exponential regex cost.
//
// # Costs and limits
//
// Parsing and evaluation are linear in the script and the message: the
// grammar has no loops, :matches is matched without backtracking
// (leftmost-shortest per star-free segment), :regex runs on RE2 with
// backreferences refused, patterns bounded by Limits.MaxRegexBytes and a
// per-run budget of pattern × input bytes. Headers are split only when a
// test needs them and values decoded only when read; the body is parsed as
// MIME only for body tests. Limits bound the script size, nesting, the
// actions and redirects of one run (RFC 5228 §10), and the variables.
//
// # Decisions left to the caller
//
// Vacation's sending rules that need delivery context (null sender, own
// addresses, the :days memory) are the deliverer's: Run returns a Vacation
// action whenever the script calls vacation. IsAutoReplyExempt checks the
// header-only rules of RFC 5230 §4.5 / RFC 3834 §2.
package sieve
