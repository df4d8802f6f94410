#!/usr/bin/env python3
"""Generates the differential corpus: NNN.sieve, NNN.eml (CRLF) and, where the
envelope differs from the default (from alice@example.net, to me@example.com),
NNN.env. Run from this directory: python3 gen.py. The Pigeonhole answers
(NNN.expected) are written afterwards by `go run expect.go`.

Every case is (what it checks, script, message[, env]). The numbering is the
order below; add new cases at the end so existing numbers stay stable.
"""
import glob
import os

DEFAULT_FROM = "alice@example.net"
DEFAULT_TO = "me@example.com"


def msg(headers, body="Hello.\n"):
    """A message from header lines and a body, with CRLF line ends."""
    text = "\n".join(headers) + "\n\n" + body
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


BASE_HEADERS = [
    "Return-Path: <alice@example.net>",
    "From: Alice Example <alice@example.net>",
    "To: Me <me@example.com>",
    "Subject: Meeting on Tuesday",
    "Date: Tue, 02 Jan 2024 09:30:00 +0100",
    "Message-ID: <m0@example.net>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
]
BASE_BODY = "Hello,\nshall we meet on Tuesday at ten?\n-- \nAlice\n"
M0 = msg(BASE_HEADERS, BASE_BODY)


def with_headers(*extra, drop=(), body=BASE_BODY):
    """The base message with headers named in drop removed and extra added
    (before MIME-Version)."""
    hs = [h for h in BASE_HEADERS if h.split(":")[0].lower() not in [d.lower() for d in drop]]
    i = next((k for k, h in enumerate(hs) if h.startswith("MIME-Version")), len(hs))
    return msg(hs[:i] + list(extra) + hs[i:], body)


LIST_MSG = with_headers(
    "List-Id: Developers <dev.lists.example.org>",
    "List-Post: <mailto:dev@lists.example.org>",
    "Precedence: list",
    "Cc: dev@lists.example.org",
    "X-Spam-Score: 7",
    "X-Priority: 2",
)

MULTIPART = msg([
    "From: Carol <carol@example.org>",
    "To: me@example.com",
    "Subject: Report attached",
    "Date: Wed, 03 Jan 2024 14:05:00 -0500",
    "Message-ID: <mp@example.org>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="outer"',
], """This is a multi-part message in MIME format.

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

The quarterly figures are attached. Caf=C3=A9 meeting at noon.
Secret word: pineapple

--inner
Content-Type: text/html; charset=utf-8

<html><body><p>The quarterly <b>figures</b> are attached.</p><p>html-only-marker</p></body></html>

--inner--

--outer
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKcGRmLW1hcmtlcgo=

--outer
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: base64

R3L832UgYXVzIE38bmNoZW4uIGJhc2U2NC1tYXJrZXIK

--outer--
""")

BASE64_MSG = msg([
    "From: dave@example.org",
    "To: me@example.com",
    "Subject: encoded body",
    "Date: Thu, 04 Jan 2024 08:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
], "VGhlIGludm9pY2UgbnVtYmVyIGlzIDQyLgpQYXkgYnkgRnJpZGF5Lgo=\n")

QP_MSG = msg([
    "From: erin@example.org",
    "To: me@example.com",
    "Subject: qp body",
    "Date: Fri, 05 Jan 2024 23:59:59 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: quoted-printable",
], "Gr=FC=DFe aus K=F6ln. Soft line=\n break here.\nDiscount: 50% =3D half price\n")

HTML_ONLY = msg([
    "From: shop@example.com",
    "To: me@example.com",
    "Subject: Offer",
    "Date: Sat, 06 Jan 2024 12:00:00 +0000",
    "MIME-Version: 1.0",
    "Content-Type: text/html; charset=us-ascii",
], "<html><body><h1>Big SALE</h1><p>Only today</p></body></html>\n")

ENC_WORDS = with_headers(
    "X-Label: =?ISO-8859-1?Q?Gr=FC=DFe?=",
    "Subject: =?UTF-8?B?UmU6IEbDvHIgZGljaCDimLo=?=",
    drop=("Subject",),
)

GROUPS = msg([
    "From: Bob <bob@example.org>",
    "To: undisclosed-recipients:;",
    "Cc: team: ann@example.com, \"Ben B.\" <ben@Example.COM>;, zed@example.net",
    "Bcc: \"john doe\"@example.com",
    "Reply-To: \"Doe, John\" <jdoe+lists@example.org> (work)",
    "Subject: group syntax",
    "Date: Sun, 07 Jan 2024 07:07:07 +0700",
], "Groups.\n")

MULTI_FROM = msg([
    "From: first@example.org",
    "From: Second <second@example.net>",
    "To: me@example.com",
    "Subject: two From fields",
    "Received: from a.example by b.example; Mon, 08 Jan 2024 10:00:00 +0000",
    "Received: from c.example by a.example; Mon, 08 Jan 2024 09:59:00 +0000",
    "Date: Mon, 08 Jan 2024 10:00:00 +0000",
], "Two senders.\n")

FOLDED = with_headers(
    "X-Folded: first part\n  second part\n\tthird",
    "X-Empty:",
    "X-Spaces:    padded value   ",
    "Keywords: alpha, beta, gamma",
)

NUMERIC = with_headers(
    "X-Spam-Score: 12",
    "X-Count: 007",
    "X-Negative: -5",
    "X-Word: abc",
    "X-Big: 18446744073709551617",
    "X-Priority: 3 (Normal)",
)

SUBADDR_ENV = {"to": "me+lists@example.com"}

CASES = []


def case(what, script, eml=M0, env=None):
    CASES.append((what, script, eml, env))


# --- RFC 5228 base actions -------------------------------------------------
case("empty script: implicit keep", "")
case("explicit keep", "keep;\n")
case("discard cancels the implicit keep", "discard;\n")
case("fileinto", 'require "fileinto";\nfileinto "Work";\n')
case("fileinto twice to the same mailbox is one action (§2.10.3)",
     'require "fileinto";\nfileinto "Work";\nfileinto "Work";\n')
case("fileinto two mailboxes", 'require "fileinto";\nfileinto "Work";\nfileinto "Archive";\n')
case("redirect", 'redirect "bob@example.org";\n')
case("redirect twice to the same address is one action",
     'redirect "bob@example.org";\nredirect "bob@example.org";\n')
case("redirect two addresses", 'redirect "bob@example.org";\nredirect "carol@example.org";\n')
case("keep and fileinto", 'require "fileinto";\nkeep;\nfileinto "Copy";\n')
case("fileinto INBOX equals keep", 'require "fileinto";\nfileinto "INBOX";\nkeep;\n')
case("stop before actions", 'stop;\ndiscard;\n')
case("discard then keep: keep wins", "discard;\nkeep;\n")
case("redirect and keep", 'redirect "bob@example.org";\nkeep;\n')
case("discard after fileinto", 'require "fileinto";\nfileinto "Work";\ndiscard;\n')
case("comments and whitespace", '# a hash comment\n/* a bracket\n   comment */ keep; # trailing\n')
case("CRLF script", 'require "fileinto";\r\nif true {\r\n  fileinto "Crlf";\r\n}\r\n')
case("fileinto with a hierarchy name", 'require "fileinto";\nfileinto "Lists.dev";\n')
case("redirect with display form address is a plain address",
     'redirect "Bob.Smith@Example.ORG";\n')
case("require list with duplicates", 'require ["fileinto", "fileinto"];\nfileinto "Dup";\n')

# --- control structure -----------------------------------------------------
case("if true", 'require "fileinto";\nif true { fileinto "T"; }\n')
case("if false else", 'require "fileinto";\nif false { fileinto "T"; } else { fileinto "F"; }\n')
case("elsif chain picks the first true branch", r'''require "fileinto";
if header :is "subject" "nope" { fileinto "A"; }
elsif header :contains "subject" "Tuesday" { fileinto "B"; }
elsif true { fileinto "C"; }
else { fileinto "D"; }
''')
case("elsif chain falls to else", r'''require "fileinto";
if false { fileinto "A"; } elsif false { fileinto "B"; } else { fileinto "Else"; }
''')
case("nested if", r'''require "fileinto";
if address :domain "from" "example.net" {
  if header :contains "subject" "Meeting" {
    if not exists "x-nothing" { fileinto "Deep"; }
  } else { fileinto "Shallow"; }
}
''')
case("stop inside if ends the script", r'''require "fileinto";
if true { fileinto "First"; stop; }
fileinto "Never";
''')
case("stop keeps earlier actions and the implicit keep", r'''require "fileinto";
if header :contains "subject" "Meeting" { stop; }
discard;
''')
case("allof all true", r'''require "fileinto";
if allof (true, exists "from", address :is "to" "me@example.com") { fileinto "All"; }
''')
case("allof one false", r'''require "fileinto";
if allof (true, false) { fileinto "All"; } else { fileinto "NotAll"; }
''')
case("anyof one true", r'''require "fileinto";
if anyof (false, header :is "subject" "Meeting on Tuesday") { fileinto "Any"; }
''')
case("anyof all false", r'''require "fileinto";
if anyof (false, exists "x-none") { fileinto "Any"; } else { fileinto "None"; }
''')
case("not of anyof", r'''require "fileinto";
if not anyof (false, false) { fileinto "NotAny"; }
''')
case("nested allof anyof not", r'''require "fileinto";
if allof (anyof (false, not false), not allof (true, false), not not true) { fileinto "Mix"; }
''')
case("empty block", "if true { }\n")
case("several ifs accumulate actions", r'''require "fileinto";
if true { fileinto "One"; }
if header :contains "from" "alice" { fileinto "Two"; }
if false { fileinto "Three"; }
''')

# --- header test, match types, comparators --------------------------------
case("header :is is case-insensitive by default (i;ascii-casemap)",
     'require "fileinto";\nif header :is "Subject" "MEETING ON TUESDAY" { fileinto "Yes"; }\n')
case("header :is with i;octet is case-sensitive", r'''require "fileinto";
if header :comparator "i;octet" :is "subject" "MEETING ON TUESDAY" { fileinto "Yes"; }
else { fileinto "No"; }
''')
case("header :contains", 'require "fileinto";\nif header :contains "subject" "on Tue" { fileinto "Yes"; }\n')
case("header :contains with i;octet", r'''require "fileinto";
if header :contains :comparator "i;octet" "subject" "meeting" { fileinto "Yes"; } else { fileinto "No"; }
''')
case("header default match type is :is", 'require "fileinto";\nif header "subject" "Meeting" { fileinto "Yes"; } else { fileinto "No"; }\n')
case("header :matches with *", 'require "fileinto";\nif header :matches "subject" "Meet*day" { fileinto "Yes"; }\n')
case("header :matches with ?", 'require "fileinto";\nif header :matches "subject" "Meeting o? Tue?day" { fileinto "Yes"; }\n')
case("header :matches must match the whole value",
     'require "fileinto";\nif header :matches "subject" "Meeting" { fileinto "Yes"; } else { fileinto "No"; }\n')
