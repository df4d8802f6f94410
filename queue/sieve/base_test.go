package sieve

import "testing"

func TestBaseLanguage(t *testing.T) {
	runCases(t, []lineCase{
		{"empty", ``, "implicit keep"},
		{"keep", `keep;`, "store INBOX|implicit none"},
		{"discard", `discard;`, "discard|implicit none"},
		{"fileinto", `require "fileinto"; fileinto "Lists";`, "store Lists|implicit none"},
		{"fileinto-no-require", `fileinto "Lists";`, "invalid"},
		{"redirect", `redirect "x@example.net";`, "redirect x@example.net|implicit none"},
		{"redirect-twice", `redirect "x@example.net"; redirect "X@example.net";`, "redirect x@example.net|implicit none"},
		{"fileinto-twice", `require "fileinto"; fileinto "A"; fileinto "A"; keep; keep;`, "store A|store INBOX|implicit none"},
		{"if-header", `require "fileinto"; if header :contains "subject" "acme" { fileinto "acme"; } else { keep; }`, "store acme|implicit none"},
		{"elsif", `require "fileinto"; if false { discard; } elsif header :is "x-spam-score" "7" { fileinto "spam"; } else { keep; }`, "store spam|implicit none"},
		{"else-without-if", `else { keep; }`, "invalid"},
		{"stop", `keep; stop; discard;`, "store INBOX|implicit none"},
		{"address-domain", `if address :domain :is "to" "example.net" { discard; }`, "discard|implicit none"},
		{"address-localpart", `if address :localpart :is "from" "alice+lists" { discard; }`, "discard|implicit none"},
		{"address-group-empty", `if address :all :is "cc" "undisclosed-recipients:;" { discard; }`, "discard|implicit none"},
		{"exists", `if exists ["from","date"] { discard; }`, "discard|implicit none"},
		{"exists-not", `if exists ["from","x-nope"] { discard; }`, "implicit keep"},
		{"size-over", `if size :over 100 { discard; }`, "discard|implicit none"},
		{"size-under", `if size :under 1K { discard; }`, "discard|implicit none"},
		{"not-anyof", `if not anyof (false, header :is "subject" "x") { discard; }`, "discard|implicit none"},
		{"allof", `if allof (true, header :matches "subject" "*acme*") { discard; }`, "discard|implicit none"},
		{"contains-empty", `if header :contains "subject" "" { discard; }`, "discard|implicit none"},
		{"contains-empty-absent", `if header :contains "x-absent" "" { discard; }`, "implicit keep"},
		{"octet", `if header :comparator "i;octet" :contains "subject" "ACME" { discard; }`, "implicit keep"},
		{"matches-question", `if header :matches "x-spam-score" "?" { discard; }`, "discard|implicit none"},
		{"unknown-test", `if foo { keep; }`, "invalid"},
		{"unknown-command", `foo;`, "invalid"},
		{"require-late", `keep; require "fileinto";`, "invalid"},
		{"unknown-ext", `require "nope";`, "invalid"},
		{"reject", `require "reject"; reject "go away";`, "reject go away|implicit none"},
		{"reject-conflict", `require "reject"; keep; reject "no";`, "error|implicit keep"},
		{"multiline", "require \"reject\"; reject text:\r\nline 1\r\n..dot\r\n.\r\n;", `reject line 1\n.dot\n|implicit none`},
	})
}
