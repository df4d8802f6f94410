package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/store"
)

// putActiveScript stores script as the user's active Sieve script,
// straight into the database of a server that is not running.
func putActiveScript(t *testing.T, e *testEnv, address, script string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(e.dataDir, "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByAddress(ctx, address)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSieveScript(ctx, u.ID, "rules", []byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := st.SetActiveSieveScript(ctx, u.ID, "rules"); err != nil {
		t.Fatal(err)
	}
}

// sieveIMAPCheck sends two messages to port 25 with smtplib and reads
// the mailboxes over IMAPS with imaplib (clients nobody here wrote).
const sieveIMAPCheck = `
import imaplib, smtplib, ssl, sys
smtp_addr, imaps, user, pw = sys.argv[1:5]
def hp(a):
    h, p = a.rsplit(":", 1); return h, int(p)
s = smtplib.SMTP(*hp(smtp_addr))
for subj in ("golang weekly", "hello"):
    s.sendmail("dave@remote.test", [user], "From: dave@remote.test\r\nTo: " + user + "\r\nSubject: " + subj + "\r\n\r\nbody\r\n")
s.quit()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
i = imaplib.IMAP4_SSL(*hp(imaps), ssl_context=ctx)
i.login(user, pw)
typ, d = i.lsub('""', '"Lists/*"')
print("lsub", [x.decode() for x in d if x])
for box in ("Lists/Go", "INBOX"):
    typ, d = i.select('"' + box + '"')
    print(box, d[0].decode())
    typ, d = i.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    for part in d:
        if isinstance(part, tuple):
            print(" ", part[0].decode().split("FLAGS ")[1].split(")")[0] + ")", part[1].decode().strip())
i.logout()
`

// TestSieveFileIntoFlagsOverIMAP: the real binary runs the user's active
// script at delivery on port 25; a fileinto :create :flags target is
// created, subscribed, and IMAP shows the message there with its flags,
// the other message in INBOX.
func TestSieveFileIntoFlagsOverIMAP(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "imaps": "127.0.0.1:0"}, `domains = ["example.test"]`)
	e.mustRun(t, "alice-secret\n", "user", "add", "alice@example.test", "--password-stdin")
	putActiveScript(t, e, "alice@example.test", `require ["fileinto", "imap4flags", "mailbox"];
if header :contains "subject" "golang" {
  fileinto :create :flags ["\\Flagged", "$Newsletter"] "Lists/Go";
}`)
	s := e.start(t)
	defer s.stop(t)
	out, err := exec.Command("python3", "-c", sieveIMAPCheck, s.addrs["smtp"], s.addrs["imaps"], "alice@example.test", "alice-secret").CombinedOutput()
	if err != nil {
		t.Fatalf("python3 (Debian package python3): %v\n%s\nserver log:\n%s", err, out, s.log)
	}
	want := `lsub ['(\\HasNoChildren) "/" "Lists/Go"']
Lists/Go 1
  (\Flagged $Newsletter \Recent) Subject: golang weekly
INBOX 1
  (\Recent) Subject: hello
`
	if string(out) != want {
		t.Errorf("python said:\n%s\nwant:\n%s", out, want)
	}
}

var crashSubjectRE = regexp.MustCompile(`(?m)^Subject: (?:Auto: )?(w\d+-\d+)\r$`)

