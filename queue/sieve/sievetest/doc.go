// Package sievetest runs Dovecot Pigeonhole's sieve-test (Debian package
// dovecot-sieve, /usr/bin/sieve-test) on a script and a message and turns
// what it prints into the canonical action lines of the cross-helper
// contract S2, so that queue/sieve's differential test can compare
// Result.Lines with Pigeonhole's answer. It is used only by tests.
//
// # How sieve-test is run
//
// Every call gets a private temporary directory (mode 0700, owned by the
// user that runs sieve-test) holding script.sieve and message.eml, under
// os.TempDir() or, when nobody could not reach that, /tmp.
// sieve-test refuses to run as root ("Couldn't drop privileges: User is
// missing UID"), so when the caller is uid 0 the child runs as user nobody
// (setuid/setgid through SysProcAttr.Credential) with HOME set to the
// directory. The command line is
//
//	sieve-test -C -x "<S1 extensions>" -d dump.txt \
//	    -o plugin/sieve_vacation_min_period=0 -o plugin/sieve_vacation_max_period=0 \
//	    [-f FROM] [-a TO -r TO] script.sieve message.eml
//
// where:
//
//   - -C compiles afresh (no stale .svbin).
//   - -x lists exactly the capabilities of contract S1 (fileinto reject
//     envelope encoded-character vacation vacation-seconds subaddress
//     comparator-i;ascii-numeric relational regex imap4flags copy body
//     variables mailbox date), with no + or - prefix, so that only those are
//     enabled: vacation-seconds is off by default in Pigeonhole 2.3, and
//     extensions outside S1 (include, editheader, ...) are unknown to both
//     implementations alike.
//   - the two -o settings remove Pigeonhole's site minimum (1 day) and
//     maximum (90 days) for :days/:seconds, which it would otherwise clamp
//     to with a warning; RFC 5230 §4.1 leaves those limits to the site, and
//     queue/sieve reports the script's value. Pigeonhole's other limits
//     (32 actions, 4 redirects, 255 variables of 4096 bytes) equal
//     queue/sieve's Default* constants.
//   - -d writes the compiled program, used only to learn whether an
//     explicit :handle vacation had :mime (see below).
//   - -f is the envelope sender. sieve-test 2.3 cannot be given the null
//     reverse path: "-f <>" and an empty -f are refused, and a "Return-Path: <>"
//     header makes it fall back to Sender/From. For from == "" -f is
//     omitted, so Pigeonhole then uses the message's Return-Path, Sender or
//     From header; pairs that test the null sender are therefore listed in
//     testdata/diff/DIFFERENCES.md.
//   - -a and -r are the original and final envelope recipient (both TO);
//     for to == "" they are omitted and sieve-test takes Envelope-To or To.
//
// The environment is HOME (the directory), PATH, LANG=C and TZ=UTC: the date
// test without :zone converts to local time (RFC 5260 §4.1), so the
// differential test runs queue/sieve with a UTC Now as well.
//
// Without -e sieve-test does not execute the actions; it prints the result
// it would execute. In that mode the vacation rules of RFC 5230 §4.5
// (recipient addressed, list headers, :days memory) are not applied: the
// vacation action is printed whenever the script calls vacation, which is
// exactly what queue/sieve's Result contains (those rules belong to
// delivery, contract S1).
//
// # ereject
//
// Debian's Pigeonhole is built without HAVE_SIEVE_UNFINISHED, so it does not
// know the ereject capability of RFC 5429. The script handed to sieve-test
// has the string "ereject" in require and then the command identifier
// ereject rewritten to reject (an ereject that was not required is left, so
// both refuse it) (comments, other strings and text: blocks are left
// alone). RFC 5429 §2.1 makes the two differ only in how the rejection is
// delivered at the protocol level, not in the resulting actions, and S2
// writes both as "reject".
//
// # Mapping of sieve-test output to S2 lines
//
//	Pigeonhole prints                                   S2 line
//	" * store message in folder: M"                     "store M"
//	"        + add IMAP flags: F1 F2"  (under a store)  " flags=f1 f2" appended (lowercased, deduplicated, sorted)
//	"        + create mailbox if it does not exist"     (not represented: :create)
//	"        + preserve implicit keep"                  (not represented: :copy; the implicit keep section says it)
//	" * redirect message to: <A>"                       "redirect A"
//	" * discard"                                        "discard"
//	" * reject message with reason: R"                  "reject R" ("??", Pigeonhole's sanitised CR LF, becomes \n)
//	" * reject message without sending a response (discard)"  "discard"
//	" * send vacation message:" block                   "vacation to=FROM seconds=N subject=S handle=H mime=yes|no from=F|-"
//	"  (none)" under "Performed actions:"               nothing
//	" * store message in folder: M" under "Implicit keep:"  "implicit keep" (+ " flags=..." from its "+ add IMAP flags")
//	"  (none)" under "Implicit keep:"                   "implicit none"
//	exit status 1, "final result: failed; resolved with successful implicit keep"   "error", "implicit keep"
//	exit status 89, "failed to compile sieve script"    "invalid"
//
// The vacation block has "=> seconds : N" (always), "=> subject : S" and
// "=> from    : F" (only when the script gave :subject / :from; otherwise
// subject= is empty and from= is "-"), "=> handle  : H" (the :handle value,
// or Pigeonhole's default reason+subject+from+mime, e.g.
// "I am away<default-subject><default-from><NO-MIME>"; the reason may span
// lines, so the handle runs up to the blank line before START MESSAGE), and
// the reason between START MESSAGE and END MESSAGE. to= is the envelope
// sender given to sieve-test, which is where Pigeonhole sends the reply
// (RFC 5230 §4.3 / RFC 3834 §4). mime= comes from the default handle's
// <MIME>/<NO-MIME> suffix; with an explicit :handle it comes from the
// compiled program dump (the "mime" operand of the VACATION operation; all
// VACATION operations of the script must agree, or Pigeonhole returns an
// error). CR LF and bare CR or LF inside the handle and the subject are
// written \n, as in the reject reason. Pigeonhole cuts a printed mailbox
// name or reject reason longer than 128 bytes to 125 bytes and "..."; such
// an output is an error here (the real value is unknown), so corpus strings
// stay shorter. Addresses, flags and the vacation fields are printed whole.
// Any line the parser does not know is an error, so a new
// Pigeonhole output form is noticed, not mistranslated.
//
// The list is Pigeonhole's result after its duplicate handling (RFC 5228
// §2.10.3): keep and fileinto "INBOX" are one store, two stores into one
// mailbox or two redirects to one address are printed once (with the later
// one's flags), and the lines say nothing of :create or :copy except
// through the implicit keep line.
package sievetest