case("header :matches with escaped wildcard", r'''require "fileinto";
if header :matches "x-pattern" "a\\*b" { fileinto "Literal"; }
''', with_headers("X-Pattern: a*b"))
case("header :matches escaped wildcard does not match other text", r'''require "fileinto";
if header :matches "x-pattern" "a\\*b" { fileinto "Literal"; } else { fileinto "No"; }
''', with_headers("X-Pattern: axxb"))
case("header :matches ** and ?*", r'''require "fileinto";
if header :matches "subject" "**Tues*?" { fileinto "Yes"; }
''')
case("header with a list of names", r'''require "fileinto";
if header :contains ["x-none", "subject"] "Tuesday" { fileinto "Yes"; }
''')
case("header with a list of keys", r'''require "fileinto";
if header :contains "subject" ["nothing", "here", "Meeting"] { fileinto "Yes"; }
''')
case("header on a missing header is false", r'''require "fileinto";
if header :contains "x-missing" "" { fileinto "Yes"; } else { fileinto "No"; }
''')
case(':contains "" matches any present header', r'''require "fileinto";
if header :contains "subject" "" { fileinto "Present"; }
''')
case(':contains "" on an empty header', r'''require "fileinto";
if header :contains "x-empty" "" { fileinto "Present"; } else { fileinto "No"; }
''', FOLDED)
case(':is "" on an empty header', r'''require "fileinto";
if header :is "x-empty" "" { fileinto "Empty"; } else { fileinto "No"; }
''', FOLDED)
case("header name is case-insensitive", 'require "fileinto";\nif header :contains "SUBJECT" "meeting" { fileinto "Yes"; }\n')
case("folded header: unfolding removes only CRLF, the tab stays (RFC 5322 §2.2.3)", r'''require "fileinto";
if header :is "x-folded" "first part  second part	third" { fileinto "Unfolded"; } else { fileinto "No"; }
''', FOLDED)
case("folded header: both spaces at the fold stay, so one space does not match", r'''require "fileinto";
if header :contains "x-folded" "part second" { fileinto "Across"; } else { fileinto "No"; }
''', FOLDED)
case("leading and trailing whitespace of a header value", r'''require "fileinto";
if header :is "x-spaces" "padded value" { fileinto "Trimmed"; } else { fileinto "Kept"; }
''', FOLDED)
case("RFC 2047 B-encoded UTF-8 subject is decoded", r'''require "fileinto";
if header :contains "subject" "Für dich" { fileinto "Decoded"; } else { fileinto "No"; }
''', ENC_WORDS)
case("RFC 2047 Q-encoded ISO-8859-1 header is decoded", r'''require "fileinto";
if header :is "x-label" "Grüße" { fileinto "Decoded"; } else { fileinto "No"; }
''', ENC_WORDS)
case("RFC 2047: the encoded form is not matched", r'''require "fileinto";
if header :contains "subject" "=?UTF-8?B?" { fileinto "Raw"; } else { fileinto "NotRaw"; }
''', ENC_WORDS)
case("RFC 2047 :matches with a non-ASCII character and ?", r'''require "fileinto";
if header :matches "subject" "Re: F?r dich ?" { fileinto "One char"; } else { fileinto "No"; }
''', ENC_WORDS)
case("header on repeated fields: any occurrence matches", r'''require "fileinto";
if header :contains "received" "c.example by" { fileinto "Second"; }
''', MULTI_FROM)
case("header :is against a comma list value", r'''require "fileinto";
if header :contains "keywords" "beta" { fileinto "Kw"; }
''', FOLDED)
case("header test on From is the raw value, not an address", r'''require "fileinto";
if header :is "from" "alice@example.net" { fileinto "Bare"; } else { fileinto "Full"; }
''')
case("header :is with the full From value", r'''require "fileinto";
if header :is "from" "Alice Example <alice@example.net>" { fileinto "Full"; }
''')
case("ascii-casemap only folds ASCII", r'''require "fileinto";
if header :is "x-label" "GRÜSSE" { fileinto "Folded"; } else { fileinto "No"; }
''', ENC_WORDS)
case("escaped quote and backslash in a string", r'''require "fileinto";
if header :is "x-quote" "say \"hi\" \\ now" { fileinto "Escaped"; }
''', with_headers('X-Quote: say "hi" \\ now'))
case("unknown escape in a quoted string drops the backslash", r'''require "fileinto";
if header :is "subject" "Meeting \on Tuesday" { fileinto "Unescaped"; }
''')

# --- address test ----------------------------------------------------------
case("address :is :all default", 'require "fileinto";\nif address :is "from" "alice@example.net" { fileinto "Yes"; }\n')
case("address :localpart", 'require "fileinto";\nif address :localpart :is "from" "alice" { fileinto "Yes"; }\n')
case("address :domain is case-insensitive", 'require "fileinto";\nif address :domain :is "from" "EXAMPLE.NET" { fileinto "Yes"; }\n')
case("address :all with i;octet keeps case", r'''require "fileinto";
if address :all :comparator "i;octet" :is "from" "Alice@example.net" { fileinto "Yes"; } else { fileinto "No"; }
''')
case("address ignores the display name", r'''require "fileinto";
if address :contains "from" "Example" { fileinto "Domain"; } else { fileinto "No"; }
''')
case("address :contains on the domain", 'require "fileinto";\nif address :domain :contains "to" "ample" { fileinto "Yes"; }\n')
case("address :matches with * and ?", 'require "fileinto";\nif address :matches "from" "al?ce@*.net" { fileinto "Yes"; }\n')
case("address over several headers", r'''require "fileinto";
if address :is ["to", "cc"] "dev@lists.example.org" { fileinto "List"; }
''', LIST_MSG)
case("address group undisclosed-recipients:; has no address", r'''require "fileinto";
if address :contains "to" "" { fileinto "HasAddr"; } else { fileinto "NoAddr"; }
''', GROUPS)
case("address group undisclosed-recipients:; :matches *", r'''require "fileinto";
if address :matches "to" "*" { fileinto "Star"; } else { fileinto "NoStar"; }
''', GROUPS)
case("address inside a group", r'''require "fileinto";
if address :is "cc" "ann@example.com" { fileinto "Ann"; }
''', GROUPS)
case("address inside a group, display name form, domain case", r'''require "fileinto";
if address :domain :is "cc" "example.com" { fileinto "Dom"; }
if address :localpart :is "cc" "ben" { fileinto "Ben"; }
''', GROUPS)
case("address after a group", r'''require "fileinto";
if address :is "cc" "zed@example.net" { fileinto "Zed"; }
''', GROUPS)
case("the group name is not an address", r'''require "fileinto";
if address :localpart :is "cc" "team" { fileinto "Team"; } else { fileinto "NoTeam"; }
''', GROUPS)
case("quoted local part", r'''require "fileinto";
if address :localpart :is "bcc" "john doe" { fileinto "Quoted"; } else { fileinto "No"; }
''', GROUPS)
case("quoted local part :all", r'''require "fileinto";
if address :all :is "bcc" "\"john doe\"@example.com" { fileinto "QuotedAll"; } else { fileinto "Unquoted"; }
''', GROUPS)
case("address with comment and quoted display name", r'''require "fileinto";
if address :is "reply-to" "jdoe+lists@example.org" { fileinto "Reply"; }
''', GROUPS)
case("multiple From fields: address tests each", r'''require "fileinto";
if address :is "from" "second@example.net" { fileinto "Second"; }
''', MULTI_FROM)
case("multiple From fields: first one", r'''require "fileinto";
if address :domain :is "from" "example.org" { fileinto "First"; }
''', MULTI_FROM)
case("multiple From fields: header test", r'''require "fileinto";
if header :contains "from" "Second" { fileinto "Hdr"; }
''', MULTI_FROM)
case("address on Sender and Resent-From", r'''require "fileinto";
if address :is ["sender", "resent-from"] "relay@example.org" { fileinto "Resent"; }
''', with_headers("Resent-From: Relay <relay@example.org>"))
case("address with no such header", r'''require "fileinto";
if address :is "cc" "x@y" { fileinto "Yes"; } else { fileinto "No"; }
''')
case("address list of keys", r'''require "fileinto";
if address :domain :is "from" ["example.com", "example.net"] { fileinto "Yes"; }
''')
case("address :localpart :contains case-insensitive", r'''require "fileinto";
if address :localpart :contains "from" "LIC" { fileinto "Yes"; }
''')
case("address of several addresses in one To", r'''require "fileinto";
if address :is "to" "two@example.com" { fileinto "Two"; }
''', with_headers("To: one@example.com, Two <two@example.com>, three@example.com", drop=("To",)))
case("address :count of recipients", r'''require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if address :count "eq" :comparator "i;ascii-numeric" "to" "3" { fileinto "Three"; }
''', with_headers("To: one@example.com, Two <two@example.com>, three@example.com", drop=("To",)))
case("address :count over To and Cc with a group", r'''require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "3" { fileinto "Three"; }
elsif address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "4" { fileinto "Four"; }
else { fileinto "Other"; }
''', GROUPS)
case("address :domain of an address without a domain", r'''require "fileinto";
if address :localpart :is "to" "postmaster" { fileinto "Local"; }
''', with_headers("To: postmaster", drop=("To",)))
case("address :matches domain with variables", r'''require ["fileinto", "variables"];
if address :matches "from" "*@*" { fileinto "by-${2}"; }
''')

# --- envelope, subaddress --------------------------------------------------
case("envelope from", r'''require ["envelope", "fileinto"];
if envelope :is "from" "alice@example.net" { fileinto "Env"; }
''')
case("envelope to", r'''require ["envelope", "fileinto"];
if envelope :is "to" "me@example.com" { fileinto "Env"; }
''')
case("envelope differs from the header From", r'''require ["envelope", "fileinto"];
if envelope :is "from" "bounce-123@lists.example.org" { fileinto "Bounce"; }
if address :is "from" "alice@example.net" { fileinto "Hdr"; }
''', M0, {"from": "bounce-123@lists.example.org"})
case("envelope :domain", r'''require ["envelope", "fileinto"];
if envelope :domain :is "from" "Example.NET" { fileinto "Dom"; }
''')
case("envelope :localpart :matches", r'''require ["envelope", "fileinto"];
if envelope :localpart :matches "from" "bounce-*" { fileinto "Bounce"; }
''', M0, {"from": "bounce-123@lists.example.org"})
case("envelope with several parts", r'''require ["envelope", "fileinto"];
if envelope :contains ["from", "to"] "example.com" { fileinto "Any"; }
''')
case("envelope part name is case-insensitive", r'''require ["envelope", "fileinto"];
if envelope :is "TO" "me@example.com" { fileinto "Upper"; }
''')
case("envelope without require is invalid", 'if envelope :is "from" "a@b" { keep; }\n')
case("envelope null sender :is empty (RFC 5228 §5.4)", r'''require ["envelope", "fileinto"];
if envelope :is "from" "" { fileinto "Null"; } else { fileinto "NotNull"; }
''', with_headers(drop=("Return-Path",)), {"from": ""})
case("envelope null sender :localpart is empty too", r'''require ["envelope", "fileinto"];
if envelope :localpart :is "from" "" { fileinto "Null"; } else { fileinto "NotNull"; }
''', with_headers(drop=("Return-Path",)), {"from": ""})
case("envelope :matches captures", r'''require ["envelope", "fileinto", "variables"];
if envelope :matches "to" "*@*" { fileinto "for-${1}"; }
''')
case("subaddress :detail of envelope to", r'''require ["envelope", "subaddress", "fileinto", "variables"];
if envelope :detail :matches "to" "*" { fileinto "sub-${1}"; }
''', M0, SUBADDR_ENV)
case("subaddress :user of envelope to", r'''require ["envelope", "subaddress", "fileinto"];
if envelope :user :is "to" "me" { fileinto "User"; }
''', M0, SUBADDR_ENV)
case("subaddress :detail when there is no separator does not match", r'''require ["envelope", "subaddress", "fileinto"];
if envelope :detail :matches "to" "*" { fileinto "HasDetail"; } else { fileinto "NoDetail"; }
''')
case("subaddress empty detail", r'''require ["envelope", "subaddress", "fileinto"];
if envelope :detail :is "to" "" { fileinto "EmptyDetail"; } else { fileinto "No"; }
''', M0, {"to": "me+@example.com"})
case("subaddress :detail on a header address", r'''require ["subaddress", "fileinto"];
if address :detail :is "reply-to" "lists" { fileinto "Detail"; }
''', GROUPS)
case("subaddress :user on a header address", r'''require ["subaddress", "fileinto"];
if address :user :is "reply-to" "jdoe" { fileinto "User"; }
''', GROUPS)
case("subaddress with two separators: detail after the first", r'''require ["envelope", "subaddress", "fileinto", "variables"];
if envelope :detail :matches "to" "*" { fileinto "d-${1}"; }
if envelope :user :matches "to" "*" { fileinto "u-${1}"; }
''', M0, {"to": "me+a+b@example.com"})
case(":detail without require subaddress is invalid", r'''require ["envelope", "fileinto"];
if envelope :detail "to" "x" { fileinto "X"; }
''')