// TestSieveCrashBurst: SIGKILL of the server during a burst of filtered
// deliveries (fileinto :copy, redirect :copy, vacation to a new sender
// each time, implicit keep). After a restart, every acknowledged message
// is in INBOX once, and each message stored at all has exactly one
// Archive copy, one redirect entry and one vacation reply: the parts of
// a delivery are committed together or not at all.
func TestSieveCrashBurst(t *testing.T) {
	// Remote mail goes to a relay nobody listens on: it stays queued.
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"},
		"domains = [\"example.test\"]\n[delivery]\nrelay_host = \"127.0.0.1:9\"\n")
	e.mustRun(t, "alice-secret\n", "user", "add", "alice@example.test", "--password-stdin")
	putActiveScript(t, e, "alice@example.test", `require ["fileinto", "copy", "vacation", "imap4flags"];
fileinto :copy :flags "\\Seen" "Archive";
redirect :copy "carol@remote.test";
vacation :days 1 "Away until Monday.";
`)
	s := e.start(t)
	addr := s.addrs["smtp"]

	const workers = 20
	var (
		mu    sync.Mutex
		acked = map[string]bool{}
		count atomic.Int64
		wg    sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			c, err := smtp.Dial(addr)
			if err != nil {
				return
			}
			defer c.Close()
			for i := 0; ; i++ {
				subj := fmt.Sprintf("w%d-%d", w, i)
				from := subj + "@remote.test"
				msg := "From: " + from + "\r\nTo: alice@example.test\r\nSubject: " + subj + "\r\nMessage-ID: <" + subj + "@remote.test>\r\n\r\nhi\r\n"
				if err := c.SendMail(from, []string{"alice@example.test"}, strings.NewReader(msg)); err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked[subj] = true
				mu.Unlock()
				count.Add(1)
			}
		})
	}
	deadline := time.Now().Add(60 * time.Second)
	for count.Load() < 200 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
	wg.Wait()
	if len(acked) == 0 {
		t.Fatalf("no message was acknowledged before the kill:\n%s", s.log)
	}

	// Restart: the database opens cleanly after the kill.
	s = e.start(t)
	s.stop(t)
	st, err := store.Open(filepath.Join(e.dataDir, "mail.db"), nil)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer st.Close()
	ctx := context.Background()
	if rep, err := st.Verify(ctx); err != nil || rep.ProblemCount > 0 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	u, err := st.UserByAddress(ctx, "alice@example.test")
	if err != nil {
		t.Fatal(err)
	}
	count2 := func(what string, bodies [][]byte, into map[string]int) {
		for _, b := range bodies {
			m := crashSubjectRE.FindSubmatch(b)
			if m == nil {
				t.Errorf("%s: message without a test subject:\n%s", what, b)
				continue
			}
			into[string(m[1])]++
		}
	}
	inbox, archive, redirects, replies := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	for box, into := range map[string]map[string]int{"INBOX": inbox, "Archive": archive} {
		mb, err := st.MailboxByName(ctx, u.ID, box)
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		var bodies [][]byte
		for _, m := range msgs {
			if box == "Archive" && (len(m.Flags) != 1 || m.Flags[0] != `\Seen`) {
				t.Errorf("Archive copy with flags %v", m.Flags)
			}
			b, err := st.ReadBodyBytes(m.BodyID)
			if err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, b)
		}
		count2(box, bodies, into)
	}
	queued, err := st.QueueList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range queued {
		b, err := st.ReadBodyBytes(m.BodyID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case m.Sender == "" && len(m.Recipients) == 1 && strings.Contains(string(b), "Auto-Submitted: auto-replied"):
			count2("vacation reply", [][]byte{b}, replies)
			// Signed like the server's other mail (queue/dkim.go).
			if !strings.HasPrefix(string(b), "DKIM-Signature:") || !strings.Contains(string(b), "d=example.test;") {
				t.Errorf("vacation reply not DKIM-signed by example.test:\n%.400s", b)
			}
			if sm := crashSubjectRE.FindSubmatch(b); sm != nil && m.Recipients[0].Address != string(sm[1])+"@remote.test" {
				t.Errorf("reply for %s went to %s", sm[1], m.Recipients[0].Address)
			}
		case len(m.Recipients) == 1 && m.Recipients[0].Address == "carol@remote.test":
			count2("redirect", [][]byte{b}, redirects)
			orig, _, _ := strings.Cut(m.Meta["srs-from"], "@")
			if orig == "" || !strings.HasPrefix(m.Sender, "SRS0=") || !strings.HasSuffix(m.Sender, "=remote.test="+orig+"@example.test") {
				t.Errorf("redirect sender %q (original %q), want SRS0 of example.test", m.Sender, m.Meta["srs-from"])
			}
		default:
			t.Errorf("unexpected queue entry %+v", m)
		}
	}
	for subj := range acked {
		if inbox[subj] != 1 {
			t.Errorf("acknowledged %s is in INBOX %d times", subj, inbox[subj])
		}
	}
	for subj := range inbox {
		if inbox[subj] != 1 || archive[subj] != 1 || redirects[subj] != 1 || replies[subj] != 1 {
			t.Errorf("%s: INBOX %d, Archive %d, redirects %d, replies %d; want 1 each",
				subj, inbox[subj], archive[subj], redirects[subj], replies[subj])
		}
	}
	for what, m := range map[string]map[string]int{"Archive": archive, "redirect": redirects, "reply": replies} {
		for subj := range m {
			if inbox[subj] == 0 {
				t.Errorf("%s of %s stored without the message", what, subj)
			}
		}
	}
	t.Logf("%d acknowledged, %d stored with their copy, redirect and reply", len(acked), len(inbox))
}

// envelopeSink is a remote SMTP server that records each transaction's
// envelope and message.
type envelopeSink struct {
	mu  sync.Mutex
	txs []sinkTx
}

type sinkTx struct {
	from string
	to   []string
	data string
}

func startEnvelopeSink(t *testing.T) (addr string, sink *envelopeSink) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink = &envelopeSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &envelopeSession{sink: sink}, nil
	}))
	srv.Domain = "mx.remote.test"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), sink
}

func (s *envelopeSink) transactions() []sinkTx {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkTx(nil), s.txs...)
}

