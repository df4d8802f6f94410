//go:build ignore

// Command explore is a random differential search: it builds scripts from
// pieces of the Sieve grammar, runs them on the corpus messages through
// queue/sieve and through Pigeonhole's sieve-test, and prints the cases where
// the two disagree, so they can be studied and, when meaningful, added to
// gen.py as pairs. It is not a test (random scripts are not meaningful pairs
// on their own). Run from this directory: go run explore.go [-n 300] [-seed 1]
package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mailserver/mailserver/queue/sieve"
	"github.com/mailserver/mailserver/queue/sieve/sievetest"
)

var (
	headers  = []string{"subject", "from", "to", "cc", "x-spam-score", "x-folded", "keywords", "list-id", "date", "received", "x-label", "x-none", "content-type"}
	addrHdrs = []string{"from", "to", "cc", "bcc", "reply-to", "sender"}
	regexes  = []string{"^(.*)@(.*)$", "([a-z]+) on ([A-Z][a-z]+)", "e{2}", "^$", "(a|b)+", "[[:digit:]]+", "\\.net$", "^(Re|Fwd): (.*)"}
	keys     = []string{"", "a", "Meeting", "meeting on", "*", "?", "*@*", "*.*", "a*", "*day", "?*?", "alice", "example.net", "EXAMPLE.COM",
		"me@example.com", "12", "7", "0", "Tuesday", "*e*e*", "dev", "Grüße", "*<*>*", "undisclosed-recipients:;"}
	matchTypes  = []string{"", ":is", ":contains", ":matches", ":regex", ":value \"gt\"", ":value \"le\"", ":count \"eq\"", ":count \"ge\""}
	comparators = []string{"", "", ":comparator \"i;octet\"", ":comparator \"i;ascii-casemap\"", ":comparator \"i;ascii-numeric\""}
	parts       = []string{"", ":all", ":localpart", ":domain", ":user", ":detail"}
	dateParts   = []string{"year", "month", "day", "date", "hour", "zone", "weekday", "julian", "time", "iso8601", "std11"}
)

const require = `require ["vacation", "fileinto", "envelope", "variables", "relational", "comparator-i;ascii-numeric", "regex", "body", "date", "subaddress", "imap4flags", "copy", "mailbox", "encoded-character"];` + "\n"

type gen struct{ r *rand.Rand }

func (g gen) pick(l []string) string { return l[g.r.IntN(len(l))] }

func (g gen) quoted(s string) string { return `"` + s + `"` }