# --- exists, size, true/false ---------------------------------------------
case("exists one header", 'require "fileinto";\nif exists "subject" { fileinto "Yes"; }\n')
case("exists needs all headers", 'require "fileinto";\nif exists ["subject", "x-none"] { fileinto "Yes"; } else { fileinto "No"; }\n')
case("exists with all present", 'require "fileinto";\nif exists ["From", "TO", "date"] { fileinto "Yes"; }\n')
case("exists on an empty header", 'require "fileinto";\nif exists "x-empty" { fileinto "Yes"; } else { fileinto "No"; }\n', FOLDED)
case("not exists", 'require "fileinto";\nif not exists "list-id" { fileinto "Personal"; }\n')
case("size :over small", 'require "fileinto";\nif size :over 100 { fileinto "Big"; } else { fileinto "Small"; }\n')
case("size :under with K", 'require "fileinto";\nif size :under 1K { fileinto "Small"; }\n')
case("size :over with M", 'require "fileinto";\nif size :over 1M { fileinto "Huge"; } else { fileinto "NotHuge"; }\n')
case("size :over its own size is false", 'require "fileinto";\nif size :over %d { fileinto "Over"; } else { fileinto "NotOver"; }\n' % len(M0))
case("size :under its own size is false", 'require "fileinto";\nif size :under %d { fileinto "Under"; } else { fileinto "NotUnder"; }\n' % len(M0))
case("size :over one less than its size", 'require "fileinto";\nif size :over %d { fileinto "Over"; }\n' % (len(M0) - 1))
case("size :under one more than its size", 'require "fileinto";\nif size :under %d { fileinto "Under"; }\n' % (len(M0) + 1))
case("size of a multipart message with G", 'require "fileinto";\nif size :under 1G { fileinto "UnderG"; }\n', MULTIPART)
case("size without a tag is invalid", 'if size 100 { keep; }\n')

# --- relational, i;ascii-numeric -------------------------------------------
REL = 'require ["fileinto", "relational", "comparator-i;ascii-numeric"];\n'
case(":value gt numeric", REL + 'if header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "10" { fileinto "Spam"; }\n', NUMERIC)
case(":value lt numeric is false", REL + 'if header :value "lt" :comparator "i;ascii-numeric" "x-spam-score" "10" { fileinto "Low"; } else { fileinto "High"; }\n', NUMERIC)
case(":value ge and le at the boundary", REL + r'''if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "12" { fileinto "GE"; }
if header :value "le" :comparator "i;ascii-numeric" "x-spam-score" "12" { fileinto "LE"; }
''', NUMERIC)
case(":value eq with leading zeros", REL + 'if header :value "eq" :comparator "i;ascii-numeric" "x-count" "7" { fileinto "Seven"; }\n', NUMERIC)
case(":value ne", REL + 'if header :value "ne" :comparator "i;ascii-numeric" "x-count" "8" { fileinto "NotEight"; }\n', NUMERIC)
case(":value gt with a non-numeric value: positive infinity (RFC 4790 §9.1.1)", REL +
     'if header :value "gt" :comparator "i;ascii-numeric" "x-word" "99999" { fileinto "Inf"; } else { fileinto "NotInf"; }\n', NUMERIC)
case(":value eq two non-numeric values are equal", REL +
     'if header :value "eq" :comparator "i;ascii-numeric" "x-word" "xyz" { fileinto "BothInf"; } else { fileinto "No"; }\n', NUMERIC)
case(":value with a negative number: leading minus is not a digit", REL +
     'if header :value "gt" :comparator "i;ascii-numeric" "x-negative" "1000" { fileinto "Inf"; } else { fileinto "No"; }\n', NUMERIC)
case(":value numeric prefix: '3 (Normal)' is 3", REL +
     'if header :value "eq" :comparator "i;ascii-numeric" "x-priority" "3" { fileinto "Three"; }\n', NUMERIC)
case(":value numeric beyond 64 bits", REL +
     'if header :value "gt" :comparator "i;ascii-numeric" "x-big" "18446744073709551616" { fileinto "Bigger"; } else { fileinto "No"; }\n', NUMERIC)
case(":value gt with the default casemap comparator compares strings", REL +
     'if header :value "gt" "x-spam-score" "9" { fileinto "StrGT"; } else { fileinto "StrLE"; }\n', NUMERIC)
case(":value lt string order", REL + 'if header :value "lt" "subject" "N" { fileinto "BeforeN"; }\n')
case(":count of Received headers", REL + 'if header :count "eq" :comparator "i;ascii-numeric" "received" "2" { fileinto "Two"; }\n', MULTI_FROM)
case(":count of a missing header is 0", REL + 'if header :count "eq" :comparator "i;ascii-numeric" "x-none" "0" { fileinto "Zero"; }\n')
case(":count over two header names", REL + 'if header :count "ge" :comparator "i;ascii-numeric" ["from", "to"] "3" { fileinto "GE3"; } else { fileinto "LT3"; }\n', MULTI_FROM)
case(":count ne with a key list", REL + 'if header :count "ne" :comparator "i;ascii-numeric" "from" ["1", "2"] { fileinto "Ne"; } else { fileinto "No"; }\n', MULTI_FROM)
case(":count exists-style: From occurs once", REL + 'if header :count "eq" :comparator "i;ascii-numeric" "from" "1" { fileinto "Once"; }\n')
case("relational without require is invalid", 'if header :value "gt" "x" "1" { keep; }\n')
case("relational with a bad operator is invalid", REL + 'if header :value "bigger" "x" "1" { keep; }\n')
case("i;ascii-numeric with :contains is invalid", REL + 'if header :contains :comparator "i;ascii-numeric" "x" "1" { keep; }\n')
case("i;ascii-numeric :is compares numbers", REL + 'if header :is :comparator "i;ascii-numeric" "x-count" "7" { fileinto "Is7"; }\n', NUMERIC)
case("unknown comparator is invalid", 'if header :is :comparator "i;unknown" "subject" "x" { keep; }\n')
case("ascii-numeric comparator without require is invalid", 'if header :is :comparator "i;ascii-numeric" "x" "1" { keep; }\n')

# --- variables (RFC 5229) --------------------------------------------------
VAR = 'require ["fileinto", "variables"];\n'
case("set and use a variable", VAR + 'set "box" "Projects";\nfileinto "${box}";\n')
case("variable names are case-insensitive", VAR + 'set "Box" "Mixed";\nfileinto "${BOX}";\n')
case("unknown variable is empty", VAR + 'fileinto "a${nothing}b";\n')
case("set :lower", VAR + 'set :lower "v" "MiXeD";\nfileinto "${v}";\n')
case("set :upper", VAR + 'set :upper "v" "MiXeD";\nfileinto "${v}";\n')
case("set :lowerfirst", VAR + 'set :lowerfirst "v" "ABC";\nfileinto "${v}";\n')
case("set :upperfirst", VAR + 'set :upperfirst "v" "abc";\nfileinto "${v}";\n')
case("set :upperfirst :lower (precedence 40 before 30)", VAR + 'set :upperfirst :lower "v" "hELLO";\nfileinto "${v}";\n')
case("set :length", VAR + 'set :length "n" "hello";\nfileinto "len-${n}";\n')
case("set :length counts characters, not octets", VAR + 'set :length "n" "Grüße";\nfileinto "len-${n}";\n')
case("set :quotewildcard", VAR + r'''set :quotewildcard "q" "a*b?c\\d";
if string :is "${q}" "a\\*b\\?c\\\\d" { fileinto "Quoted"; } else { fileinto "No"; }
''')
case("set :quotewildcard :length", VAR + 'set :length :quotewildcard "n" "a*b";\nfileinto "len-${n}";\n')
case("match variables from :matches", VAR + r'''if header :matches "subject" "* on *" { fileinto "${2}-${1}"; }
''')
case("${0} is the whole match", VAR + r'''if header :matches "subject" "Meeting*" { fileinto "all-${0}"; }
''')
case("match variable ? captures one character", VAR + r'''if header :matches "subject" "M??ting*" { fileinto "${1}${2}"; }
''')
case("match variables keep the last successful match", VAR + r'''if header :matches "subject" "*Tuesday" { set "a" "${1}"; }
if header :matches "subject" "nomatch*" { set "b" "x"; }
fileinto "${a}|${1}";
''')
case("match variables of a failed test are unchanged", VAR + r'''if header :matches "subject" "Meet*" { }
if header :matches "from" "zzz*" { }
fileinto "kept-${1}";
''')
case("match variable beyond the wildcards is empty", VAR + r'''if header :matches "subject" "*Tuesday" { fileinto "[${1}][${5}]"; }
''')
case("string test", VAR + r'''set "x" "hello world";
if string :contains "${x}" "lo wo" { fileinto "Str"; }
''')
case("string test with a list of sources", VAR + r'''set "a" "one"; set "b" "two";
if string :is ["${a}", "${b}"] "two" { fileinto "Two"; }
''')
case("string :count counts non-empty strings", 'require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];\n' + r'''set "e" "";
if string :count "eq" :comparator "i;ascii-numeric" ["a", "${e}", "b"] "2" { fileinto "Two"; } else { fileinto "Other"; }
''')
case("string :is empty variable", VAR + r'''if string :is "${undefined}" "" { fileinto "Empty"; }
''')
case("variable in a header name", VAR + r'''set "h" "subject";
if header :contains "${h}" "Meeting" { fileinto "Dyn"; }
''')
case("variable holding a header value", VAR + r'''if header :matches "from" "*" { set "f" "${1}"; }
if string :contains "${f}" "Alice" { fileinto "FromAlice"; }
''')
case("invalid variable reference syntax is literal", VAR + r'''fileinto "a${b.}c${}d${1x}";
''')
case("backslash before $ goes in string unescaping; the reference still expands", VAR + r'''set "v" "x";
fileinto "\${v}";
''')
case("nested reference is not expanded twice", VAR + r'''set "a" "${b}"; set "b" "B";
fileinto "[${a}]";
''')
case("set without variables extension is invalid", 'set "a" "b";\n')
case("variables in redirect address", VAR + r'''set "user" "bob";
redirect "${user}@example.org";
''')
case("numeric variable names in set are invalid", VAR + 'set "1" "x";\n')
case("variables across :matches on address", VAR + r'''if address :matches "from" "*@*.*" { fileinto "${3}.${2}.${1}"; }
''')
case("set overwrites", VAR + 'set "v" "a"; set "v" "b";\nfileinto "${v}";\n')
case("variable reference spanning concatenation", VAR + r'''set "a" "x"; set "ab" "wrong";
fileinto "${a}b";
''')

# --- encoded-character (RFC 5228 §2.4.2.4) ---------------------------------
ENC = 'require ["fileinto", "encoded-character"];\n'
case("encoded-character hex", ENC + 'fileinto "${hex:41 42 43}";\n')
case("encoded-character unicode", ENC + r'''if header :contains "subject" "${unicode:263a}" { fileinto "Smile"; } else { fileinto "No"; }
''', ENC_WORDS)
case("encoded-character hex UTF-8 bytes", ENC + r'''if header :contains "subject" "F${hex:C3 BC}r" { fileinto "Fuer"; }
''', ENC_WORDS)
case("encoded-character case-insensitive name and several sequences", ENC + 'fileinto "${HEX:4d}${Unicode:0065 0074}";\n')
case("encoded-character malformed sequence stays literal", ENC + 'fileinto "x${hex:zz}y";\n')
case("encoded-character without require is literal", 'require "fileinto";\nfileinto "${hex:41}";\n')
case("encoded-character invalid unicode code point is an error", ENC + 'fileinto "${unicode:D800}";\n')

