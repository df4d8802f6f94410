package sieve

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVariables(t *testing.T) {
	runCases(t, []lineCase{
		{"modifiers", `require ["variables","fileinto"]; set "a" "HeLLo wOrld"; set :lower :upperfirst "b" "${a}"; set :upper :lowerfirst "c" "${A}"; set :length "d" "${a}"; set :quotewildcard "e" "a*b?c\\d"; fileinto "${b}|${c}|${d}|${e}";`,
			`store Hello world|hELLO WORLD|11|a\*b\?c\\d|implicit none`},
		{"length-utf8", `require ["variables","fileinto"]; set :length "n" "ÄÖü"; fileinto "${n}";`, "store 3|implicit none"},
		{"unknown-empty", `require ["variables","fileinto"]; fileinto "[${nope}]";`, "store []|implicit none"},
		{"not-a-reference", `require ["variables","fileinto"]; set "a" "x"; fileinto "${}${1a}$${a}}";`, "store ${}${1a}$x}|implicit none"},
		{"match-vars", `require ["variables","fileinto"]; if header :matches "subject" "[*] *" { fileinto "${1}|${2}"; }`,
			"store acme-users|[fwd] version 1.0 is out|implicit none"},
		{"match-vars-address", `require ["variables","fileinto"]; if address :all :matches "from" "*+*@*" { fileinto "${0}|${1}|${2}|${3}"; }`,
			"store alice+lists@example.org|alice|lists|example.org|implicit none"},
		{"match-vars-question", `require ["variables","fileinto"]; if header :matches "x-spam-score" "?" { fileinto "s${1}"; }`, "store s7|implicit none"},
		{"match-vars-kept-on-failure", `require ["variables","fileinto"]; if header :matches "x-spam-score" "*" {} if header :matches "subject" "nomatch*" {} fileinto "s${1}";`, "store s7|implicit none"},
		{"variable-keys-are-patterns", `require ["variables","fileinto"]; set "p" "*acme*"; if header :matches "subject" "${p}" { fileinto "yes"; }`, "store yes|implicit none"},
		{"quotewildcard-keys", `require ["variables","fileinto"]; set :quotewildcard "p" "*acme*"; if header :matches "subject" "${p}" { fileinto "yes"; } else { fileinto "no"; }`, "store no|implicit none"},
		{"string-test", `require ["variables","fileinto"]; set "a" "abc"; if string :contains "${a}" "b" { fileinto "yes"; }`, "store yes|implicit none"},
		{"string-count-skips-empty", `require ["variables","relational","fileinto"]; if string :count "eq" ["a", "", "b"] "2" { fileinto "yes"; }`, "store yes|implicit none"},
		{"name-must-be-constant", `require "variables"; set "${a}" "b";`, "invalid"},
		{"bad-name", `require "variables"; set "1a" "b";`, "invalid"},
		{"two-case-modifiers", `require "variables"; set :lower :upper "a" "b";`, "invalid"},
		{"namespace", `require ["variables","fileinto"]; fileinto "${env.x}";`, "invalid"},
		{"no-require", `set "a" "b";`, "invalid"},
	})
}

func TestVariableLimits(t *testing.T) {
	s, err := Parse([]byte(`require ["variables","fileinto"]; set "a" "0123456789"; set "a" "${a}${a}${a}${a}"; fileinto "${a}";`), Limits{MaxVariableBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), &Input{Message: []byte(testMsg)})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Actions[0].(FileInto).Mailbox; got != "0123456789012345" {
		t.Errorf("truncated variable = %q", got)
	}
	if _, err := Parse([]byte(`require "variables"; set "a" "1"; set "b" "2"; set "c" "3";`), Limits{MaxVariables: 2}); err == nil {
		t.Error("third variable accepted with MaxVariables 2")
	}
}

