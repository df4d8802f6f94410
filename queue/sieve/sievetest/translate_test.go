package sievetest

import (
	"slices"
	"strings"
	"testing"
)

// Samples captured from sieve-test 2.3.19 (Debian dovecot-sieve).
const sampleMany = `
Performed actions:

 * store message in folder: INBOX
        + add IMAP flags: A b
 * store message in folder: Box
        + create mailbox if it does not exist
        + preserve implicit keep
        + add IMAP flags: x
 * redirect message to: <a@b.c>
        + preserve implicit keep
 * redirect message to: <A@b.c>

Implicit keep:

  (none)

`

const sampleVacation = `
Performed actions:

 * store message in folder: Lists
        + add IMAP flags: \seen Foo
 * redirect message to: <bob@example.org>
 * send vacation message:
    => seconds : 259200
    => subject : away
    => handle  : I am awayaway<default-from><NO-MIME>

START MESSAGE
I am away
END MESSAGE

Implicit keep:

  (none)

`

const sampleVacationMultiline = "\nPerformed actions:\n\n * send vacation message:\n" +
	"    => seconds : 259200\n    => from    : me@example.com\n" +
	"    => handle  : Content-Type: text/plain\r\n\r\nhi<default-subject>me@example.com<MIME>\n\n" +
	"START MESSAGE\nContent-Type: text/plain\r\n\r\nhi\nEND MESSAGE\n\nImplicit keep:\n\n * store message in folder: INBOX\n\n"

const sampleExplicitHandle = `
Performed actions:

 * send vacation message:
    => seconds : 259200
    => subject : S
    => from    : me@example.com
    => handle  : h1

START MESSAGE
Content-Type: text/plain

hi
END MESSAGE

Implicit keep:

  (none)
`

const sampleDumpMime = `
* Main program (block: 2):

Address   Line  Code
00000000:       DEBUG BLOCK: 3
00000001:       EXTENSIONS [2]:
00000002:         vacation
00000004:         fileinto
00000006:    1: FILEINTO
00000007:         folder: STR[1] "X"
0000000b:    1: VACATION
0000000e:         seconds: NUM 259200
00000013:         subject: STR[1] "S"
00000018:         from: STR[14] "me@example.com"
00000029:         mime
0000002b:         addresses: STR[3] "x@y"
00000032:         reason: STR[30] "Content-Type: text/plain????hi"
00000053:         handle: STR[2] "h1"
00000058:    1: [End of code]
`

const sampleImplicitFlags = `
Performed actions:

  (none)

Implicit keep:

 * store message in folder: INBOX
        + add IMAP flags: \seen

`

const sampleReject = `
Performed actions:

 * reject message with reason: line1??line2

Implicit keep:

  (none)

`

func TestTranslate(t *testing.T) {
	cases := []struct {
		name           string
		status         int
		stdout, stderr string
		dump           string
		want           []string
	}{
		{"merged stores and redirects", 0, sampleMany, "", "", []string{
			"store INBOX flags=a b", "store Box flags=x", "redirect a@b.c", "redirect A@b.c", "implicit none"}},
		{"vacation", 0, sampleVacation, "", "", []string{
			`store Lists flags=\seen foo`, "redirect bob@example.org",
			"vacation to=alice@example.net seconds=259200 subject=away handle=I am awayaway<default-from><NO-MIME> mime=no from=-",
			"implicit none"}},
		{"multi-line default handle", 0, sampleVacationMultiline, "", "", []string{
			`vacation to=alice@example.net seconds=259200 subject= handle=Content-Type: text/plain\n\nhi<default-subject>me@example.com<MIME> mime=yes from=me@example.com`,
			"implicit keep"}},
		{"explicit handle, mime from dump", 0, sampleExplicitHandle, "", sampleDumpMime, []string{
			"vacation to=alice@example.net seconds=259200 subject=S handle=h1 mime=yes from=me@example.com",
			"implicit none"}},
		{"explicit handle, no mime in dump", 0, sampleExplicitHandle, "",
			strings.Replace(sampleDumpMime, "00000029:         mime\n", "", 1), []string{
				"vacation to=alice@example.net seconds=259200 subject=S handle=h1 mime=no from=me@example.com",
				"implicit none"}},
		{"implicit keep with flags", 0, sampleImplicitFlags, "", "", []string{`implicit keep flags=\seen`}},
		{"reject", 0, sampleReject, "", "", []string{`reject line1\nline2`, "implicit none"}},
		{"runtime error", 1, "", "t: line 1: error: duplicate reject/ereject action not allowed (previously triggered one was here: t: line 1).\n" +
			"sieve-test(nobody): Info: final result: failed; resolved with successful implicit keep\n", "", []string{"error", "implicit keep"}},
		{"compile failure", 89, "", "t: line 1: error: unknown command 'frob' (only reported once at first occurrence).\n" +
			"t: error: validation failed.\nsieve-test(nobody): Fatal: failed to compile sieve script 'script.sieve'\n", "", []string{"invalid"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Translate(c.status, []byte(c.stdout), []byte(c.stderr), []byte(c.dump), "alice@example.net")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestTranslateRejectsUnknown(t *testing.T) {
	cases := []struct {
		name   string
		status int
		stdout string
		stderr string
	}{
		{"unknown action", 0, "\nPerformed actions:\n\n * frobnicate message\n\nImplicit keep:\n\n  (none)\n", ""},
		{"flags without store", 0, "\nPerformed actions:\n\n        + add IMAP flags: x\n\nImplicit keep:\n\n  (none)\n", ""},
		{"no sections", 0, "hello\n", ""},
		{"bad -f", 89, "", "sieve-test(nobody): Fatal: Invalid -f parameter: Missing domain\n"},
		{"other failure", 75, "", "sieve-test(nobody): Info: final result: temporary failure\n"},
		{"explicit handle, no dump", 0, sampleExplicitHandle, ""},
		{"mailbox name cut", 0, "\nPerformed actions:\n\n * store message in folder: " + strings.Repeat("x", 125) + "...\n\nImplicit keep:\n\n  (none)\n", ""},
		{"reject reason cut", 0, "\nPerformed actions:\n\n * reject message with reason: " + strings.Repeat("y", 125) + "...\n\nImplicit keep:\n\n  (none)\n", ""},
		{"vacation without end", 0, "\nPerformed actions:\n\n * send vacation message:\n    => seconds : 1\n    => handle  : h\n\nSTART MESSAGE\nx\n\nImplicit keep:\n\n  (none)\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Translate(c.status, []byte(c.stdout), []byte(c.stderr), nil, "alice@example.net")
			if err == nil {
				t.Fatalf("no error, lines %q", got)
			}
		})
	}
}

func FuzzTranslate(f *testing.F) {
	for _, s := range []string{sampleMany, sampleVacation, sampleVacationMultiline, sampleExplicitHandle, sampleImplicitFlags, sampleReject} {
		f.Add(s, sampleDumpMime)
	}
	f.Fuzz(func(t *testing.T, stdout, dump string) {
		lines, err := Translate(0, []byte(stdout), nil, []byte(dump), "a@b")
		if err != nil {
			return
		}
		if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "implicit ") {
			t.Fatalf("lines %q do not end with the implicit keep line", lines)
		}
		for _, l := range lines {
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("line %q holds a line break", l)
			}
		}
	})
}
