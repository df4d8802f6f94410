package queue

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// rules50 is a 50-rule script of the kinds users write (header, address,
// envelope, list, size tests; fileinto with :create and flags) of which
// none matches the benchmark's message, so every test is evaluated and
// the message is kept: the costliest path.
func rules50() string {
	kinds := []string{
		`header :contains "subject" "project-%d"`,
		`address :domain :is "from" "partner%d.example"`,
		`header :is "list-id" "<list%d.lists.example>"`,
		`envelope :localpart :is "from" "robot%d"`,
		`anyof (header :contains "x-mailer" "bulkmailer%d", address :is "to" "team%d@local.test")`,
		`allof (exists "x-priority", header :value "ge" :comparator "i;ascii-numeric" "x-priority" "%d")`,
		`header :matches "subject" "*[ticket-%d]*"`,
		`address :all :contains ["to", "cc"] "group%d@"`,
		`size :over %dM`,
		`not address :domain :is "from" ["sender.test", "local.test", "c%d.example"]`,
	}
	var b strings.Builder
	b.WriteString(`require ["fileinto", "imap4flags", "envelope", "mailbox", "relational", "comparator-i;ascii-numeric"];` + "\n")
	for i := range 50 {
		test := kinds[i%len(kinds)]
		args := []any{i + 30}
		if strings.Count(test, "%d") == 2 {
			args = []any{i, i}
		}
		fmt.Fprintf(&b, "if "+test+" {\n", args...)
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "  fileinto :create \"Rules/R%d\";\n}\n", i)
		case 1:
			fmt.Fprintf(&b, "  addflag \"$rule%d\"; fileinto \"Rules/R%d\";\n}\n", i, i)
		default:
			fmt.Fprintf(&b, "  fileinto :flags \"\\\\Flagged\" \"Rules/R%d\"; stop;\n}\n", i)
		}
	}
	return b.String()
}

// BenchmarkSieveFilter measures what filtering adds to one local
// delivery of a 10 KiB message: reading the active script's version
// (one store read), the compiled-script cache, and evaluating rules50.
func BenchmarkSieveFilter(b *testing.B) {
	e := newEnv(b)
	activate(b, e.st, e.alice, rules50())
	o := e.opts(25)
	o.Logger = nil
	o.Sieve = SieveOptions{Store: e.st}
	q := New(e.st, o)
	body := store.NewBody([]byte("From: Dave <dave@sender.test>\r\nTo: alice@local.test\r\nSubject: quarterly report\r\n" +
		"Date: Tue, 01 Dec 2026 12:00:00 +0000\r\nMessage-ID: <bench@sender.test>\r\n\r\n" +
		strings.Repeat(strings.Repeat("x", 78)+"\r\n", 10<<10/80)))
	env := &Envelope{From: "dave@sender.test"}
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := q.filter(ctx, env, "alice@local.test", e.alice, store.LocalDelivery{UserID: e.alice.ID}, &filterMessage{body: body}, now)
		if err != nil || f == nil || len(f.deliveries) != 1 || f.deliveries[0].Mailbox != "" {
			b.Fatalf("filter: %+v, %v", f, err)
		}
	}
}