# --- body (RFC 5173) -------------------------------------------------------
BODY = 'require ["fileinto", "body"];\n'
case("body :contains default :text", BODY + 'if body :contains "meet on Tuesday" { fileinto "Body"; }\n')
case("body :text of a multipart message sees text parts", BODY + 'if body :text :contains "quarterly figures" { fileinto "Text"; }\n', MULTIPART)
case("body :text decodes quoted-printable", BODY + 'if body :text :contains "Café meeting" { fileinto "QP"; } else { fileinto "No"; }\n', MULTIPART)
case("body :text decodes base64 and charset", BODY + 'if body :text :contains "Grüße aus München" { fileinto "B64"; } else { fileinto "No"; }\n', MULTIPART)
case("body :text does not see the attachment", BODY + 'if body :text :contains "pdf-marker" { fileinto "Attach"; } else { fileinto "NoAttach"; }\n', MULTIPART)
case("body :raw sees the undecoded base64", BODY + 'if body :raw :contains "R3L832UgYXVz" { fileinto "Raw"; } else { fileinto "No"; }\n', MULTIPART)
case("body :raw does not decode", BODY + 'if body :raw :contains "Café" { fileinto "Decoded"; } else { fileinto "Undecoded"; }\n', MULTIPART)
case("body :content text/html", BODY + 'if body :content "text/html" :contains "html-only-marker" { fileinto "Html"; }\n', MULTIPART)
case("body :content text matches all text subtypes", BODY + 'if body :content "text" :contains "html-only-marker" { fileinto "AnyText"; }\n', MULTIPART)
case("body :content text/plain does not see html", BODY + 'if body :content "text/plain" :contains "html-only-marker" { fileinto "Plain"; } else { fileinto "NotPlain"; }\n', MULTIPART)
case("body :content application/pdf decodes", BODY + 'if body :content "application/pdf" :contains "pdf-marker" { fileinto "Pdf"; } else { fileinto "No"; }\n', MULTIPART)
case("body of a base64 single part", BODY + 'if body :contains "invoice number is 42" { fileinto "Invoice"; }\n', BASE64_MSG)
case("body of a quoted-printable single part with soft break", BODY + 'if body :contains "Soft line break here" { fileinto "Soft"; } else { fileinto "No"; }\n', QP_MSG)
case("body quoted-printable charset decoding", BODY + 'if body :contains "Grüße aus Köln" { fileinto "Koeln"; } else { fileinto "No"; }\n', QP_MSG)
case("body :matches", BODY + 'if body :matches "*Tuesday*" { fileinto "M"; }\n')
case("body :is on the whole text", BODY + 'if body :is "nothing like it" { fileinto "Is"; } else { fileinto "Not"; }\n')
case("body :text of html-only message", BODY + 'if body :text :contains "SALE" { fileinto "Sale"; } else { fileinto "No"; }\n', HTML_ONLY)
case("body :content multipart", BODY + 'if body :content "multipart" :contains "This is a multi-part message" { fileinto "Preamble"; } else { fileinto "No"; }\n', MULTIPART)
case("body :contains case-insensitive", BODY + 'if body :contains "SHALL WE MEET" { fileinto "Case"; }\n')
case("body :comparator i;octet", BODY + 'if body :comparator "i;octet" :contains "SHALL WE MEET" { fileinto "Case"; } else { fileinto "Exact"; }\n')
case("body without require is invalid", 'if body :contains "x" { keep; }\n')
case("body :content with an empty type list", BODY + 'if body :content "" :contains "pineapple" { fileinto "Empty"; } else { fileinto "No"; }\n', MULTIPART)

# --- date, currentdate (RFC 5260) ------------------------------------------
DATE = 'require ["fileinto", "date", "variables"];\n'
case("date year with :originalzone", DATE + 'if date :originalzone :is "date" "year" "2024" { fileinto "Y2024"; }\n')
case("date month and day", DATE + r'''if allof (date :originalzone :is "date" "month" "01", date :originalzone :is "date" "day" "02") { fileinto "Jan2"; }
''')
case("date hour in the original zone", DATE + 'if date :originalzone :matches "date" "hour" "*" { fileinto "h${1}"; }\n')
case("date hour converted with :zone", DATE + 'if date :zone "+0000" :matches "date" "hour" "*" { fileinto "utc${1}"; }\n')
case("date :zone crossing the day boundary", DATE + 'if date :zone "-1000" :matches "date" "date" "*" { fileinto "${1}"; }\n')
case("date zone part", DATE + 'if date :originalzone :matches "date" "zone" "*" { fileinto "z${1}"; }\n')
case("date zone part after :zone", DATE + 'if date :zone "-0330" :matches "date" "zone" "*" { fileinto "z${1}"; }\n')
case("date weekday (0 = Sunday)", DATE + 'if date :originalzone :matches "date" "weekday" "*" { fileinto "wd${1}"; }\n')
case("date iso8601", DATE + 'if date :zone "+0000" :matches "date" "iso8601" "*" { fileinto "${1}"; }\n')
case("date std11", DATE + 'if date :originalzone :matches "date" "std11" "*" { fileinto "${1}"; }\n')
case("date julian", DATE + 'if date :originalzone :matches "date" "julian" "*" { fileinto "mjd${1}"; }\n')
case("date time minute second", DATE + r'''if date :originalzone :matches "date" "time" "*" { set "t" "${1}"; }
if date :originalzone :matches "date" "minute" "*" { set "m" "${1}"; }
if date :originalzone :matches "date" "second" "*" { set "s" "${1}"; }
fileinto "${t}_${m}_${s}";
''')
case("date :value ge with relational", 'require ["fileinto", "date", "relational"];\n' +
     'if date :originalzone :value "ge" "date" "date" "2023-12-31" { fileinto "After"; }\n')
case("date of a missing header is false", DATE + 'if date :originalzone :matches "resent-date" "year" "*" { fileinto "Has"; } else { fileinto "None"; }\n')
case("date of an unparsable header is false", DATE + 'if date :originalzone :matches "x-when" "year" "*" { fileinto "Parsed"; } else { fileinto "Unparsed"; }\n',
     with_headers("X-When: next tuesday"))
case("date of another header field", DATE + 'if date :originalzone :is "x-sent" "year" "1999" { fileinto "Y1999"; }\n',
     with_headers("X-Sent: Fri, 31 Dec 1999 23:59:59 -0800"))
case("date without a day-of-week and with a two-digit year", DATE + 'if date :originalzone :matches "date" "date" "*" { fileinto "${1}"; }\n',
     with_headers("Date: 5 Feb 99 11:00 GMT", drop=("Date",)))
case("date with an unknown date part", DATE + 'if date :is "date" "century" "21" { keep; }\n')
case("date :zone without a date part argument is invalid", DATE + 'if date :zone "+0100" "date" "2024" { keep; }\n')
case("currentdate year is recent", 'require ["fileinto", "date", "relational"];\n' +
     'if currentdate :value "ge" "year" "2024" { fileinto "Now"; }\n')
case("currentdate is before 2100", 'require ["fileinto", "date", "relational"];\n' +
     'if currentdate :zone "+0000" :value "lt" "date" "2100-01-01" { fileinto "Before2100"; }\n')
case("currentdate zone after :zone", DATE + 'if currentdate :zone "+0530" :matches "zone" "*" { fileinto "z${1}"; }\n')
case("currentdate iso8601 shape", DATE + 'if currentdate :zone "+0000" :matches "iso8601" "20??-??-??T??:??:??Z" { fileinto "Iso"; } else { fileinto "NotIso"; }\n')
case("date default zone (local time, TZ=UTC)", DATE + 'if date :matches "date" "hour" "*" { fileinto "local${1}"; }\n')

# --- imap4flags (RFC 5232) --------------------------------------------------
FL = 'require ["fileinto", "imap4flags"];\n'
case("setflag then implicit keep carries the flags", FL + 'setflag "\\\\Seen";\n')
case("addflag several and keep", FL + 'addflag ["\\\\Flagged", "$Work"];\naddflag "\\\\Seen";\nkeep;\n')
case("removeflag", FL + 'setflag "\\\\Seen \\\\Flagged Extra";\nremoveflag "extra";\n')
case("flags are case-insensitive and deduplicated", FL + 'addflag "\\\\seen"; addflag "\\\\SEEN"; addflag ["Foo", "foo"];\n')
case("space-separated flags in one string", FL + 'setflag "A B  C";\nfileinto "F";\n')
case("fileinto :flags overrides the internal variable", FL + 'setflag "\\\\Seen";\nfileinto :flags "\\\\Answered" "Replied";\n')
case("fileinto gets the internal flags", FL + 'addflag "\\\\Flagged";\nfileinto "Flagged";\n')
case("keep :flags", FL + 'keep :flags ["\\\\Seen", "\\\\Draft"];\n')
case("keep :flags empty list", FL + 'setflag "\\\\Seen";\nkeep :flags "";\n')
case("hasflag on the internal variable", FL + 'addflag "Junk";\nif hasflag "junk" { fileinto "Junk"; }\n')
case("hasflag false", FL + 'if hasflag "\\\\Seen" { fileinto "Seen"; } else { fileinto "Unseen"; }\n')
case("hasflag :contains", FL + 'setflag "Important Work";\nif hasflag :contains "port" { fileinto "Port"; }\n')
case("flags on a variable", 'require ["fileinto", "imap4flags", "variables"];\n' + r'''setflag "myflags" "\\Seen";
addflag "myflags" "Later";
if hasflag "myflags" "later" { fileinto :flags "${myflags}" "Var"; }
''')
case("variable flags do not touch the internal variable", 'require ["fileinto", "imap4flags", "variables"];\n' + r'''addflag "other" "X";
keep;
''')
case("flags change between actions", FL + r'''setflag "A";
fileinto "One";
setflag "B";
fileinto "Two";
''')
case("removeflag of an absent flag", FL + 'removeflag "\\\\Seen";\naddflag "K";\n')
case("setflag with an empty string clears", FL + 'addflag "A";\nsetflag "";\nkeep;\n')
case("hasflag :count", 'require ["fileinto", "imap4flags", "relational", "comparator-i;ascii-numeric"];\n' +
     'addflag ["a", "b", "c"];\nif hasflag :count "eq" :comparator "i;ascii-numeric" "3" { fileinto "Three"; }\n')
case("fileinto with the same mailbox twice and different flags", FL + r'''fileinto :flags "A" "Box";
fileinto :flags "B" "Box";
''')
case("keep twice with different flags", FL + r'''keep :flags "A";
keep :flags "B";
''')
case("flags with discard: nothing kept", FL + 'addflag "\\\\Seen";\ndiscard;\n')
case("imap4flags without require is invalid", 'setflag "\\\\Seen";\n')

# --- copy (RFC 3894), mailbox (RFC 5490) -----------------------------------
case("fileinto :copy keeps the implicit keep", 'require ["fileinto", "copy"];\nfileinto :copy "Copy";\n')
case("redirect :copy keeps the implicit keep", 'require "copy";\nredirect :copy "bob@example.org";\n')
case("redirect :copy and redirect without to the same address", 'require "copy";\nredirect :copy "bob@example.org";\nredirect "bob@example.org";\n')
case("fileinto :copy then discard", 'require ["fileinto", "copy"];\nfileinto :copy "Copy";\ndiscard;\n')
case(":copy without require is invalid", 'require "fileinto";\nfileinto :copy "X";\n')
case("fileinto :create", 'require ["fileinto", "mailbox"];\nfileinto :create "New.Folder";\n')
case("fileinto :create :copy :flags", 'require ["fileinto", "mailbox", "copy", "imap4flags"];\nfileinto :create :copy :flags "\\\\Seen" "Both";\n')
case(":create without require mailbox is invalid", 'require "fileinto";\nfileinto :create "X";\n')
case("fileinto :copy and fileinto to the same mailbox", 'require ["fileinto", "copy"];\nfileinto :copy "Box";\nfileinto "Box";\n')