func (g gen) list(l []string) string {
	n := 1 + g.r.IntN(2)
	var out []string
	for range n {
		out = append(out, g.quoted(g.pick(l)))
	}
	if len(out) == 1 && g.r.IntN(2) == 0 {
		return out[0]
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func (g gen) matcher() string {
	return strings.TrimSpace(g.pick(comparators) + " " + g.pick(matchTypes))
}

func (g gen) test(depth int) string {
	n := 10
	if depth > 2 {
		n = 7
	}
	switch g.r.IntN(n + 3) {
	case n:
		return fmt.Sprintf("header :regex %s %s %s", g.pick(comparators[:4]), g.list(headers), g.list(regexes))
	case n + 1:
		return fmt.Sprintf("string %s %s %s", g.matcher(), g.list([]string{"${1}", "${0}", "${v}", "a${1}b", "${2}${1}"}), g.list(keys))
	case n + 2:
		return fmt.Sprintf("hasflag %s %s", g.matcher(), g.list(keys))
	case 0:
		return fmt.Sprintf("header %s %s %s", g.matcher(), g.list(headers), g.list(keys))
	case 1:
		return fmt.Sprintf("address %s %s %s %s", g.pick(parts), g.matcher(), g.list(addrHdrs), g.list(keys))
	case 2:
		return fmt.Sprintf("envelope %s %s %s %s", g.pick(parts), g.matcher(), g.list([]string{"from", "to"}), g.list(keys))
	case 3:
		return fmt.Sprintf("exists %s", g.list(headers))
	case 4:
		return fmt.Sprintf("size %s %d", g.pick([]string{":over", ":under"}), g.r.IntN(3000))
	case 5:
		return fmt.Sprintf("body %s %s %s", g.pick([]string{"", ":text", ":raw", `:content "text"`}), g.matcher(), g.list(keys))
	case 6:
		return fmt.Sprintf("date %s %s \"date\" %q %s", g.pick([]string{":originalzone", `:zone "+0000"`, `:zone "-0730"`}), g.matcher(), g.pick(dateParts), g.list(keys))
	case 7:
		return "not " + g.test(depth+1)
	case 8:
		return fmt.Sprintf("anyof (%s, %s)", g.test(depth+1), g.test(depth+1))
	default:
		return fmt.Sprintf("allof (%s, %s)", g.test(depth+1), g.test(depth+1))
	}
}

func (g gen) action() string {
	switch g.r.IntN(11) {
	case 7:
		return `set :upperfirst :lower "v" "${1}"; set :length "n" "${v}"; fileinto "L${n}-${v}";`
	case 8:
		return `removeflag "${1}"; setflag "x ${2}";`
	case 9:
		return `fileinto :flags "${1} \\Seen" "Fl";`
	case 10:
		return `vacation :subject "re ${1}" "back";`
	case 0:
		return `fileinto "F-${1}-${2}";`
	case 1:
		return `fileinto :copy "C";`
	case 2:
		return `redirect "r${1}@example.org";`
	case 3:
		return `addflag "${1}";`
	case 4:
		return "keep;"
	case 5:
		return "stop;"
	default:
		return `set :lower "v" "${0}"; fileinto "V-${v}";`
	}
}

func (g gen) script() string {
	var b strings.Builder
	b.WriteString(require)
	for range 1 + g.r.IntN(3) {
		fmt.Fprintf(&b, "if %s { %s }", g.test(0), g.action())
		if g.r.IntN(3) == 0 {
			fmt.Fprintf(&b, " else { %s }", g.action())
		}
		b.WriteString("\n")
	}
	return b.String()
}

// addrValue builds a random address-list header value (RFC 5322 §3.4):
// display names, quoted strings, comments, groups, route-less angle
// addresses and some malformed pieces.
func (g gen) addrValue() string {
	locals := []string{"a", "bob.smith", `"john doe"`, `"a\"b"`, "x+tag", "UPPER", "o'neil", `"@"`, ""}
	domains := []string{"example.com", "Example.ORG", "[192.0.2.1]", "sub.example.net", "", "ex ample.com"}
	names := []string{"", "Bob", `"Smith, Bob"`, "=?UTF-8?Q?J=C3=B6rg?=", "Dr. Who", `"quoted \" name"`}
	comments := []string{"", " (comment)", " (nested (comment))", "(c)"}
	mailbox := func() string {
		addr := g.pick(locals)
		if d := g.pick(domains); d != "" {
			addr += "@" + d
		}
		switch g.r.IntN(3) {
		case 0:
			return addr + g.pick(comments)
		default:
			name := g.pick(names)
			if name != "" {
				name += " "
			}
			return name + "<" + addr + ">" + g.pick(comments)
		}
	}
	var items []string
	for range 1 + g.r.IntN(3) {
		switch g.r.IntN(5) {
		case 0:
			var ms []string
			for range g.r.IntN(3) {
				ms = append(ms, mailbox())
			}
			items = append(items, "team: "+strings.Join(ms, ", ")+";")
		case 1:
			if g.r.IntN(4) == 0 {
				items = append(items, g.pick([]string{"", "garbage <", "<>", "@", ",,"}))
				continue
			}
			fallthrough
		default:
			items = append(items, mailbox())
		}
	}
	return strings.Join(items, ", ")
}

// encValue builds a random unstructured header value with RFC 2047
// encoded words in various places and shapes.
func (g gen) encValue() string {
	words := []string{"=?UTF-8?Q?caf=C3=A9?=", "=?utf-8?q?a_b?=", "=?ISO-8859-1?Q?Gr=FC=DFe?=", "=?UTF-8?B?w6TDtsO8?=",
		"=?UTF-8?B?w6TDtsO8", "=?UTF-8?X?abc?=", "=?UTF-8*de?Q?hallo?=", "=?UTF-8?Q?=E2=82?=", "=?UTF-8?Q??=",
		"plain", "\"quoted =?UTF-8?Q?x?=\"", "=?WINDOWS-1252?Q?=80uro?=", "=?UTF-8?Q?tab=09x?="}
	seps := []string{" ", "  ", "", "\r\n ", "\t", " - "}
	var b strings.Builder
	for i := range 1 + g.r.IntN(4) {
		if i > 0 {
			b.WriteString(g.pick(seps))
		}
		b.WriteString(g.pick(words))
	}
	return b.String()
}

const encScript = `require ["fileinto", "variables", "encoded-character"];
if header :matches "x-h" "*" { set "v" "${1}"; }
if string :matches "${v}" "*${hex:09}*" { fileinto "has-tab"; }
if header :contains "x-h" "café" { fileinto "cafe"; }
if header :contains "x-h" "a b" { fileinto "a-space-b"; }
if header :contains "x-h" "Grüße" { fileinto "gruesse"; }
if header :contains "x-h" "äöü" { fileinto "umlauts"; }
if header :contains "x-h" "€uro" { fileinto "euro"; }
if header :contains "x-h" "=?" { fileinto "undecoded"; }
if header :contains "x-h" "${unicode:fffd}" { fileinto "replacement"; }
if header :contains "x-h" "hallo" { fileinto "hallo"; }
if header :contains "x-h" "plainplain" { fileinto "joined-plain"; }
if header :contains "x-h" "caféa b" { fileinto "joined-words"; }
`

// mimeMessage builds a random MIME message whose leaf parts hold the
// markers mk0..mk5 in various types, encodings and nesting.
func (g gen) mimeMessage() string {
	types := []string{"text/plain", "text/html", "text/plain; charset=iso-8859-1", "application/octet-stream", "TEXT/PLAIN", "text/x-custom", "message/rfc822", ""}
	encs := []string{"", "base64", "quoted-printable", "7bit", "BASE64"}
	marker := 0
	var part func(depth int) string
	part = func(depth int) string {
		if depth < 2 && g.r.IntN(3) == 0 {
			boundary := fmt.Sprintf("b%d%d", depth, g.r.IntN(1000))
			sub := g.pick([]string{"mixed", "alternative", "related"})
			var b strings.Builder
			fmt.Fprintf(&b, "Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\npreamble-%d\r\n", sub, boundary, depth)
			for range 1 + g.r.IntN(3) {
				fmt.Fprintf(&b, "--%s\r\n%s\r\n", boundary, part(depth+1))
			}
			if g.r.IntN(5) != 0 {
				fmt.Fprintf(&b, "--%s--\r\nepilogue-%d\r\n", boundary, depth)
			}
			return b.String()
		}
		mk := fmt.Sprintf("mk%d", marker%6)
		marker++
		ct, enc := g.pick(types), g.pick(encs)
		body := "text with " + mk + " inside"
		if ct == "message/rfc822" {
			enc = ""
			body = "Subject: inner\r\nContent-Type: text/plain\r\n\r\ninner " + mk
		}
		switch strings.ToLower(enc) {
		case "base64":
			body = base64.StdEncoding.EncodeToString([]byte(body))
		case "quoted-printable":
			body = strings.ReplaceAll(body, " ", "=20")
		}
		var h strings.Builder
		if ct != "" {
			fmt.Fprintf(&h, "Content-Type: %s\r\n", ct)
		}
		if enc != "" {
			fmt.Fprintf(&h, "Content-Transfer-Encoding: %s\r\n", enc)
		}
		return h.String() + "\r\n" + body + "\r\n"
	}
	return "From: a@example.org\r\nTo: me@example.com\r\nSubject: mime\r\nMIME-Version: 1.0\r\n" + part(0)
}

var mimeScript = func() string {
	var b strings.Builder
	b.WriteString(`require ["fileinto", "body"];` + "\n")
	for _, t := range []struct{ name, tr string }{{"t", ":text"}, {"r", ":raw"}, {"ct", `:content "text"`}, {"ch", `:content "text/html"`},
		{"ca", `:content "application"`}, {"cm", `:content "multipart"`}, {"cr", `:content "message/rfc822"`}} {
		for _, mk := range []string{"mk0", "mk1", "mk2", "mk3", "mk4", "mk5", "preamble", "epilogue", "inner"} {
			fmt.Fprintf(&b, "if body %s :contains %q { fileinto \"%s-%s\"; }\n", t.tr, mk, t.name, mk)
		}
	}
	return b.String()
}()

// vacationScript builds a random vacation command.
func (g gen) vacationScript() string {
	var b strings.Builder
	b.WriteString(`require ["vacation", "vacation-seconds", "variables"];` + "\n")
	b.WriteString(`set "s" "Meeting"; set "who" "me@example.com";` + "\n")
	b.WriteString("vacation")
	if g.r.IntN(2) == 0 {
		if g.r.IntN(2) == 0 {
			fmt.Fprintf(&b, " :days %d", g.r.IntN(20))
		} else {
			fmt.Fprintf(&b, " :seconds %d", g.r.IntN(100000))
		}
	}
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&b, " :subject %q", g.pick([]string{"", "Away", "Re: ${s}", "Grüße", "a\\\"b"}))
	}
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&b, " :from %q", g.pick([]string{"me@example.com", "Me <me@example.com>", "${who}", "\"Me, Myself\" <me@example.com>"}))
	}
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&b, " :addresses %s", g.pick([]string{`"me@example.org"`, `["a@example.com", "b@example.com"]`, `"${who}"`}))
	}
	mime := g.r.IntN(3) == 0
	if mime {
		b.WriteString(" :mime")
	}
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&b, " :handle %q", g.pick([]string{"h", "", "${s}-h", "Grüße"}))
	}
	if mime {
		b.WriteString(" text:\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBack ${s}.\r\n.\r\n;\n")
	} else if g.r.IntN(2) == 0 {
		b.WriteString(" text:\r\nLine one\r\n..dotted\r\n.\r\n;\n")
	} else {
		fmt.Fprintf(&b, " %q;\n", g.pick([]string{"Back soon.", "", "About ${s}.", "tab\there"}))
	}
	return b.String()
}

