package sieve

import "testing"

func TestVacation(t *testing.T) {
	runCases(t, []lineCase{
		{"default", `require "vacation"; vacation "away";`,
			"vacation to=sender@example.org seconds=604800 subject= handle=away<default-subject><default-from><NO-MIME> mime=no from=-|implicit keep"},
		{"days", `require "vacation"; vacation :days 3 :subject "Out" :from "me@example.com" :mime :handle "h1" "away";`,
			"vacation to=sender@example.org seconds=259200 subject=Out handle=h1 mime=yes from=me@example.com|implicit keep"},
		{"seconds", `require ["vacation","vacation-seconds"]; vacation :seconds 90000 "away";`,
			"vacation to=sender@example.org seconds=90000 subject= handle=away<default-subject><default-from><NO-MIME> mime=no from=-|implicit keep"},
		{"seconds-min", `require ["vacation","vacation-seconds"]; vacation :seconds 10 "away";`,
			"vacation to=sender@example.org seconds=86400 subject= handle=away<default-subject><default-from><NO-MIME> mime=no from=-|implicit keep"},
		{"seconds-no-require", `require "vacation"; vacation :seconds 10 "away";`, "invalid"},
		{"days-and-seconds", `require ["vacation","vacation-seconds"]; vacation :days 1 :seconds 10 "away";`, "invalid"},
		{"twice", `require "vacation"; vacation "a"; vacation "b";`, "error|implicit keep"},
		{"with-reject", `require ["vacation","reject"]; vacation "a"; reject "b";`, "error|implicit keep"},
		{"bad-from", `require "vacation"; vacation :from "not an address" "a";`, "invalid"},
	})
}

func TestIMAP4Flags(t *testing.T) {
	runCases(t, []lineCase{
		{"setflag-implicit", `require "imap4flags"; setflag "\\Seen";`, `implicit keep flags=\seen`},
		{"addflag-keep", `require "imap4flags"; addflag ["\\Seen", "A b"]; addflag "a"; keep;`, `store INBOX flags=\seen a b|implicit none`},
		{"removeflag", `require "imap4flags"; addflag "a b c"; removeflag "B"; keep;`, `store INBOX flags=a c|implicit none`},
		{"fileinto-flags", `require ["imap4flags","fileinto"]; addflag "x"; fileinto :flags "\\Flagged" "F"; fileinto "G";`,
			`store F flags=\flagged|store G flags=x|implicit none`},
		{"hasflag", `require "imap4flags"; addflag "Junk"; if hasflag :is "junk" { discard; }`, "discard|implicit none"},
		{"hasflag-count", `require ["imap4flags","relational","comparator-i;ascii-numeric"]; addflag "a b c"; if hasflag :count "eq" :comparator "i;ascii-numeric" "3" { discard; }`, "discard|implicit none"},
		{"variable-form", `require ["imap4flags","variables"]; setflag "f" "a"; addflag "f" "b"; if hasflag "f" "b" { addflag "${f}"; }`, "implicit keep flags=a b"},
		{"variable-form-no-variables", `require "imap4flags"; setflag "f" "a";`, "invalid"},
		{"keep-flags-no-require", `keep :flags "a";`, "invalid"},
	})
}

func TestCopyAndMailbox(t *testing.T) {
	runCases(t, []lineCase{
		{"fileinto-copy", `require ["fileinto","copy"]; fileinto :copy "A";`, "store A|implicit keep"},
		{"redirect-copy", `require "copy"; redirect :copy "a@example.net";`, "redirect a@example.net|implicit keep"},
		{"copy-no-require", `require "fileinto"; fileinto :copy "A";`, "invalid"},
		{"create", `require ["fileinto","mailbox"]; fileinto :create "New";`, "store New|implicit none"},
		{"ereject", `require "ereject"; ereject "no";`, "reject no|implicit none"},
	})
}