# --- reject (RFC 5429) -------------------------------------------------------
case("reject", 'require "reject";\nreject "Not wanted here.";\n')
case("reject with a multi-line reason", 'require "reject";\nreject text:\nI do not accept\nmail from you.\n.\n;\n')
case("reject and fileinto conflict: runtime error", 'require ["reject", "fileinto"];\nfileinto "X";\nreject "no";\n')
case("reject and keep conflict", 'require "reject";\nkeep;\nreject "no";\n')
case("reject twice is an error", 'require "reject";\nreject "a";\nreject "b";\n')
case("reject and redirect", 'require "reject";\nredirect "bob@example.org";\nreject "no";\n')
case("reject and discard", 'require "reject";\ndiscard;\nreject "no";\n')
case("reject with variables", 'require ["reject", "variables"];\nif header :matches "subject" "*" { reject "Refused: ${1}."; }\n')
case("ereject", 'require "ereject";\nereject "Spam is refused.";\n')
case("ereject and fileinto conflict", 'require ["ereject", "fileinto"];\nfileinto "X";\nereject "no";\n')
case("reject without require is invalid", 'reject "no";\n')
case("reject with two arguments is invalid", 'require "reject";\nreject "a" "b";\n')
case("reject inside a condition", 'require "reject";\nif address :domain :is "from" "example.net" { reject "No mail from example.net."; }\n')

# --- vacation (RFC 5230, RFC 6131) ----------------------------------------------
VAC = 'require "vacation";\n'
case("vacation default", VAC + 'vacation "I am away.";\n')
case("vacation :days", VAC + 'vacation :days 3 "Back on Monday.";\n')
case("vacation :subject", VAC + 'vacation :subject "Out of office" "Back soon.";\n')
case("vacation :from", VAC + 'vacation :from "Me <me@example.com>" "Back soon.";\n')
case("vacation :addresses", VAC + 'vacation :addresses ["me@example.com", "me@example.org"] "Back soon.";\n')
case("vacation :mime", VAC + 'vacation :mime text:\nContent-Type: text/plain; charset=utf-8\n\nBack soon.\n.\n;\n')
case("vacation :handle", VAC + 'vacation :handle "summer-2024" "Away for the summer.";\n')
case("vacation :handle with :mime", VAC + 'vacation :handle "h-mime" :mime text:\nContent-Type: text/plain\n\nAway.\n.\n;\n')
case("vacation with every option", VAC + r'''vacation :days 10 :subject "Away" :from "me@example.com" :addresses "me@example.org" :handle "all" "Everything.";
''')
case("vacation-seconds", 'require ["vacation", "vacation-seconds"];\nvacation :seconds 3600 "Hourly.";\n')
case("vacation :seconds 0", 'require ["vacation", "vacation-seconds"];\nvacation :seconds 0 "Every time.";\n')
case("vacation :days 0", VAC + 'vacation :days 0 "Days zero.";\n')
case("vacation and fileinto", 'require ["vacation", "fileinto"];\nfileinto "Away";\nvacation "Away.";\n')
case("vacation twice is an error", VAC + 'vacation "one";\nvacation "two";\n')
case("vacation and reject conflict", 'require ["vacation", "reject"];\nvacation "away";\nreject "no";\n')
case("vacation with variables in subject and reason", 'require ["vacation", "variables"];\n' + r'''if header :matches "subject" "*" { set "s" "${1}"; }
vacation :subject "Re: ${s}" "You wrote about ${s}.";
''')
case("vacation only for a condition", VAC + 'if not exists "list-id" { vacation :days 1 "Personal reply."; }\n', LIST_MSG)
case("vacation :seconds without vacation-seconds is invalid", VAC + 'vacation :seconds 60 "x";\n')
case("vacation :days and :seconds together is invalid", 'require ["vacation", "vacation-seconds"];\nvacation :days 1 :seconds 60 "x";\n')
case("vacation without a reason is invalid", VAC + 'vacation :days 1;\n')
case("vacation with a multi-line reason", VAC + 'vacation :days 2 text:\nI am away.\nBack next week.\n.\n;\n')
case("vacation and discard", VAC + 'vacation "away";\ndiscard;\n')
case("vacation and redirect", VAC + 'vacation "away";\nredirect "bob@example.org";\n')

# --- regex (draft-ietf-sieve-regex) --------------------------------------------
RX = 'require ["fileinto", "regex", "variables"];\n'
case("regex on a header", RX + 'if header :regex "subject" "^Meet.*day$" { fileinto "Rx"; }\n')
case("regex is unanchored", RX + 'if header :regex "subject" "on Tue" { fileinto "Rx"; }\n')
case("regex groups set match variables", RX + r'''if header :regex "subject" "^([A-Za-z]+) on ([A-Za-z]+)$" { fileinto "${2}-${1}"; }
''')
case("regex ${0} is the whole match", RX + 'if header :regex "subject" "T[a-z]+" { fileinto "w-${0}"; }\n')
case("regex case-insensitive with the default comparator", RX + 'if header :regex "subject" "MEETING" { fileinto "CI"; } else { fileinto "CS"; }\n')
case("regex with i;octet is case-sensitive", RX + 'if header :regex :comparator "i;octet" "subject" "MEETING" { fileinto "CI"; } else { fileinto "CS"; }\n')
case("regex alternation and classes", RX + 'if header :regex "from" "(bob|alice)@example\\\\.(com|net)" { fileinto "${1}-${2}"; }\n')
case("regex on an address", RX + 'if address :regex :domain "from" "^ex.*\\\\.net$" { fileinto "RxAddr"; }\n')
case("regex on envelope", 'require ["fileinto", "regex", "envelope"];\nif envelope :regex "from" "^[a-z]+@" { fileinto "RxEnv"; }\n')
case("regex on body", 'require ["fileinto", "regex", "body"];\nif body :regex "meet on (Mon|Tues)day" { fileinto "RxBody"; }\n')
case("regex unmatched optional group is empty", RX + r'''if header :regex "subject" "^(Meeting)( at)?" { fileinto "[${1}][${2}]"; }
''')
case("regex no match", RX + 'if header :regex "subject" "^Tuesday" { fileinto "Rx"; } else { fileinto "NoRx"; }\n')
case("invalid constant regex is a compile error", RX + 'if header :regex "subject" "([a-z" { keep; }\n')
case("regex without require is invalid", 'if header :regex "subject" "x" { keep; }\n')
case("regex with a list of patterns", RX + 'if header :regex "subject" ["^x", "Tues(day)"] { fileinto "L-${1}"; }\n')

# --- scripts that fail to compile ---------------------------------------------------
case("unknown command", 'frobnicate;\n')
case("unknown command inside a block", 'if true { keep; zap "x"; }\n')
case("fileinto without require", 'fileinto "X";\n')
case("require of an unknown capability", 'require "x-unknown-extension";\nkeep;\n')
case("require not at the start", 'keep;\nrequire "fileinto";\n')
case("missing semicolon", 'keep\ndiscard;\n')
case("unterminated string", 'require "fileinto";\nfileinto "open;\n')
case("fileinto with a number", 'require "fileinto";\nfileinto 42;\n')
case("fileinto with a string list", 'require "fileinto";\nfileinto ["A", "B"];\n')
case("redirect with no argument", 'redirect;\n')
case("keep with an argument", 'keep "INBOX";\n')
case("unknown tag", 'if header :bogus "subject" "x" { keep; }\n')
case("two match types", 'if header :is :contains "subject" "x" { keep; }\n')
case("test used as a command", 'true;\n')
case("command used as a test", 'if keep { discard; }\n')
case("elsif without if", 'elsif true { keep; }\n')
case("else without if", 'else { keep; }\n')
case("if without a block", 'if true keep;\n')
case("if without a test", 'if { keep; }\n')
case("empty test list", 'if anyof () { keep; }\n')
case("unbalanced braces", 'if true { keep;\n')
case("stop with an argument", 'stop "now";\n')
case("header with a number as header name", 'if header :is 5 "x" { keep; }\n')
case("redirect to an invalid address", 'redirect "not an address";\n')
case("address with an invalid header name", 'if address :is "From Me" "x" { keep; }\n')
case("duplicate tagged argument", 'if header :comparator "i;octet" :comparator "i;octet" "a" "b" { keep; }\n')
case("number with an unknown suffix", 'if size :over 10X { keep; }\n')
case("text: without the terminating dot", 'require "reject";\nreject text:\nnever ends\n')
case("unterminated bracket comment", 'keep; /* open\n')
case("missing comma in a string list", 'require ["fileinto" "copy"];\n')
case("setflag with three arguments", 'require "imap4flags";\nsetflag "a" "b" "c";\n')
case("require with a number", 'require 1;\n')
case("fileinto an empty mailbox name", 'require "fileinto";\nfileinto "";\n')
case("vacation :days with a string", 'require "vacation";\nvacation :days "3" "x";\n')
case("date with a zone that is not +hhmm", 'require "date";\nif date :zone "CET" "date" "year" "2024" { keep; }\n')

# --- limits ---------------------------------------------------------------------------
case("four redirects are allowed", 'redirect "a@example.org"; redirect "b@example.org"; redirect "c@example.org"; redirect "d@example.org";\n')
case("five redirects exceed the limit (RFC 5228 §10)", 'redirect "a@example.org"; redirect "b@example.org"; redirect "c@example.org"; redirect "d@example.org"; redirect "e@example.org";\n')
case("duplicate redirects do not count twice", 'redirect "a@example.org"; redirect "a@example.org"; redirect "b@example.org"; redirect "c@example.org"; redirect "d@example.org";\n')
case("32 actions are allowed", 'require "fileinto";\n' + "".join('fileinto "f%d";\n' % i for i in range(31)) + "keep;\n")
case("33 actions exceed the limit", 'require "fileinto";\n' + "".join('fileinto "f%d";\n' % i for i in range(33)))
case("deep nesting within the limit", 'require "fileinto";\n' + "if true { " * 10 + 'fileinto "Deep";' + " }" * 10 + "\n")