func TestEncodedCharacter(t *testing.T) {
	runCases(t, []lineCase{
		{"hex-unicode", `require ["encoded-character","fileinto"]; fileinto "${hex:41 42}${unicode:263a}${hex:zz}${HEX: 43 }";`, "store AB☺${hex:zz}C|implicit none"},
		{"without-require", `require "fileinto"; fileinto "${hex:41}";`, "store ${hex:41}|implicit none"},
		{"surrogate", `require ["encoded-character","fileinto"]; fileinto "${unicode:D800}";`, "invalid"},
		{"too-large", `require ["encoded-character","fileinto"]; fileinto "${unicode:110000}";`, "invalid"},
	})
}

func TestComparatorsAndRelational(t *testing.T) {
	runCases(t, []lineCase{
		{"numeric-is", `require ["comparator-i;ascii-numeric"]; if header :is :comparator "i;ascii-numeric" "x-spam-score" "007" { discard; }`, "discard|implicit none"},
		{"numeric-no-require", `if header :is :comparator "i;ascii-numeric" "x-spam-score" "7" { discard; }`, "invalid"},
		{"numeric-contains", `require ["comparator-i;ascii-numeric"]; if header :contains :comparator "i;ascii-numeric" "x" "7" { discard; }`, "invalid"},
		{"unknown-comparator", `if header :is :comparator "i;nope" "x" "7" { discard; }`, "invalid"},
		{"value-gt", `require ["relational","comparator-i;ascii-numeric"]; if header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "5" { discard; }`, "discard|implicit none"},
		{"value-gt-string", `require "relational"; if header :value "gt" "subject" "B" { discard; }`, "discard|implicit none"},
		{"value-infinity", `require ["relational","comparator-i;ascii-numeric"]; if header :value "gt" :comparator "i;ascii-numeric" "subject" "99999" { discard; }`, "discard|implicit none"},
		{"count-addresses", `require ["relational","comparator-i;ascii-numeric"]; if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { discard; }`, "discard|implicit none"},
		{"count-addresses-not-parts", `require ["relational","subaddress","envelope"]; if allof(address :detail :count "eq" "to" "2", envelope :detail :count "eq" ["from","to"] "2") { discard; }`, "discard|implicit none"},
		{"count-absent", `require ["relational","comparator-i;ascii-numeric"]; if header :count "eq" :comparator "i;ascii-numeric" "x-none" "0" { discard; }`, "discard|implicit none"},
		{"bad-relation", `require "relational"; if header :value "gtx" "subject" "B" { discard; }`, "invalid"},
		{"no-require", `if header :count "eq" "subject" "1" { discard; }`, "invalid"},
	})
}

func TestRegex(t *testing.T) {
	runCases(t, []lineCase{
		{"groups", `require ["regex","variables","fileinto"]; if header :regex "subject" "\\[([a-z]+)-([a-z]+)\\]" { fileinto "${0}|${1}|${2}"; }`, "store [acme-users]|acme|users|implicit none"},
		{"casemap", `require ["regex"]; if header :regex "subject" "ACME" { discard; }`, "discard|implicit none"},
		{"octet", `require ["regex"]; if header :regex :comparator "i;octet" "subject" "ACME" { discard; }`, "implicit keep"},
		{"backreference-refused", `require ["regex"]; if header :regex "subject" "(a)\\1" { discard; }`, "invalid"},
		{"invalid", `require ["regex"]; if header :regex "subject" "(" { discard; }`, "invalid"},
		{"variable-pattern", `require ["regex","variables"]; set "p" "acme-[a-z]+"; if header :regex "subject" "${p}" { discard; }`, "discard|implicit none"},
		{"variable-pattern-invalid-is-runtime-error", `require ["regex","variables"]; set "p" "("; if header :regex "subject" "${p}" { discard; }`, "error|implicit keep"},
		{"no-require", `if header :regex "subject" "a" { discard; }`, "invalid"},
	})
	if _, err := Parse([]byte(`require "regex"; if header :regex "s" "`+strings.Repeat("a", 40)+`" { keep; }`), Limits{MaxRegexBytes: 32}); err == nil {
		t.Error("40-byte pattern accepted with MaxRegexBytes 32")
	}
}