type envelopeSession struct {
	sink *envelopeSink
	tx   sinkTx
}

func (s *envelopeSession) Reset()        { s.tx = sinkTx{} }
func (s *envelopeSession) Logout() error { return nil }
func (s *envelopeSession) Mail(from string, _ *smtp.MailOptions) error {
	s.tx.from = from
	return nil
}
func (s *envelopeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.tx.to = append(s.tx.to, to)
	return nil
}
func (s *envelopeSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.tx.data = string(b)
	s.sink.mu.Lock()
	s.sink.txs = append(s.sink.txs, s.tx)
	s.sink.mu.Unlock()
	return nil
}

// TestSieveRedirectAndVacationOverSMTP: the real binary, mail in on port
// 25 and out to a remote SMTP server. Every message is redirected with
// an SRS sender (the null sender stays null); the vacation reply goes
// once per sender within :days, never to a list or the null sender, with
// the null envelope sender, Auto-Submitted, In-Reply-To and a DKIM
// signature (RFC 5230 §4.5, RFC 3834).
func TestSieveRedirectAndVacationOverSMTP(t *testing.T) {
	remote, sink := startEnvelopeSink(t)
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"},
		fmt.Sprintf("domains = [\"example.test\"]\n[delivery]\nrelay_host = %q\n", remote))
	e.mustRun(t, "alice-secret\n", "user", "add", "alice@example.test", "--password-stdin")
	putActiveScript(t, e, "alice@example.test", `require ["copy", "vacation"];
redirect :copy "carol@remote.test";
vacation :days 1 :subject "Away" "Away until Monday.";
`)
	s := e.start(t)
	c, err := smtp.Dial(s.addrs["smtp"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(from, id, extra string) {
		t.Helper()
		hdrFrom := from
		if hdrFrom == "" {
			hdrFrom = "mailer-daemon@remote.test"
		}
		msg := "From: " + hdrFrom + "\r\nTo: alice@example.test\r\nSubject: " + id + "\r\nMessage-ID: <" + id + "@remote.test>\r\n" +
			extra + "\r\nhello\r\n"
		if err := c.SendMail(from, []string{"alice@example.test"}, strings.NewReader(msg)); err != nil {
			t.Fatalf("sending %s: %v", id, err)
		}
	}
	send("dave@remote.test", "dave-1", "")
	send("dave@remote.test", "dave-2", "") // within :days: no second reply
	send("news@remote.test", "list-1", "List-Id: <news.remote.test>\r\n")
	send("", "bounce-1", "")
	send("erin@remote.test", "erin-1", "")

	const redirects, replies = 5, 2
	waitUntil(t, "every redirect and reply at the remote, and the queue empty", func() bool {
		return len(sink.transactions()) >= redirects+replies &&
			strings.Contains(e.mustRun(t, "", "queue", "list"), "queue is empty")
	})
	var gotRedirects int
	gotReplies := map[string]int{}
	for _, tx := range sink.transactions() {
		switch {
		case slices.Equal(tx.to, []string{"carol@remote.test"}):
			gotRedirects++
			if strings.Contains(tx.data, "Subject: bounce-1") {
				if tx.from != "" {
					t.Errorf("the redirected bounce left with MAIL FROM %q, want the null sender", tx.from)
				}
			} else if !strings.HasPrefix(tx.from, "SRS0=") || !strings.HasSuffix(tx.from, "@example.test") {
				t.Errorf("a redirect left with MAIL FROM %q, want an SRS0 address of example.test", tx.from)
			}
		case len(tx.to) == 1:
			gotReplies[tx.to[0]]++
			if tx.from != "" {
				t.Errorf("vacation reply to %s with MAIL FROM %q, want the null sender", tx.to[0], tx.from)
			}
			for _, want := range []string{"Auto-Submitted: auto-replied", "DKIM-Signature:", "Subject: Away", "Away until Monday."} {
				if !strings.Contains(tx.data, want) {
					t.Errorf("vacation reply to %s lacks %q:\n%s", tx.to[0], want, tx.data)
				}
			}
			local, _, _ := strings.Cut(tx.to[0], "@")
			if !strings.Contains(tx.data, "In-Reply-To: <"+local+"-1@remote.test>") {
				t.Errorf("vacation reply to %s does not answer its first message:\n%s", tx.to[0], tx.data)
			}
		default:
			t.Errorf("unexpected transaction from %q to %v", tx.from, tx.to)
		}
	}
	if gotRedirects != redirects {
		t.Errorf("%d redirects reached the remote, want %d", gotRedirects, redirects)
	}
	if want := map[string]int{"dave@remote.test": 1, "erin@remote.test": 1}; !maps.Equal(gotReplies, want) {
		t.Errorf("vacation replies %v, want %v (none to the list or the null sender, one per sender)", gotReplies, want)
	}
}