const addrScript = `require ["fileinto", "variables", "relational", "comparator-i;ascii-numeric"];
if address :all :matches "to" "*" { fileinto "all[${1}]"; }
if address :localpart :matches "to" "*" { fileinto "lp[${1}]"; }
if address :domain :matches "to" "*" { fileinto "dom[${1}]"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "0" { fileinto "n0"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "1" { fileinto "n1"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { fileinto "n2"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "3" { fileinto "n3"; }
if address :count "ge" :comparator "i;ascii-numeric" "to" "4" { fileinto "n4+"; }
`

func main() {
	n := flag.Int("n", 300, "scripts to try")
	mode := flag.String("mode", "scripts", "scripts: random scripts on corpus messages; addr: random To values under a fixed address script; enc: random RFC 2047 header values; mime: random MIME structures under body tests; vac: random vacation commands")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed")
	flag.Parse()
	pairs, err := sievetest.LoadCorpus(".")
	if err != nil {
		log.Fatal(err)
	}
	var msgs []sievetest.Pair
	seen := map[string]bool{}
	for _, p := range pairs {
		// sieve-test cannot be given the null reverse path (see DIFFERENCES.md).
		if p.From != "" && !seen[string(p.Message)] {
			seen[string(p.Message)] = true
			msgs = append(msgs, p)
		}
	}
	g := gen{rand.New(rand.NewPCG(*seed, 1))}
	now := time.Date(2026, time.June, 15, 12, 0, 0, 0, time.UTC)
	bad := 0
	for i := range *n {
		script := g.script()
		m := msgs[g.r.IntN(len(msgs))]
		if *mode == "vac" {
			script = g.vacationScript()
		}
		if *mode == "mime" {
			script = mimeScript
			m = sievetest.Pair{Name: "random MIME", From: sievetest.DefaultFrom, To: sievetest.DefaultTo, Message: []byte(g.mimeMessage())}
		}
		if *mode == "enc" {
			script = encScript
			m = sievetest.Pair{Name: "random X-H", From: sievetest.DefaultFrom, To: sievetest.DefaultTo,
				Message: []byte("From: a@example.org\r\nTo: me@example.com\r\nX-H: " + g.encValue() + "\r\nSubject: s\r\n\r\nbody\r\n")}
		}
		if *mode == "addr" {
			script = addrScript
			m = sievetest.Pair{Name: "random To", From: sievetest.DefaultFrom, To: sievetest.DefaultTo,
				Message: []byte("From: a@example.org\r\nTo: " + g.addrValue() + "\r\nSubject: s\r\n\r\nbody\r\n")}
		}
		ph, err := sievetest.Pigeonhole(context.Background(), []byte(script), m.Message, m.From, m.To)
		if err != nil {
			log.Printf("%d: pigeonhole: %v", i, err)
			continue
		}
		var ours []string
		s, err := sieve.Parse([]byte(script), sieve.Limits{})
		if err != nil {
			ours = []string{"invalid"}
		} else if res, err := s.Run(context.Background(), &sieve.Input{EnvelopeFrom: m.From, EnvelopeTo: m.To, Message: m.Message, Now: now}); err != nil {
			ours = []string{"error", "implicit keep"}
		} else {
			ours = res.Lines()
		}
		if !slices.Equal(ours, ph) {
			bad++
			fmt.Printf("=== %d (message of pair %s)\n%s--- ours       %q\n--- pigeonhole %q\n", i, m.Name, script, ours, ph)
			if *mode != "scripts" {
				fmt.Printf("--- message %q\n", m.Message)
			}
			_ = os.WriteFile(filepath.Join(os.TempDir(), fmt.Sprintf("explore-%d.sieve", i)), []byte(script), 0o644)
		}
	}
	fmt.Printf("%d of %d random scripts disagree (seed %d)\n", bad, *n, *seed)
}