# --- more tricky cases (appended; numbers above stay stable) ---------------------------
ENC_FROM = with_headers(
    "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>",
    "Subject: =?ISO-8859-1?Q?caf=E9?= =?ISO-8859-1?Q?_cr=E8me?= and =?X-UNKNOWN?Q?abc?=",
    "X-Broken: =?UTF-8?B?not base64!?=",
    drop=("From", "Subject"),
)
case("address with an RFC 2047 display name", 'require "fileinto";\nif address :is "from" "joerg@example.de" { fileinto "Joerg"; }\n', ENC_FROM)
case("header From with an RFC 2047 display name is decoded", 'require "fileinto";\nif header :contains "from" "Jörg Müller" { fileinto "Decoded"; } else { fileinto "No"; }\n', ENC_FROM)
case("RFC 2047: whitespace between adjacent encoded words is dropped (§6.2)", r'''require "fileinto";
if header :contains "subject" "café crème" { fileinto "Joined"; } else { fileinto "No"; }
''', ENC_FROM)
case("RFC 2047: an unknown charset", r'''require ["fileinto", "variables"];
if header :matches "subject" "* and *" { set "tail" "${2}"; }
if string :is "${tail}" "abc" { fileinto "DecodedAnyway"; }
elsif string :is "${tail}" "=?X-UNKNOWN?Q?abc?=" { fileinto "LeftEncoded"; }
else { fileinto "Other"; }
''', ENC_FROM)
case("RFC 2047: a malformed encoded word stays as it is", r'''require "fileinto";
if header :is "x-broken" "=?UTF-8?B?not base64!?=" { fileinto "Literal"; } else { fileinto "Changed"; }
''', ENC_FROM)
case("header field without a space after the colon", r'''require "fileinto";
if header :is "x-tight" "value" { fileinto "Tight"; }
''', with_headers("X-Tight:value"))
case(":matches * on an empty header", 'require "fileinto";\nif header :matches "x-empty" "*" { fileinto "Star"; } else { fileinto "No"; }\n', FOLDED)
case(":matches wildcards are case-insensitive with casemap", 'require "fileinto";\nif header :matches "subject" "meet*DAY" { fileinto "CI"; }\n')
case("match variables in a :matches key are expanded first", r'''require ["fileinto", "variables"];
set "word" "Tuesday";
if header :matches "subject" "* on ${word}" { fileinto "Key-${1}"; }
''')
case(":quotewildcard makes a value literal in a :matches key", r'''require ["fileinto", "variables"];
set :quotewildcard "lit" "a*b";
if header :matches "x-pattern" "${lit}" { fileinto "Exact"; } else { fileinto "No"; }
''', with_headers("X-Pattern: aXXb"))
case("anyof stops at the first true test (match variables show it)", r'''require ["fileinto", "variables"];
if anyof (header :matches "subject" "*", header :matches "from" "*") { fileinto "${1}"; }
''')
case("allof stops at the first false test", r'''require ["fileinto", "variables"];
if allof (header :matches "subject" "nomatch*", header :matches "from" "*") { fileinto "both"; }
fileinto "v-${1}";
''')
case("string :matches over several sources sets the variables of the matching one", r'''require ["fileinto", "variables"];
if string :matches ["alpha-1", "beta-2"] "beta-*" { fileinto "n${1}"; }
''')
case("string :count of an empty variable is 0", r'''require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
if string :count "eq" :comparator "i;ascii-numeric" "${undefined}" "0" { fileinto "Zero"; }
''')
case("hasflag over a list of variables", r'''require ["fileinto", "imap4flags", "variables"];
setflag "a" "X"; setflag "b" "Y";
if hasflag ["a", "b"] "y" { fileinto "HasY"; }
''')
case(":value on an address", r'''require ["fileinto", "relational"];
if address :localpart :value "lt" "from" "bob" { fileinto "BeforeBob"; }
''')
case(":value on the envelope", r'''require ["fileinto", "relational", "envelope"];
if envelope :domain :value "gt" "to" "example.a" { fileinto "After"; }
''')
case("keep :flags from a variable", r'''require ["imap4flags", "variables"];
set "f" "\\Seen $Label1";
keep :flags "${f}";
''')
case("fileinto INBOX with flags and keep merge", r'''require ["fileinto", "imap4flags"];
fileinto :flags "A" "INBOX";
keep;
''')
case("body :raw sees MIME boundaries", 'require ["fileinto", "body"];\nif body :raw :contains "--inner--" { fileinto "Boundary"; }\n', MULTIPART)
case("body :content text with :matches", 'require ["fileinto", "body"];\nif body :content "text" :matches "*pineapple*" { fileinto "Fruit"; }\n', MULTIPART)
case("date with an obsolete zone name", r'''require ["fileinto", "date", "variables"];
if date :originalzone :matches "date" "zone" "*" { fileinto "z${1}"; }
''', with_headers("Date: Tue, 02 Jan 2024 09:30:00 EST", drop=("Date",)))
case("date with a trailing comment", r'''require ["fileinto", "date", "variables"];
if date :zone "+0000" :matches "date" "time" "*" { fileinto "t${1}"; }
''', with_headers("Date: Tue, 02 Jan 2024 09:30:00 +0000 (UTC)", drop=("Date",)))
case("currentdate julian is after 2024", 'require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"];\n' +
     'if currentdate :value "ge" :comparator "i;ascii-numeric" "julian" "60310" { fileinto "Recent"; }\n')
case("ereject and vacation conflict", 'require ["ereject", "vacation"];\nvacation "away";\nereject "no";\n')
case("redirect :copy twice to the same address", 'require "copy";\nredirect :copy "bob@example.org";\nredirect :copy "bob@example.org";\n')
case("fileinto :copy and keep", 'require ["fileinto", "copy"];\nfileinto :copy "Copy";\nkeep;\n')
case("stop inside elsif", r'''require "fileinto";
if false { fileinto "A"; } elsif true { fileinto "B"; stop; } else { fileinto "C"; }
fileinto "After";
''')
case("encoded-character in a text: block", 'require ["reject", "encoded-character"];\nreject text:\nnot ${hex:41}llowed\n.\n;\n')
case("dot-stuffing in a text: block", 'require "reject";\nreject text:\n..leading dot\n.\n;\n')
case("text: with a comment after the colon", 'require "reject";\nreject text: # why\nrefused\n.\n;\n')
case("header name with a colon", 'if header :is "a:b" "x" { keep; }\n')
case("exists with a header name holding a space", 'if exists "bad name" { keep; }\n')
case("redirect to a name-addr", 'redirect "Bob <bob@example.org>";\n')
case("address test on Subject", 'require "fileinto";\nif address :contains "subject" "Tuesday" { fileinto "Addr"; } else { fileinto "No"; }\n')
case("envelope with an unknown part is invalid", 'require "envelope";\nif envelope :is "bogus" "x" { keep; }\n')
case("explicit i;ascii-casemap comparator", 'require "fileinto";\nif header :is :comparator "i;ascii-casemap" "subject" "meeting ON tuesday" { fileinto "CI"; }\n')
case("size :over 0", 'require "fileinto";\nif size :over 0 { fileinto "NonEmpty"; }\n')
case("vacation :subject with non-ASCII text", 'require "vacation";\nvacation :subject "Abwesenheit: Grüße" "Bin weg.";\n')
case("vacation :from that is not an address", 'require "vacation";\nvacation :from "not an address" "x";\n')
case("vacation :addresses with an invalid address", 'require "vacation";\nvacation :addresses "bad address" "x";\n')
case("vacation :days 1000", 'require "vacation";\nvacation :days 1000 "Long.";\n')
case("vacation with an empty reason", 'require "vacation";\nvacation "";\n')
case("fileinto a UTF-8 mailbox name", 'require "fileinto";\nfileinto "Ärger";\n')
case("variable longer than 4096 bytes is truncated (RFC 5229 §6)", 'require ["fileinto", "variables"];\n' +
     'set "v" "%s";\nset :length "n" "${v}";\nfileinto "len-${n}";\n' % ("x" * 5000))
case("discard with implicit flags set", 'require "imap4flags";\naddflag "\\\\Seen";\ndiscard;\nkeep;\n')


# --- lexical and message corner cases (appended) -----------------------------------------
RAW8 = with_headers(
    "Subject: Grüße aus Köln",
    "X-Long: " + " ".join("word%d" % i for i in range(300)),
    "X-Dup: one",
    "X-Dup: two",
    "X-Odd-Name.With_Chars: odd",
    drop=("Subject",),
)
NESTED_RFC822 = msg([
    "From: fwd@example.org",
    "To: me@example.com",
    "Subject: Fwd: original",
    "Date: Mon, 15 Jan 2024 10:00:00 +0000",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
], """--b1
Content-Type: text/plain

See the forwarded message.

--b1
Content-Type: message/rfc822

From: orig@example.net
To: fwd@example.org
Subject: original
Content-Type: text/plain

inner-body-marker here.

--b1--
""")
NO_BODY = msg(["From: a@example.org", "To: me@example.com", "Subject: no body"], "")
NO_CT_MULTI = msg([
    "From: a@example.org",
    "To: me@example.com",
    "Subject: parts without content type",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="zz"',
], "--zz\n\nimplicit-text-plain part\n--zz\nContent-Type: text/plain; charset=utf-8\n\nsecond part\n--zz--\n")