func TestEnvelopeAndSubaddress(t *testing.T) {
	runCases(t, []lineCase{
		{"from", `require "envelope"; if envelope :is "from" "sender@example.org" { discard; }`, "discard|implicit none"},
		{"to-domain", `require "envelope"; if envelope :domain :is "to" "EXAMPLE.com" { discard; }`, "discard|implicit none"},
		{"user", `require ["envelope","subaddress"]; if envelope :user :is "to" "bob" { discard; }`, "discard|implicit none"},
		{"detail", `require ["envelope","subaddress","fileinto","variables"]; if envelope :detail :matches "to" "*" { fileinto "d-${0}"; }`, "store d-box|implicit none"},
		{"header-detail", `require ["subaddress","fileinto"]; if address :detail "from" "lists" { fileinto "L"; }`, "store L|implicit none"},
		{"unknown-part", `require "envelope"; if envelope :is "auth" "x" { discard; }`, "invalid"},
		{"no-require", `if envelope :is "from" "x" { discard; }`, "invalid"},
		{"detail-no-require", `if address :detail "from" "x" { discard; }`, "invalid"},
		{"address-non-address-header", `if address :is "subject" "x" { discard; }`, "invalid"},
	})
	// RFC 5228 §5.4: the null reverse-path is the empty string
	s, _ := Parse([]byte(`require "envelope"; if envelope :all :is "from" "" { discard; }`), Limits{})
	res, _ := s.Run(context.Background(), &Input{Message: []byte(testMsg)})
	if got := strings.Join(res.Lines(), "|"); got != "discard|implicit none" {
		t.Errorf("null sender: %q", got)
	}
	// RFC 5233 §4: no detail without the separator
	s, _ = Parse([]byte(`require ["envelope","subaddress"]; if envelope :detail :matches "to" "*" { discard; }`), Limits{})
	res, _ = s.Run(context.Background(), &Input{EnvelopeTo: "bob@example.com", Message: []byte(testMsg)})
	if got := strings.Join(res.Lines(), "|"); got != "implicit keep" {
		t.Errorf("no detail: %q", got)
	}
}

func TestHeaderDecoding(t *testing.T) {
	msg := "From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>\r\n" +
		"Subject: =?ISO-8859-1?Q?caf=E9?= =?ISO-8859-1?Q?_cr=E8me?= and =?UTF-8?B?bad!?=\r\n" +
		"X-Folded: one\r\n two\r\n" +
		"\r\nbody\r\n"
	for _, c := range []struct{ script, want string }{
		{`if header :is "subject" "café crème and =?UTF-8?B?bad!?=" { discard; }`, "discard|implicit none"},
		{`if header :contains "from" "Jörg" { discard; }`, "discard|implicit none"},
		{`if header :is "x-folded" "one two" { discard; }`, "discard|implicit none"},
		{`if address :is "from" "joerg@example.de" { discard; }`, "discard|implicit none"},
	} {
		if got := strings.Join(linesOf(t, c.script, msg), "|"); got != c.want {
			t.Errorf("%s: got %q want %q", c.script, got, c.want)
		}
	}
}

