package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mailserver/mailserver/queue/dkimtest"
	"github.com/mailserver/mailserver/store"
)

// sieveEnv is a store with alice@local.test (and bob), a queue that runs
// Sieve scripts and delivers remote mail to a test server for
// remote.test, and the lines the queue logged.
type sieveEnv struct {
	*testEnv
	r   *remote
	q   *Queue
	bob *store.User
	log *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// slogTee logs to the test log and to w.
func slogTee(t testing.TB, w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, w), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func newSieveEnv(t *testing.T) *sieveEnv {
	t.Helper()
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	bob, err := e.st.AddUser(context.Background(), "bob@local.test", "pw")
	if err != nil {
		t.Fatal(err)
	}
	o := e.opts(port)
	o.DKIM = e.st
	o.Sieve = SieveOptions{Store: e.st}
	log := &syncBuffer{}
	o.Logger = slogTee(t, log)
	q := New(e.st, o)
	run(t, q)
	return &sieveEnv{testEnv: e, r: rs[0], q: q, bob: bob, log: log}
}

// activate makes script the user's active Sieve script.
func activate(t testing.TB, st *store.Store, u *store.User, script string) {
	t.Helper()
	ctx := context.Background()
	if err := st.PutSieveScript(ctx, u.ID, "main", []byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := st.SetActiveSieveScript(ctx, u.ID, "main"); err != nil {
		t.Fatal(err)
	}
}

// mailbox returns the messages (flags, body) of a user's mailbox.
func mailbox(t testing.TB, st *store.Store, u *store.User, name string) ([]store.Message, [][]byte) {
	t.Helper()
	ctx := context.Background()
	mb, err := st.MailboxByName(ctx, u.ID, name)
	if err != nil {
		t.Fatalf("mailbox %s: %v", name, err)
	}
	msgs, err := st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var bodies [][]byte
	for _, m := range msgs {
		b, err := st.ReadBodyBytes(m.BodyID)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	return msgs, bodies
}

func msgFrom(from, to, subject string, extra ...string) string {
	return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n" +
		"Message-ID: <" + strings.ReplaceAll(subject, " ", "-") + "@sender.test>\r\n" +
		strings.Join(extra, "") + "\r\nbody of " + subject + "\r\n"
}

// TestSieveFileIntoFlags: fileinto with :flags and :create, :copy with
// the implicit keep's flags, a missing mailbox falling back to INBOX.
func TestSieveFileIntoFlags(t *testing.T) {
	e := newSieveEnv(t)
	activate(t, e.st, e.alice, `require ["fileinto", "imap4flags", "mailbox", "copy"];
if header :contains "subject" "golang" {
  fileinto :create :flags ["\\Flagged", "Project"] "Lists/Go";
} elsif header :contains "subject" "archive" {
  fileinto :copy "Archive";
  addflag "\\Seen";
} elsif header :contains "subject" "nowhere" {
  fileinto "Does/Not/Exist";
}
`)
	for _, s := range []string{"golang news", "archive me", "nowhere to go", "plain"} {
		submit(t, e.q, "dave@sender.test", msgFrom("dave@sender.test", "alice@local.test", s), "alice@local.test")
	}
	msgs, bodies := mailbox(t, e.st, e.alice, "Lists/Go")
	if len(msgs) != 1 || !bytes.Contains(bodies[0], []byte("golang news")) || !slices.Equal(msgs[0].Flags, []string{`\Flagged`, "Project"}) {
		t.Fatalf("Lists/Go: %d messages, flags %v", len(msgs), flagsOf(msgs))
	}
	msgs, bodies = mailbox(t, e.st, e.alice, "Archive")
	if len(msgs) != 1 || !bytes.Contains(bodies[0], []byte("archive me")) || len(msgs[0].Flags) != 0 {
		t.Fatalf("Archive: %d messages, flags %v", len(msgs), flagsOf(msgs))
	}
	msgs, bodies = mailbox(t, e.st, e.alice, "INBOX")
	var subjects []string
	for i, b := range bodies {
		subjects = append(subjects, subjectOf(b))
		if subjectOf(b) == "archive me" && !slices.Equal(msgs[i].Flags, []string{`\Seen`}) {
			t.Errorf("INBOX copy of the :copy message has flags %v, want \\Seen", msgs[i].Flags)
		}
	}
	if !slices.Equal(subjects, []string{"archive me", "nowhere to go", "plain"}) {
		t.Fatalf("INBOX has %q", subjects)
	}
	if !bytes.HasPrefix(bodies[0], []byte("Return-Path: <dave@sender.test>\r\n")) {
		t.Fatalf("a filtered copy lacks Return-Path:\n%s", bodies[0])
	}
}

func flagsOf(msgs []store.Message) [][]string {
	var out [][]string
	for _, m := range msgs {
		out = append(out, m.Flags)
	}
	return out
}

func subjectOf(b []byte) string {
	for _, l := range strings.Split(string(b), "\r\n") {
		if v, ok := strings.CutPrefix(l, "Subject: "); ok {
			return v
		}
	}
	return ""
}

// TestSieveRedirectSRS: redirect to a remote address reaches the remote
// server with an SRS sender of the user's domain and keeps no copy;
// redirect :copy keeps one; redirect to a local user delivers to them.
func TestSieveRedirectSRS(t *testing.T) {
	e := newSieveEnv(t)
	activate(t, e.st, e.alice, `require ["copy"];
if header :contains "subject" "copy" { redirect :copy "carol@remote.test"; }
elsif header :contains "subject" "local" { redirect "bob@local.test"; }
else { redirect "carol@remote.test"; }
`)
	res := submit(t, e.q, "dave@sender.test", msgFrom("dave@sender.test", "alice@local.test", "forward me"), "alice@local.test")
	if res.Local != 0 || res.Remote != 1 || res.Filtered != 1 {
		t.Fatalf("result %+v", res)
	}
	submit(t, e.q, "dave@sender.test", msgFrom("dave@sender.test", "alice@local.test", "a copy too"), "alice@local.test")
	submit(t, e.q, "dave@sender.test", msgFrom("dave@sender.test", "alice@local.test", "to local bob"), "alice@local.test")
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	txns := e.r.transactions()
	if len(txns) != 2 {
		t.Fatalf("%d remote transactions, want 2", len(txns))
	}
	for _, tx := range txns {
		if !strings.HasPrefix(tx.from, "SRS0=") || !strings.HasSuffix(tx.from, "=sender.test=dave@local.test") {
			t.Errorf("remote got MAIL FROM %q, want an SRS0 address of local.test", tx.from)
		}
		if !slices.Equal(tx.to, []string{"carol@remote.test"}) {
			t.Errorf("remote got RCPT %v", tx.to)
		}
	}
	_, bodies := mailbox(t, e.st, e.alice, "INBOX")
	if len(bodies) != 1 || subjectOf(bodies[0]) != "a copy too" {
		t.Fatalf("alice's INBOX: %d messages", len(bodies))
	}
	_, bodies = mailbox(t, e.st, e.bob, "INBOX")
	if len(bodies) != 1 || subjectOf(bodies[0]) != "to local bob" {
		t.Fatalf("bob's INBOX: %d messages", len(bodies))
	}
}

// TestSieveReject: a reject of the only recipient is a RejectedError
// (550 at DATA) with nothing stored; with another recipient, the other
// gets the message and the sender a DSN naming the rejecting one.
func TestSieveReject(t *testing.T) {
	e := newSieveEnv(t)
	activate(t, e.st, e.alice, `require ["reject"];
reject text:
I do not want
mail from you.
.
;
`)
	ctx := context.Background()
	msg := msgFrom("dave@remote.test", "alice@local.test", "unwanted")
	env := &Envelope{From: "dave@remote.test", RejectAtData: true, Recipients: []Recipient{{Address: "alice@local.test"}}}
	_, err := e.q.Submit(ctx, env, store.NewBody([]byte(msg)))
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Reason != "I do not want mail from you." {
		t.Fatalf("Submit: %v, want a RejectedError with the reason on one line", err)
	}
	if _, bodies := mailbox(t, e.st, e.alice, "INBOX"); len(bodies) != 0 {
		t.Fatal("a rejected message was stored")
	}
	if l, _ := e.st.QueueList(ctx); len(l) != 0 {
		t.Fatalf("%d queued after a reject at DATA", len(l))
	}

	env.Recipients = append(env.Recipients, Recipient{Address: "bob@local.test"})
	res, err := e.q.Submit(ctx, env, store.NewBody([]byte(msg)))
	if err != nil || res.Local != 1 || res.Filtered != 1 {
		t.Fatalf("Submit with two recipients: %+v, %v", res, err)
	}
	if _, bodies := mailbox(t, e.st, e.bob, "INBOX"); len(bodies) != 1 {
		t.Fatal("bob did not get the message")
	}
	waitFor(t, "the DSN", func() bool { return len(e.r.transactions()) == 1 })
	dsn := e.r.transactions()[0]
	if dsn.from != "" || !slices.Equal(dsn.to, []string{"dave@remote.test"}) {
		t.Fatalf("DSN envelope %q -> %v", dsn.from, dsn.to)
	}
	for _, want := range []string{"Final-Recipient: rfc822; alice@local.test", "Status: 5.7.1", "I do not want mail from you.", "multipart/report", "Subject: unwanted"} {
		if !bytes.Contains(dsn.data, []byte(want)) {
			t.Errorf("DSN lacks %q:\n%s", want, dsn.data)
		}
	}
	if bytes.Contains(dsn.data, []byte("bob@local.test")) {
		t.Errorf("DSN names the recipient who got the message:\n%s", dsn.data)
	}
}

// TestSieveDiscard: discard stores nothing and is no failure.
func TestSieveDiscard(t *testing.T) {
	e := newSieveEnv(t)
	activate(t, e.st, e.alice, `if header :contains "subject" "spam" { discard; }`)
	res := submit(t, e.q, "dave@remote.test", msgFrom("dave@remote.test", "alice@local.test", "spam offer"), "alice@local.test")
	if res.Local != 0 || res.Remote != 0 || res.Filtered != 1 || len(res.Failed) != 0 {
		t.Fatalf("result %+v", res)
	}
	submit(t, e.q, "dave@remote.test", msgFrom("dave@remote.test", "alice@local.test", "ham"), "alice@local.test")
	if _, bodies := mailbox(t, e.st, e.alice, "INBOX"); len(bodies) != 1 || subjectOf(bodies[0]) != "ham" {
		t.Fatalf("INBOX: %d messages", len(bodies))
	}
}

// TestSieveRuntimeErrorKeeps: a script that fails keeps the message in
// INBOX, and the log names the user and the script.
func TestSieveRuntimeErrorKeeps(t *testing.T) {
	e := newSieveEnv(t)
	// More actions than the limit allows.
	e.q.opts.Sieve.Limits.MaxActions = 2
	activate(t, e.st, e.alice, `require ["fileinto", "copy"];
fileinto :copy "Archive"; fileinto :copy "Sent"; fileinto :copy "Trash"; fileinto :copy "Drafts";`)
	submit(t, e.q, "dave@remote.test", msgFrom("dave@remote.test", "alice@local.test", "kept"), "alice@local.test")
	if _, bodies := mailbox(t, e.st, e.alice, "INBOX"); len(bodies) != 1 {
		t.Fatalf("INBOX: %d messages, want the message kept", len(bodies))
	}
	if msgs, _ := mailbox(t, e.st, e.alice, "Archive"); len(msgs) != 0 {
		t.Fatal("a failed script's fileinto was performed")
	}
	var line string
	for _, l := range strings.Split(e.log.String(), "\n") {
		if strings.Contains(l, "sieve script") && strings.Contains(l, "kept in INBOX") {
			line = l
		}
	}
	if !strings.Contains(line, "user=alice@local.test") || !strings.Contains(line, "script=main") {
		t.Fatalf("no log line naming user and script:\n%s", e.log)
	}
}

// TestSieveVacation: one reply per sender and period, with the headers
// RFC 5230/3834 ask for, DKIM-signed, from the null sender; none to a
// list, to the null sender, to automatic mail, to a message that does
// not name the recipient, to ourselves.
func TestSieveVacation(t *testing.T) {
	e := newSieveEnv(t)
	ctx := context.Background()
	if err := e.st.AddAlias(ctx, "info@local.test", []string{"alice@local.test"}); err != nil {
		t.Fatal(err)
	}
	activate(t, e.st, e.alice, `require ["vacation"];
vacation :days 3 :subject "Out of office" "I am away until Monday.";
`)
	send := func(from, to, subject string, extra ...string) {
		t.Helper()
		rcpt := "alice@local.test"
		if strings.HasPrefix(to, "info@") {
			rcpt = to
		}
		submit(t, e.q, from, msgFrom(from, to, subject, extra...), rcpt)
	}
	send("dave@remote.test", "Alice <alice@local.test>", "first")
	send("dave@remote.test", "alice@local.test", "second")        // within :days
	send("erin@remote.test", "info@local.test", "via alias")      // an alias of alice
	send("", "alice@local.test", "a bounce")                      // null sender
	send("list@remote.test", "alice@local.test", "digest", "List-Id: <golang.remote.test>\r\n")
	send("news@remote.test", "alice@local.test", "bulk", "Precedence: bulk\r\n")
	send("bot@remote.test", "alice@local.test", "auto", "Auto-Submitted: auto-generated\r\n")
	send("owner-list@remote.test", "alice@local.test", "owner")
	send("frank@remote.test", "someone@else.test", "bcc'd")         // alice not named
	send("alice@local.test", "alice@local.test", "to myself")       // ourselves
	send("MAILER-DAEMON@remote.test", "alice@local.test", "daemon") // a mail system
	send("gina@remote.test", "alice@local.test", "humans say no", "Auto-Submitted: no\r\n")
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	txns := e.r.transactions()
	var to []string
	for _, tx := range txns {
		to = append(to, tx.to...)
		if tx.from != "" {
			t.Errorf("vacation reply with MAIL FROM %q, want <>", tx.from)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"dave@remote.test", "erin@remote.test", "gina@remote.test"}) {
		t.Fatalf("replies went to %v", to)
	}
	if _, bodies := mailbox(t, e.st, e.alice, "INBOX"); len(bodies) != 12 {
		t.Fatalf("INBOX has %d messages, want all 12 kept", len(bodies))
	}
	var reply []byte
	for _, tx := range txns {
		if tx.to[0] == "dave@remote.test" {
			reply = tx.data
		}
	}
	for _, want := range []string{
		"From: alice@local.test\r\n", "To: <dave@remote.test>\r\n", "Subject: Out of office\r\n",
		"Auto-Submitted: auto-replied\r\n", "In-Reply-To: <first@sender.test>\r\n",
		"References: <first@sender.test>\r\n", "MIME-Version: 1.0\r\n", "\r\nDate: ", "\r\nMessage-ID: <",
		"\r\n\r\nI am away until Monday.\r\n",
	} {
		if !bytes.Contains(reply, []byte(want)) {
			t.Errorf("reply lacks %q:\n%s", want, reply)
		}
	}
	for _, tx := range txns {
		if tx.to[0] == "erin@remote.test" && !bytes.Contains(tx.data, []byte("From: info@local.test\r\n")) {
			t.Errorf("reply to mail for the alias is not from the alias:\n%s", tx.data)
		}
	}
	recs := dkimRecords(t, e.st, "local.test")
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, reply, recs), "local.test")
}

// TestSieveVacationDefaultSubjectAndMime: "Auto: " and the original
// subject; :mime makes the reason the reply's MIME entity; :from is used
// only when the user may send as it.
func TestSieveVacationDefaultSubjectAndMime(t *testing.T) {
	e := newSieveEnv(t)
	activate(t, e.st, e.alice, `require ["vacation"];
if header :contains "subject" "mime" {
  vacation :mime :handle "m" :from "Alice B <alice@local.test>" text:
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bin weg — zurück am Montag.
.
;
} else {
  vacation :handle "plain" :from "ceo@local.test" "Away.";
}
`)
	submit(t, e.q, "dave@remote.test", msgFrom("dave@remote.test", "alice@local.test", "=?utf-8?q?Gr=C3=BC=C3=9Fe?="), "alice@local.test")
	submit(t, e.q, "erin@remote.test", msgFrom("erin@remote.test", "alice@local.test", "mime please"), "alice@local.test")
	waitFor(t, "two replies", func() bool { return len(e.r.transactions()) == 2 })
	for _, tx := range e.r.transactions() {
		switch tx.to[0] {
		case "dave@remote.test":
			for _, want := range []string{"Subject: Auto: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n", "From: alice@local.test\r\n", "\r\n\r\nAway.\r\n"} {
				if !bytes.Contains(tx.data, []byte(want)) {
					t.Errorf("reply lacks %q:\n%s", want, tx.data)
				}
			}
		case "erin@remote.test":
			for _, want := range []string{"Subject: Auto: mime please\r\n", "From: \"Alice B\" <alice@local.test>\r\n",
				"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBin weg — zurück am Montag.\r\n"} {
				if !bytes.Contains(tx.data, []byte(want)) {
					t.Errorf("reply lacks %q:\n%s", want, tx.data)
				}
			}
		}
	}
}

// TestSieveVacationConcurrent: concurrent deliveries from one sender get
// one reply between them.
func TestSieveVacationConcurrent(t *testing.T) {
	e := newSieveEnv(t)
	activate(t, e.st, e.alice, `require "vacation"; vacation "Away.";`)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			submit(t, e.q, "dave@remote.test", msgFrom("dave@remote.test", "alice@local.test", fmt.Sprint("m", i)), "alice@local.test")
		})
	}
	wg.Wait()
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	if n := len(e.r.transactions()); n != 1 {
		t.Fatalf("%d replies, want 1", n)
	}
}