case("upper-case identifiers, tags and require", 'REQUIRE "fileinto";\nIF HEADER :CONTAINS "subject" "meeting" { FILEINTO "Upper"; }\n')
case("comparator name is case-insensitive", 'require "fileinto";\nif header :is :comparator "I;OCTET" "subject" "Meeting on Tuesday" { fileinto "Octet"; }\n')
case("bracket comment with stars", 'require "fileinto";\n/** a ** comment **/ fileinto /* inside */ "Starred";\n')
case("hash comment right after a string", 'require "fileinto";\nfileinto "Hash"# comment\n;\n')
case("string list with one element", 'require ["fileinto"];\nfileinto "One";\n')
case("size with a K suffix in lower case", 'require "fileinto";\nif size :under 1k { fileinto "Small"; }\n')
case("number too large is invalid", 'if size :over 99999999999999999999999 { keep; }\n')
case(":days with a K suffix", 'require "vacation";\nvacation :days 1K "Long.";\n')
case("multi-line string in a CRLF script", 'require "reject";\r\nreject text:\r\nline one\r\nline two\r\n.\r\n;\r\n')
case("multi-line string keeps backslashes", 'require "reject";\nreject text:\nback\\slash and \\"quote\\"\n.\n;\n')
case("quoted string with a line break inside", 'require "reject";\nreject "first\nsecond";\n')
case("header :contains on raw UTF-8 (RFC 6532)", 'require "fileinto";\nif header :contains "subject" "Köln" { fileinto "Utf8"; } else { fileinto "No"; }\n', RAW8)
case("header :matches on a very long header", 'require ["fileinto", "variables"];\nif header :matches "x-long" "word0 * word299" { fileinto "Long"; }\n', RAW8)
case("header with two occurrences, :is the second", 'require "fileinto";\nif header :is "x-dup" "two" { fileinto "Two"; }\n', RAW8)
case("header name with dots and underscores", 'require "fileinto";\nif header :is "x-odd-name.with_chars" "odd" { fileinto "Odd"; }\n', RAW8)
case("body :text reaches into a message/rfc822 part", 'require ["fileinto", "body"];\nif body :text :contains "inner-body-marker" { fileinto "Inner"; } else { fileinto "No"; }\n', NESTED_RFC822)
case("body :content message/rfc822", 'require ["fileinto", "body"];\nif body :content "message/rfc822" :contains "inner-body-marker" { fileinto "Rfc822"; } else { fileinto "No"; }\n', NESTED_RFC822)
case("header test does not see the inner message's headers", 'require "fileinto";\nif header :is "subject" "original" { fileinto "Inner"; } else { fileinto "Outer"; }\n', NESTED_RFC822)
case("message without a body: body :contains \"\"", 'require ["fileinto", "body"];\nif body :contains "" { fileinto "Empty"; } else { fileinto "No"; }\n', NO_BODY)
case("message without a body: size", 'require "fileinto";\nif size :under 100 { fileinto "Tiny"; }\n', NO_BODY)
case("multipart part without Content-Type is text/plain (RFC 2046 §5.1)", 'require ["fileinto", "body"];\nif body :content "text/plain" :contains "implicit-text-plain" { fileinto "Default"; } else { fileinto "No"; }\n', NO_CT_MULTI)
case("body :text over two plain parts", 'require ["fileinto", "body"];\nif body :text :contains "second part" { fileinto "Second"; }\n', NO_CT_MULTI)
case("body :raw of a single-part message", 'require ["fileinto", "body"];\nif body :raw :contains "VGhlIGludm9pY2" { fileinto "RawB64"; }\n', BASE64_MSG)
case("body :content text/plain on a single-part base64 message", 'require ["fileinto", "body"];\nif body :content "text/plain" :contains "Pay by Friday" { fileinto "Pay"; }\n', BASE64_MSG)
case("address :all :is with upper-case local part keeps case under casemap", 'require "fileinto";\nif address :is "from" "ALICE@EXAMPLE.NET" { fileinto "CI"; }\n')
case("envelope :all with i;octet", 'require ["envelope", "fileinto"];\nif envelope :comparator "i;octet" :is "to" "ME@example.com" { fileinto "CS"; } else { fileinto "Exact"; }\n')
case(":count on address over headers with groups and bad entries", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"];\nif address :count "ge" :comparator "i;ascii-numeric" ["to", "cc", "bcc"] "5" { fileinto "GE5"; } else { fileinto "LT5"; }\n', GROUPS)
case(":value on string with i;ascii-numeric", 'require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];\nset "n" "42";\nif string :value "gt" :comparator "i;ascii-numeric" "${n}" "9" { fileinto "Bigger"; }\n')
case(":value \"eq\" with an empty value and i;ascii-numeric", 'require ["fileinto", "relational", "comparator-i;ascii-numeric"];\nif header :value "eq" :comparator "i;ascii-numeric" "x-empty" "" { fileinto "BothInf"; } else { fileinto "No"; }\n', FOLDED)
case("i;ascii-numeric with :matches is invalid", 'require ["relational", "comparator-i;ascii-numeric"];\nif header :matches :comparator "i;ascii-numeric" "x" "1*" { keep; }\n')
case("regex with a variable in the pattern", 'require ["fileinto", "regex", "variables"];\nset "day" "Tues";\nif header :regex "subject" "${day}day$" { fileinto "VarRx"; }\n')
case("regex with backreference-like text in a class", 'require ["fileinto", "regex", "variables"];\nif header :regex "subject" "^[^ ]+ ([a-z]+) " { fileinto "w-${1}"; }\n')
case("regex dot does not need to match a newline", 'require ["fileinto", "regex", "body"];\nif body :regex "Tuesday at ten\\\\?" { fileinto "Esc"; }\n')
case("regex and :count are different match types, both together is invalid", 'require ["regex", "relational"];\nif header :regex :count "eq" "subject" "1" { keep; }\n')
case("variables: ${1} after regex then :matches", 'require ["fileinto", "regex", "variables"];\nif header :regex "subject" "(Meet)ing" { set "a" "${1}"; }\nif header :matches "from" "* <*>" { set "b" "${2}"; }\nfileinto "${a}-${b}";\n')
case("set with a match variable inside a modifier", 'require ["fileinto", "variables"];\nif header :matches "subject" "* on *" { set :upper "d" "${2}"; }\nfileinto "${d}";\n')
case("set :lower on non-ASCII letters", 'require ["fileinto", "variables"];\nset :lower "v" "ÄRGER";\nfileinto "${v}";\n')
case("set :upperfirst on an empty string", 'require ["fileinto", "variables"];\nset :upperfirst "v" "";\nfileinto "x${v}x";\n')
case("variable name with underscore and digits", 'require ["fileinto", "variables"];\nset "my_var2" "ok";\nfileinto "${my_var2}";\n')
case("match variable ${09} is ${9}", 'require ["fileinto", "variables"];\nif header :matches "subject" "*e*e*" { fileinto "${01}|${002}"; }\n')
case("flag with a backslash that is not a system flag", 'require "imap4flags";\naddflag "\\\\Unknown";\nkeep;\n')
case("hasflag with a list of keys", 'require ["fileinto", "imap4flags"];\naddflag "B";\nif hasflag ["a", "b"] { fileinto "Any"; }\n')
case("hasflag :matches", 'require ["fileinto", "imap4flags"];\naddflag "$Label5";\nif hasflag :matches "$label?" { fileinto "Label"; }\n')
case("removeflag with a list and a variable", 'require ["imap4flags", "variables"];\nsetflag "fl" "A B C";\nremoveflag "fl" ["b", "c"];\nkeep :flags "${fl}";\n')
case("vacation :addresses with a variable", 'require ["vacation", "variables"];\nset "alt" "me@example.org";\nvacation :addresses ["${alt}"] "Back.";\n')
case("vacation :handle with a variable", 'require ["vacation", "variables"];\nset "h" "dyn";\nvacation :handle "${h}-handle" "Back.";\n')
case("vacation :from with a variable", 'require ["vacation", "variables"];\nset "me" "me@example.com";\nvacation :from "${me}" "Back.";\n')
case("vacation :subject empty", 'require "vacation";\nvacation :subject "" "Back.";\n')
case("vacation inside stop-guarded branch", 'require "vacation";\nif header :contains "subject" "Meeting" { vacation "Away."; stop; }\ndiscard;\n')
case("redirect with an upper-case domain and local part", 'redirect "Bob@EXAMPLE.org";\nredirect "bob@example.ORG";\n')
case("redirect to an address with a quoted local part", 'redirect "\\"bob smith\\"@example.org";\n')
case("fileinto mailbox names differing in case are two mailboxes", 'require "fileinto";\nfileinto "Work";\nfileinto "work";\n')
case("fileinto inbox in lower case is INBOX", 'require "fileinto";\nfileinto "inbox";\n')
case("keep then fileinto INBOX with flags", 'require ["fileinto", "imap4flags"];\nkeep;\nfileinto :flags "Z" "INBOX";\n')
case("discard then fileinto", 'require "fileinto";\ndiscard;\nfileinto "After";\n')
case("allof with a single test", 'require "fileinto";\nif allof (true) { fileinto "One"; }\n')
case("not not false", 'require "fileinto";\nif not not false { fileinto "Yes"; } else { fileinto "No"; }\n')
case("exists on header with different case in the message", 'require "fileinto";\nif exists "message-id" { fileinto "HasId"; }\n')
case("date :value with relational on hour", 'require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"];\nif date :originalzone :value "lt" :comparator "i;ascii-numeric" "date" "hour" "12" { fileinto "Morning"; }\n')
case("date with :zone +1400", 'require ["fileinto", "date", "variables"];\nif date :zone "+1400" :matches "date" "date" "*" { fileinto "${1}"; }\n')
case("date year of a 19xx two-digit year (RFC 5322 §4.3)", 'require ["fileinto", "date", "variables"];\nif date :originalzone :matches "date" "year" "*" { fileinto "y${1}"; }\n',
     with_headers("Date: Mon, 1 Mar 49 12:00:00 +0000", drop=("Date",)))
case("date :count of Received dates", 'require ["fileinto", "date", "relational", "comparator-i;ascii-numeric"];\nif date :count "eq" :comparator "i;ascii-numeric" "date" "year" "1" { fileinto "One"; }\n')


# --- more syntax, limits and cost (appended) ------------------------------------------
AAAA = with_headers("X-Aaa: " + "a" * 300, "X-Short-Aaa: " + "a" * 18)
case("encoded-character with an empty hex sequence", 'require ["fileinto", "encoded-character"];\nfileinto "x${hex:}y";\n')
case("encoded-character with padding spaces", 'require ["fileinto", "encoded-character"];\nfileinto "${hex: 41  42 }";\n')
case(":matches with many stars on a long value", 'require "fileinto";\nif header :matches "x-aaa" "*a*a*a*a*a*a*a*a*a*a*a*a*b" { fileinto "Yes"; } else { fileinto "No"; }\n', AAAA)
case(":matches with many stars that does match", 'require "fileinto";\nif header :matches "x-aaa" "*a*a*a*a*a*a*a*a*a*a*a*a" { fileinto "Yes"; } else { fileinto "No"; }\n', AAAA)
case("regex with nested repetition does not blow up", 'require ["fileinto", "regex"];\nif header :regex "x-short-aaa" "^(a+)+b$" { fileinto "Yes"; } else { fileinto "No"; }\n', AAAA)
case("several require commands", 'require "fileinto";\nrequire "copy";\nfileinto :copy "Two";\n')
case("elsif after else is invalid", 'if false { keep; } else { discard; } elsif true { keep; }\n')
case(":count without a comparator compares as strings", 'require ["fileinto", "relational"];\nif header :count "gt" "received" "10" { fileinto "StrGT"; } else { fileinto "StrLE"; }\n', MULTI_FROM)
case("exists with an empty header name", 'if exists "" { keep; }\n')
case("header with an empty header name", 'if header :contains "" "x" { keep; }\n')
case("keep :flags without imap4flags is invalid", 'keep :flags "\\\\Seen";\n')
case("discard with an argument is invalid", 'discard "now";\n')
case("redirect :copy without require is invalid", 'redirect :copy "bob@example.org";\n')
case("script with a UTF-8 byte order mark", '\ufeffrequire "fileinto";\nfileinto "Bom";\n')
case("script with invalid UTF-8 in a string", 'require "fileinto";\nfileinto "bad\udcff";\n')
case("script with a NUL byte in a comment", 'keep; # nul \x00 here\n')
case("tag before a positional argument in the wrong place", 'require "fileinto";\nfileinto "Box" :copy;\n')
case("test list with a trailing comma is invalid", 'if anyof (true, ) { keep; }\n')
case("string list with a trailing comma is invalid", 'if header :is ["subject", ] "x" { keep; }\n')
case("empty string list is invalid", 'if header :is [] "x" { keep; }\n')
case("block with only a semicolon is invalid", 'if true { ; }\n')
case("two semicolons are invalid", 'keep;;\n')
case("identifier starting with a digit is invalid", 'require "fileinto";\n1fileinto "X";\n')
case("deep nesting beyond 32 levels", 'require "fileinto";\n' + "if true { " * 40 + 'fileinto "Deep";' + " }" * 40 + "\n")
case("deep test nesting with not", 'require "fileinto";\nif ' + "not " * 50 + 'false { fileinto "Even"; }\n')


# --- realistic scripts as clients write them (appended) ---------------------------------
SPAM_MSG = with_headers("X-Spam-Flag: YES", "X-Spam-Score: 9.5", "X-Spam-Level: *********")
case("Roundcube-style vacation with a date range", r'''require ["vacation", "date", "relational"];
# rule:[Out of office]
if allof (currentdate :value "ge" "date" "2024-01-01", currentdate :value "le" "date" "2099-12-31")
{
	vacation :days 7 :subject "Out of office" :from "me@example.com" "I am out of the office.";
}
''')
case("Roundcube-style vacation whose range is over", r'''require ["vacation", "date", "relational"];
if allof (currentdate :value "ge" "date" "2020-01-01", currentdate :value "le" "date" "2020-12-31")
{
	vacation :days 7 "Old.";
}
''')
case("list sorter with variables", r'''require ["fileinto", "variables", "mailbox"];
if header :matches "list-id" "*<*.lists.example.org>" { fileinto :create "Lists.${2}"; stop; }
fileinto "Other";
''', LIST_MSG)
case("subaddress sorter", r'''require ["envelope", "subaddress", "fileinto", "variables", "mailbox"];
if envelope :detail :matches "to" "?*" { set :lower "box" "${0}"; fileinto :create "Plus.${box}"; }
''', M0, {"to": "me+Shopping@example.com"})
case("spam rule on X-Spam-Flag and score", r'''require ["fileinto", "imap4flags", "relational", "comparator-i;ascii-numeric"];
if anyof (header :is "x-spam-flag" "YES", header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5") {
	fileinto :flags "\\Seen" "Junk";
	stop;
}
keep;
''', SPAM_MSG)
case("forward a copy and keep", r'''require ["copy"];
# rule:[forward]
if true { redirect :copy "me@example.org"; }
''')
case("Thunderbird-style multi-rule script", r'''require ["fileinto", "reject", "envelope", "imap4flags"];
# rule 1
if header :contains "subject" ["[dev]", "[ops]"] { fileinto "Work.Dev"; stop; }
# rule 2
if address :is "from" ["boss@example.com", "alice@example.net"] { addflag "\\Flagged"; fileinto "Important"; }
# rule 3
if size :over 10M { reject "Too large."; stop; }
# rule 4
if not exists "x-priority" { addflag "normal"; }
''')
case("many rules, first match wins", 'require ["fileinto"];\n' + "".join(
    'if header :contains "subject" "keyword%d" { fileinto "Box%d"; stop; }\n' % (i, i) for i in range(40))
    + 'if header :contains "subject" "Tuesday" { fileinto "Tuesday"; stop; }\nfileinto "Rest";\n')
case("date-based sorting into year folders", r'''require ["fileinto", "date", "variables", "mailbox"];
if date :originalzone :matches "date" "year" "*" { set "y" "${1}"; }
if date :originalzone :matches "date" "month" "*" { set "m" "${1}"; }
fileinto :create "Archive.${y}.${m}";
''')
case("discard mail from a blocked domain, keep the rest flagged", r'''require ["imap4flags"];
if address :domain :is "from" ["spam.example", "junk.example"] { discard; stop; }
setflag "\\Seen";
''')


# --- found by explore.go (appended) -------------------------------------------------------
CHARS = with_headers("X-Char: a", "X-Bracket: [list]")
case("i;ascii-casemap orders after mapping to upper case (RFC 4790 §9.2.1)", r'''require ["fileinto", "relational"];
if header :value "lt" "x-char" "_" { fileinto "Less"; } else { fileinto "NotLess"; }
''', CHARS)
case("i;ascii-casemap ordering against a backslash", r'''require ["fileinto", "relational"];
if header :value "gt" "x-bracket" "\\" { fileinto "Greater"; } else { fileinto "NotGreater"; }
''', CHARS)
case("i;octet ordering is by octet value", r'''require ["fileinto", "relational"];
if header :comparator "i;octet" :value "gt" "x-char" "_" { fileinto "Greater"; } else { fileinto "NotGreater"; }
''', CHARS)
case("redirect to an address that is invalid after variable expansion", r'''require "variables";
set "u" "bob@example.net";
redirect "${u}@example.org";
''')
case("redirect to an empty address after expansion", r'''require "variables";
redirect "${nothing}";
''')
case("fileinto a mailbox name from a header value", r'''require ["fileinto", "variables"];
if header :matches "x-bracket" "*" { fileinto "${1}"; }
''', CHARS)

case("i;ascii-numeric :is of an empty value and a word: both are infinity (RFC 4790 §9.1.1)", r'''require ["fileinto", "comparator-i;ascii-numeric"];
if header :is :comparator "i;ascii-numeric" "x-empty" "none" { fileinto "BothInf"; } else { fileinto "No"; }
''', FOLDED)
case("i;ascii-numeric :is of a word and an empty key", r'''require ["fileinto", "comparator-i;ascii-numeric"];
if header :is :comparator "i;ascii-numeric" "x-word" "" { fileinto "BothInf"; } else { fileinto "No"; }
''', NUMERIC)
case("vacation replies to the envelope sender, not the From header", 'require "vacation";\nvacation :days 1 "Away.";\n', M0, {"from": "bounce-7@lists.example.org"})
case("vacation when the recipient is only in :addresses", 'require "vacation";\nvacation :addresses "me@example.com" "Away.";\n', M0, {"to": "alias@example.com"})
case("ereject with a multi-line reason", 'require "ereject";\nereject text:\nNot accepted.\nGo away.\n.\n;\n')
case("reject with a non-ASCII reason", 'require "reject";\nreject "Abgelehnt: Grüße";\n')
case("ereject without its own require is invalid", 'require "reject";\nereject "no";\n')

# --- address-list parsing of odd and malformed values (appended; found by explore.go -mode addr)
ADDR_SCRIPT = r'''require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
if address :all :matches "to" "*" { fileinto "all[${1}]"; }
if address :localpart :matches "to" "*" { fileinto "lp[${1}]"; }
if address :domain :matches "to" "*" { fileinto "dom[${1}]"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "0" { fileinto "n0"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "1" { fileinto "n1"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { fileinto "n2"; }
if address :count "ge" :comparator "i;ascii-numeric" "to" "3" { fileinto "n3+"; }
'''


def to_msg(value):
    return msg(["From: a@example.org", "To: " + value, "Subject: address list"], "body\n")


for what, value in [
    ("an empty To header", ""),
    ("a domain literal", "<x+tag@[192.0.2.1]>"),
    ("nested comments after an address", "bob@example.com (nested (comment))"),
    ("a comment before the address", "(c) bob@example.com"),
    ("a valid, an invalid (space in the domain), a valid address", "a@example.com, b@ex ample.com, c@example.com"),
    ("an invalid address first, then a valid one", "b@ex ample.com, c@example.com"),
    ("a display name with an encoded word", "=?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>"),
    ("an angle address without a domain", "Bob <bob>"),
    ("a group holding an invalid address", "team: a@example.com, b@ex ample.com;, c@example.com"),
    ("an empty group then an address", "team: ;, c@example.com"),
    ("empty list elements between commas", "a@example.com,, ,b@example.com"),
    ("an unterminated angle address", "Bob <bob@example.com"),
    ("a quoted local part holding @", "\"a@b\"@example.com"),
    ("the null address <>", "<>"),
    ("an address with a trailing dot in the domain", "bob@example.com."),
    ("two addresses without a comma", "a@example.com b@example.com"),
]:
    case("address list: " + what, ADDR_SCRIPT, to_msg(value))
case("RFC 2047 word with a truncated UTF-8 sequence", r'''require ["fileinto", "encoded-character"];
if header :contains "x-h" "${unicode:fffd}" { fileinto "Replacement"; }
elsif header :contains "x-h" "${hex:e2 82}" { fileinto "RawBytes"; }
else { fileinto "Other"; }
''', with_headers("X-H: =?UTF-8?Q?=E2=82?= end"))
case("RFC 2047 word in windows-1252", 'require "fileinto";\nif header :contains "x-h" "€uro" { fileinto "Euro"; } else { fileinto "No"; }\n',
     with_headers("X-H: =?WINDOWS-1252?Q?=80uro?="))
case("RFC 2047 Q encoding with underscores and lower-case names", 'require "fileinto";\nif header :is "x-h" "a b c" { fileinto "Spaces"; } else { fileinto "No"; }\n',
     with_headers("X-H: =?utf-8?q?a_b_c?="))
case("RFC 2047 word adjacent to a quote in an unstructured field", 'require "fileinto";\nif header :is "x-h" "\\"quoted =?UTF-8?Q?x?=\\"" { fileinto "Literal"; } else { fileinto "Decoded"; }\n',
     with_headers('X-H: "quoted =?UTF-8?Q?x?="'))
case("RFC 2047 word glued to preceding text", r'''require "fileinto";
if header :is "x-h" "abc=?UTF-8?Q?caf=C3=A9?=" { fileinto "Literal"; }
elsif header :is "x-h" "abccafé" { fileinto "Decoded"; }
else { fileinto "Other"; }
''', with_headers("X-H: abc=?UTF-8?Q?caf=C3=A9?="))
case("body :text skips a part with an unknown transfer encoding (RFC 2045 §6.4)", 'require ["fileinto", "body"];\nif body :text :contains "secret-marker" { fileinto "Seen"; } else { fileinto "Skipped"; }\n',
     msg(["From: a@example.org", "To: me@example.com", "Subject: unknown cte", "MIME-Version: 1.0",
          "Content-Type: text/plain", "Content-Transfer-Encoding: x-uuencode-ish"], "text with secret-marker inside\n"))
case("body :raw still sees a part with an unknown transfer encoding", 'require ["fileinto", "body"];\nif body :raw :contains "secret-marker" { fileinto "Seen"; } else { fileinto "Skipped"; }\n',
     msg(["From: a@example.org", "To: me@example.com", "Subject: unknown cte", "MIME-Version: 1.0",
          "Content-Type: text/plain", "Content-Transfer-Encoding: x-uuencode-ish"], "text with secret-marker inside\n"))
case("multipart/digest part defaults to message/rfc822 (RFC 2046 §5.1.5), whose body is text/plain", 'require ["fileinto", "body"];\nif body :content "text/plain" :contains "digest-marker" { fileinto "AsText"; } else { fileinto "NotText"; }\n',
     msg(["From: a@example.org", "To: me@example.com", "Subject: digest", "MIME-Version: 1.0",
          'Content-Type: multipart/digest; boundary="d"'], "--d\n\nSubject: inner\n\ndigest-marker in an inner message\n--d--\n"))
case("multipart/digest part: body :text reads the inner message", 'require ["fileinto", "body"];\nif body :text :contains "digest-marker" { fileinto "Inner"; } else { fileinto "No"; }\n',
     msg(["From: a@example.org", "To: me@example.com", "Subject: digest", "MIME-Version: 1.0",
          'Content-Type: multipart/digest; boundary="d"'], "--d\n\nSubject: inner\n\ndigest-marker in an inner message\n--d--\n"))
for what, value in [
    ("an angle address without a domain, then a valid one", "Bob <bob>, c@example.com"),
    ("an angle address without a local part, then a valid one", "<@example.com>, c@example.com"),
    ("a group with an address without a domain, then a valid one", "team: Bob <bob>;, c@example.com"),
    ("a valid address, then one without a domain", "c@example.com, Bob <bob>"),
]:
    case("address list: " + what, ADDR_SCRIPT, to_msg(value))
for what, value in [
    ("a header holding only a comment", "(c)"),
    ("garbage before a valid address", "garbage <, c@example.com"),
    ("a valid address, garbage, a valid address", "a@example.com, garbage <, c@example.com"),
]:
    case("address list: " + what, ADDR_SCRIPT, to_msg(value))
case("RFC 2047: white space between an encoded word and one with an unknown encoding", r'''require ["fileinto", "encoded-character"];
if header :contains "x-h" "${hex:09}" { fileinto "TabKept"; } else { fileinto "TabDropped"; }
''', with_headers("X-H: =?UTF-8?Q?caf=C3=A9?=\t=?UTF-8?X?abc?="))
for what, value in [
    ("a bare @domain entry before a valid address", "@example.com, c@example.com"),
    ("an angle address with a bad domain inside a group, then a valid address", "team: Bob <@ex ample.com>;, c@example.com"),
]:
    case("address list: " + what, ADDR_SCRIPT, to_msg(value))

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    wanted = set()
    for n, (what, script, eml, env) in enumerate(CASES, 1):
        base = os.path.join(here, "%03d" % n)
        # The first line of every script says what the pair checks.
        body = "# %03d: %s\n%s" % (n, what, script)
        if script.startswith("\ufeff"):  # a byte order mark must stay first
            body = "\ufeff# %03d: %s\n%s" % (n, what, script[1:])
        if "\r\n" in script:
            body = body.replace("\n", "\r\n").replace("\r\r\n", "\r\n")
        files = {".sieve": body.encode("utf-8", "surrogateescape"), ".eml": eml}
        if env:
            lines = []
            if "from" in env:
                lines.append("from %s" % (env["from"] or "<>"))
            if "to" in env:
                lines.append("to %s" % env["to"])
            files[".env"] = ("\n".join(lines) + "\n").encode()
        for ext, data in files.items():
            with open(base + ext, "wb") as f:
                f.write(data)
            wanted.add(base + ext)
    for p in glob.glob(os.path.join(here, "[0-9][0-9][0-9].*")):
        if p not in wanted and not p.endswith(".expected"):
            os.remove(p)
    for p in glob.glob(os.path.join(here, "[0-9][0-9][0-9].expected")):
        if p[:-len(".expected")] + ".sieve" not in wanted:
            os.remove(p)
    print("%d pairs" % len(CASES))


if __name__ == "__main__":
    main()