func TestAddressParsing(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string // :all of each address; "!" prefix = not valid (only :all)
	}{
		{"a@b.c", []string{"a@b.c"}},
		{"Alice <a@b.c>, \"Bob, Jr.\" <bob@x.y>", []string{"a@b.c", "bob@x.y"}},
		{"team: a@b.c, c@d.e;, f@g.h", []string{"a@b.c", "c@d.e", "f@g.h"}},
		{"undisclosed-recipients:;", []string{"!undisclosed-recipients:;"}},
		{"a@b.c (comment), <@route:d@e.f>", []string{"a@b.c", "d@e.f"}},
		{"\"a b\"@c.d", []string{"\"a b\"@c.d"}},
		{"plain", []string{"!plain"}},
		{"a@b, plain, c@d", []string{"a@b", "c@d"}},
		{"Bob <bob@x.y", []string{"!Bob <bob@x.y"}},
		{"a@b.c, d@e f.g, h@i.j", []string{"a@b.c", "d@e"}},
		{"<a@b.c> junk, d@e.f", []string{"a@b.c"}},
		{"bob@example.com.", []string{"!bob@example.com."}},
		{"a..b@c.d, e@f.g", []string{`"a..b"@c.d`, "e@f.g"}},
		{"", []string{""}},
		{"(c)", nil},
		{"0<><", []string{"!0<><"}}, // found by FuzzMessage: an angle pair, then an unterminated one
		{",", []string{"!,"}},
		{"garbage <, c@example.com", []string{"c@example.com"}},
		{"a@example.com, garbage <, c@example.com", []string{"a@example.com", "c@example.com"}},
	} {
		var got []string
		for _, a := range parseAddressList(c.in) {
			if a.valid {
				got = append(got, a.all)
			} else {
				got = append(got, "!"+a.all)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("parseAddressList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBody(t *testing.T) {
	msg := "From: a@b.c\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n" +
		"preamble\r\n--BB\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHall=F6 plain\r\n" +
		"--BB\r\nContent-Type: text/html\r\n\r\n<p>Hello <b>html</b></p>\r\n" +
		"--BB\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nc2VjcmV0\r\n--BB--\r\nepilogue\r\n"
	for _, c := range []struct{ script, want string }{
		{`require "body"; if body :contains "Hallö" { discard; }`, "discard|implicit none"},
		{`require "body"; if body :text :contains "<b>" { discard; }`, "implicit keep"},
		{`require "body"; if body :text :contains "html" { discard; }`, "discard|implicit none"},
		{`require "body"; if body :raw :contains "=F6" { discard; }`, "discard|implicit none"},
		{`require "body"; if body :content "text/html" :contains "<b>" { discard; }`, "discard|implicit none"},
		{`require "body"; if body :content "application" :contains "secret" { discard; }`, "discard|implicit none"},
		{`require "body"; if body :content "text" :contains "secret" { discard; }`, "implicit keep"},
		{`require "body"; if body :content "multipart" :contains "epilogue" { discard; }`, "discard|implicit none"},
		{`require "body"; if body :content "" :contains "preamble" { discard; }`, "discard|implicit none"},
		{`require "body"; if body :content "text/plain" :is "Hallö plain" { discard; }`, "discard|implicit none"},
		{`if body :contains "x" { discard; }`, "invalid"},
	} {
		if got := strings.Join(linesOf(t, c.script, msg), "|"); got != c.want {
			t.Errorf("%s: got %q want %q", c.script, got, c.want)
		}
	}
	if got := strings.Join(linesOf(t, `require "body"; if body :contains "body." { discard; }`, testMsg), "|"); got != "discard|implicit none" {
		t.Errorf("non-MIME body: %q", got)
	}
}

func TestDate(t *testing.T) {
	runCases(t, []lineCase{
		{"parts", `require ["date","variables","fileinto"]; if date :originalzone :matches "date" "iso8601" "*" { set "a" "${0}"; } if date :zone "+0000" :matches "date" "time" "*" { set "b" "${0}"; } if date :zone "-0330" :matches "date" "std11" "*" { set "c" "${0}"; } if date :matches "date" "julian" "*" { set "d" "${0}"; } if date :matches "date" "weekday" "*" { set "e" "${0}"; } fileinto "${a}|${b}|${c}|${d}|${e}";`,
			"store 2026-12-01T10:20:30+01:00|09:20:30|Tue, 01 Dec 2026 05:50:30 -0330|61375|2|implicit none"},
		{"year-month-day", `require ["date"]; if allof(date :is "date" "year" "2026", date :is "date" "month" "12", date :is "date" "day" "01", date :zone "+0000" :is "date" "hour" "09", date :is "date" "zone" "+0000") { discard; }`, "discard|implicit none"},
		{"currentdate", `require ["date","variables","fileinto"]; if currentdate :zone "+0000" :matches "iso8601" "*" { fileinto "${0}"; }`, "store 2026-12-02T03:04:05Z|implicit none"},
		{"currentdate-relational", `require ["date","relational"]; if currentdate :value "ge" "date" "2026-01-01" { discard; }`, "discard|implicit none"},
		{"unknown-part-false", `require "date"; if date :is "date" "century" "21" { discard; }`, "implicit keep"},
		{"absent-header", `require "date"; if date :matches "x-none" "year" "*" { discard; }`, "implicit keep"},
		{"no-require", `if currentdate :is "year" "2026" { discard; }`, "invalid"},
	})
	if d, ok := parseDate("Tue, 02 Jan 2024 09:30:00 EST"); !ok || datePart(d, "zone") != "-0500" {
		t.Errorf("obsolete zone EST: %v %v", d, ok)
	}
}

func TestErrorPositions(t *testing.T) {
	for _, c := range []struct {
		src        string
		line, col  int
		msgContain string
	}{
		{"keep;\nfoo;", 2, 1, "unknown command"},
		{"require \"fileinto\";\nif true {\n  fileinto;\n}", 3, 3, "positional"},
		{"if true { keep; }\nelsif true { keep; }\nkeep;\nelse { keep; }", 4, 1, "else without"},
		{"keep :flags \"a\";", 1, 6, "imap4flags"},
		{"keep;\n\"x\";", 2, 1, "expected a command"},
		{"if true { keep; ", 1, 17, "expected '}'"},
		{"keep;\nrequire \"fileinto\";", 2, 1, "require must come before"},
		{"redirect \"not an address\";", 1, 10, "invalid redirect address"},
	} {
		_, err := Parse([]byte(c.src), Limits{})
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v is not *Error", c.src, err)
			continue
		}
		if se.Line != c.line || se.Column != c.col || !strings.Contains(se.Msg, c.msgContain) {
			t.Errorf("%q: got %q, want line %d column %d containing %q", c.src, se.Error(), c.line, c.col, c.msgContain)
		}
		if !strings.HasPrefix(se.Error(), "line ") {
			t.Errorf("Error() = %q", se.Error())
		}
	}
}

func TestLimits(t *testing.T) {
	if _, err := Parse([]byte("keep;"+strings.Repeat(" ", 100)), Limits{MaxScriptBytes: 50}); err == nil {
		t.Error("script over MaxScriptBytes accepted")
	}
	deep := strings.Repeat("if true { ", 10) + "keep;" + strings.Repeat(" }", 10)
	if _, err := Parse([]byte(deep), Limits{MaxNesting: 5}); err == nil {
		t.Error("nesting over MaxNesting accepted")
	}
	if _, err := Parse([]byte(deep), Limits{MaxNesting: 10}); err != nil {
		t.Errorf("nesting at MaxNesting refused: %v", err)
	}
	deepTest := "if " + strings.Repeat("not ", 50) + "true { keep; }"
	if _, err := Parse([]byte(deepTest), Limits{MaxNesting: 20}); err == nil {
		t.Error("test nesting over MaxNesting accepted")
	}
	run := func(src string, lim Limits) (*Result, error) {
		s, err := Parse([]byte(src), lim)
		if err != nil {
			t.Fatal(err)
		}
		return s.Run(context.Background(), &Input{Message: []byte(testMsg)})
	}
	if _, err := run(`redirect "a@x.y"; redirect "b@x.y"; redirect "c@x.y";`, Limits{MaxRedirects: 2}); err == nil {
		t.Error("redirects over MaxRedirects accepted")
	}
	if res, err := run(`redirect "a@x.y"; redirect "a@X.Y"; redirect "b@x.y";`, Limits{MaxRedirects: 2}); err != nil || len(res.Actions) != 2 {
		t.Errorf("duplicate redirect counted: %v %v", res, err)
	}
	var rt *RuntimeError
	if _, err := run(`require "fileinto"; fileinto "a"; fileinto "b"; fileinto "c";`, Limits{MaxActions: 2}); !errors.As(err, &rt) || rt.Line != 1 {
		t.Errorf("actions over MaxActions: %v", err)
	}
	res, err := run(`require "fileinto"; fileinto "a"; fileinto "b"; fileinto "c";`, Limits{MaxActions: 2})
	if err == nil || !res.ImplicitKeep || strings.Join(res.Lines(), "|") != "error|implicit keep" {
		t.Errorf("runtime error result: %v %v", res, err)
	}
}

// TestMatchesLinear runs patterns that make backtracking matchers
// exponential; ours answers each in one pass (the fuzz bound of a second
// is the guard, no timing is asserted here beyond finishing).
func TestMatchesLinear(t *testing.T) {
	long := strings.Repeat("a", 20000)
	pat := compileGlob(strings.Repeat("*a", 200) + "*b")
	if cmpCasemap.globMatch(long, pat, nil) {
		t.Error("matched without a b")
	}
	if !cmpCasemap.globMatch(long+"b", pat, nil) {
		t.Error("did not match with the b")
	}
	var caps []string
	if !cmpOctet.globMatch("x.y.z", compileGlob("*.*"), &caps) || !slices.Equal(caps, []string{"x", "y.z"}) {
		t.Errorf("captures %q", caps)
	}
	caps = nil
	if !cmpOctet.globMatch("a*b", compileGlob(`?\*?`), &caps) || !slices.Equal(caps, []string{"a", "b"}) {
		t.Errorf("escaped star: %q", caps)
	}
	if cmpOctet.globMatch("axb", compileGlob(`a\*b`), nil) {
		t.Error(`\* matched x`)
	}
}

func TestRequiresAndExtensions(t *testing.T) {
	s, err := Parse([]byte(`require ["fileinto", "vacation"]; require "fileinto"; keep;`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Requires(); !slices.Equal(got, []string{"fileinto", "vacation"}) {
		t.Errorf("Requires = %q", got)
	}
	for _, e := range Extensions() {
		if _, err := Parse([]byte(`require "`+e+`";`), Limits{}); err != nil {
			t.Errorf("require %q: %v", e, err)
		}
	}
}

func TestIsAutoReplyExempt(t *testing.T) {
	for _, c := range []struct {
		hdr  string
		want bool
	}{
		{"From: a@b.c\r\n", false},
		{"Auto-Submitted: no\r\n", false},
		{"Auto-Submitted: auto-replied\r\n", true},
		{"Auto-Submitted: auto-generated; x=y\r\n", true},
		{"List-Id: <l.example.org>\r\n", true},
		{"List-Unsubscribe: <mailto:u@l.example.org>\r\n", true},
		{"Precedence: bulk\r\n", true},
		{"Precedence: Junk\r\n", true},
		{"Precedence: first-class\r\n", false},
	} {
		if got := IsAutoReplyExempt([]byte(c.hdr + "Subject: s\r\n\r\nbody\r\n")); got != c.want {
			t.Errorf("%q: %v", c.hdr, got)
		}
	}
}

func TestLinesFormat(t *testing.T) {
	r := &Result{Actions: []Action{
		Keep{Flags: []string{"\\Seen", "b", "\\seen"}},
		FileInto{Mailbox: "Lists/x", Flags: []string{"Z", "a"}},
		Redirect{Address: "a@b.c"},
		Reject{Reason: "no\r\nway\n"},
		Discard{},
		Vacation{Reason: "r", Subject: "s", Handle: "h", Seconds: 60, Mime: true, From: "me@x.y"},
	}, ImplicitKeep: true, KeepFlags: []string{"B", "a"}, envelopeFrom: "<s@x.y>"}
	want := []string{"store INBOX flags=\\seen b", "store Lists/x flags=a z", "redirect a@b.c", `reject no\nway\n`,
		"discard", "vacation to=s@x.y seconds=60 subject=s handle=h mime=yes from=me@x.y", "implicit keep flags=a b"}
	if got := r.Lines(); !slices.Equal(got, want) {
		t.Errorf("Lines:\n got %q\nwant %q", got, want)
	}
}

func TestContextCancelled(t *testing.T) {
	s, _ := Parse([]byte(`keep;`), Limits{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Run(ctx, &Input{Message: []byte(testMsg), Now: time.Now()}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
}

// TestConcurrentRuns runs one Script from many goroutines (run with -race):
// a Script is immutable, each run has its own state.
func TestConcurrentRuns(t *testing.T) {
	s, err := Parse([]byte(script50()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	msg := message10K()
	want := ""
	done := make(chan string)
	for g := 0; g < 8; g++ {
		go func() {
			var last string
			for i := 0; i < 50; i++ {
				res, err := s.Run(context.Background(), &Input{EnvelopeFrom: "a@b.c", EnvelopeTo: "me+tag4@example.com", Message: msg})
				if err != nil {
					last = err.Error()
					break
				}
				last = strings.Join(res.Lines(), "|")
			}
			done <- last
		}()
	}
	for g := 0; g < 8; g++ {
		got := <-done
		if want == "" {
			want = got
		}
		if got != want || !strings.Contains(got, "store Tags/t4") {
			t.Errorf("run %d: %q (first %q)", g, got, want)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	in := `<html><head><style>p {color: red}</style><title>T</title></head><body><p>Fish &amp; chips</p>` +
		`<SCRIPT type="x">var hidden=1;</SCRIPT>a<br/>b<!-- gone --></body></html>`
	got := htmlToText(in)
	for _, w := range []string{"Fish & chips", "T", "a\nb"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q lacks %q", got, w)
		}
	}
	for _, w := range []string{"color", "hidden", "gone", "<"} {
		if strings.Contains(got, w) {
			t.Errorf("%q holds %q", got, w)
		}
	}
}

func TestFlagVariables(t *testing.T) {
	runCases(t, []lineCase{
		{"addflag-appends", `require ["imap4flags","variables","fileinto"]; set "v" "x  y"; addflag "v" "z X"; fileinto "[${v}]";`, "store [x  y z]|implicit none"},
		{"removeflag-untouched", `require ["imap4flags","variables","fileinto"]; set "v" "a  b"; removeflag "v" "c"; fileinto "[${v}]";`, "store [a  b]|implicit none"},
		{"removeflag-rewrites", `require ["imap4flags","variables","fileinto"]; set "v" "a  b c"; removeflag "v" "B"; fileinto "[${v}]";`, "store [a c]|implicit none"},
		{"setflag-normalises", `require ["imap4flags","variables","fileinto"]; setflag "v" "x  y x"; fileinto "[${v}]";`, "store [x y]|implicit none"},
		{"invalid-flags-ignored", `require "imap4flags"; addflag "\\Unknown a b(c \\Seen \\Recent"; keep;`, `store INBOX flags=\seen a|implicit none`},
		{"hasflag-split-is", `require "imap4flags"; addflag "a"; if hasflag :is "b a" { discard; }`, "discard|implicit none"},
		{"hasflag-matches-not-split", `require "imap4flags"; addflag "a"; if hasflag :matches "b a*" { discard; }`, "implicit keep flags=a"},
		{"hasflag-count-per-variable", `require ["imap4flags","variables","relational"]; set "v" "a b"; set "w" "b c"; if hasflag :count "eq" ["v","w"] "4" { discard; }`, "discard|implicit none"},
	})
}

func TestDateEdges(t *testing.T) {
	d, ok := parseDate("Tue, 02 Jan 2024 09:30:60 +0100")
	if !ok || d.Second() != 59 {
		t.Errorf("leap second: %v %v", d, ok)
	}
	if l, ok := parseZone("+0160"); !ok || datePart(d.In(l), "zone") != "+0200" {
		t.Errorf("zone +0160: %v", ok)
	}
	if _, ok := parseZone("CET"); ok {
		t.Error("CET parsed as a zone")
	}
}

func TestRegexPOSIX(t *testing.T) {
	msg := "Subject: s\r\n\r\nline one\r\nline two\r\n"
	for _, c := range []struct{ script, want string }{
		{`require ["body","regex"]; if body :regex "one.*two" { discard; }`, "discard|implicit none"},
		{`require ["regex"]; if header :regex "subject" "(?i)S" { discard; }`, "invalid"},
	} {
		if got := strings.Join(linesOf(t, c.script, msg), "|"); got != c.want {
			t.Errorf("%s: got %q want %q", c.script, got, c.want)
		}
	}
}
