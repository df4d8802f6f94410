package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/smtpd/rspamd/rspamdtest"
	"github.com/mailserver/mailserver/store"
)

// One real rspamd (with its redis) for the package's tests, started by
// the first test that needs it and stopped by TestMain.
var (
	rspamdOnce sync.Once
	rspamdInst *rspamdtest.Instance
	rspamdErr  error
)

func sharedRspamd(t *testing.T) *rspamdtest.Instance {
	t.Helper()
	rspamdOnce.Do(func() { rspamdInst, rspamdErr = rspamdtest.Start(rspamdtest.Options{}) })
	if rspamdErr != nil {
		t.Fatal(rspamdErr)
	}
	return rspamdInst
}

func stopRspamd() {
	if rspamdInst != nil {
		rspamdInst.Stop()
	}
}

func spamConfig(inst *rspamdtest.Instance, learn bool) string {
	ctrl := ""
	if learn {
		ctrl = inst.ControllerURL
	}
	return fmt.Sprintf("domains = [\"example.test\"]\n[spam]\nrspamd_url = %q\nrspamd_controller_url = %q\nrspamd_password = %q\nrspamd_timeout = \"20s\"\n",
		inst.ScanURL, ctrl, rspamdtest.Password)
}

// waitLearns polls rspamd's Bayes counters until they reach the wanted
// values (learning is asynchronous) or a minute passes.
func waitLearns(t *testing.T, inst *rspamdtest.Instance, spam, ham int64) {
	t.Helper()
	var s, h int64
	var err error
	for i := 0; i < 600; i++ {
		if s, h, err = inst.Learns(); err != nil {
			t.Fatal(err)
		}
		if s == spam && h == ham {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("rspamd learned spam %d ham %d, want %d %d", s, h, spam, ham)
}

// imapScript runs a Python imaplib script (a client nobody here wrote)
// against addr, logged in as bob.
func imapScript(t *testing.T, addr, script string) string {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	prog := fmt.Sprintf("import imaplib, time, sys\nM = imaplib.IMAP4(%q, %s)\nM.login('bob@example.test', 'bob-secret')\n%s\nM.logout()\n", host, port, script)
	out, err := exec.Command("python3", "-c", prog).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 imaplib: %v\n%s", err, out)
	}
	return string(out)
}

func sendTo(t *testing.T, addr, subject, extra, text string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := "From: Carol <carol@client.test>\r\nTo: <bob@example.test>\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@client.test>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
		extra + "\r\n" + text + "\r\n"
	return c.SendMail("carol@client.test", []string{"bob@example.test"}, strings.NewReader(msg))
}

const learnText = "Dear Bob, the quarterly report on the garden project is ready; the tomatoes grew well, " +
	"the beans less so, and the committee proposes new fences before winter. Regards, Carol."

// TestSpamServeScanAndLearn: `serve` with [spam] scans port 25 mail with
// a real rspamd (GTUBE refused, a message between add-header and reject
// in Junk, a clean one in INBOX with its score), `user spam ... inbox`
// keeps a user's spam in INBOX, and IMAP MOVEs into and out of Junk
// (Python's imaplib) teach rspamd spam and ham; out of Junk into Trash
// teaches nothing.
func TestSpamServeScanAndLearn(t *testing.T) {
	inst := sharedRspamd(t)
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "imap": "127.0.0.1:0", "metrics": "127.0.0.1:0"}, spamConfig(inst, true))
	e.mustRun(t, "bob-secret\n", "user", "add", "bob@example.test", "--password-stdin")
	s := e.start(t)
	defer s.stop(t)
	mx := s.addrs["smtp"]

	err := sendTo(t, mx, "gtube", "", "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X")
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("GTUBE: %v, want 550 5.7.1", err)
	}
	if err := sendTo(t, mx, "junk one", "X-Test-Spam: yes\r\n", learnText+" one"); err != nil {
		t.Fatal(err)
	}
	if err := sendTo(t, mx, "junk two", "X-Test-Spam: yes\r\n", learnText+" two"); err != nil {
		t.Fatal(err)
	}
	if err := sendTo(t, mx, "clean", "", learnText+" three"); err != nil {
		t.Fatal(err)
	}
	out := imapScript(t, s.addrs["imap"], `
for mb in ('INBOX', 'Junk'):
    M.select(mb)
    typ, data = M.uid('SEARCH', None, 'ALL')
    for uid in data[0].split():
        typ, d = M.uid('FETCH', uid, '(BODY.PEEK[HEADER.FIELDS (SUBJECT X-SPAM X-SPAM-SCORE)])')
        print(mb, d[0][1].decode().replace('\r\n', '|'))
`)
	// The verdicts are counted: GTUBE rejected, two add header, one clean.
	fams := scrape(t, s.addrs["metrics"])
	for result, want := range map[string]float64{"reject": 1, "add_header": 2, "no_action": 1, "error": 0} {
		if v, ok := metricValue(fams, "mailserver_spam_scans_total", "result="+result); !ok || v != want {
			t.Errorf("mailserver_spam_scans_total{result=%s} = %v, %v; want %v", result, v, ok, want)
		}
	}
	where := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		mb, fields, _ := strings.Cut(line, " ")
		if !strings.Contains(fields, "X-Spam-Score: ") {
			t.Fatalf("no score: %s", line)
		}
		_, subj, _ := strings.Cut(fields, "Subject: ")
		subj, _, _ = strings.Cut(subj, "|")
		where[subj] = mb
		if (mb == "Junk") != strings.Contains(fields, "X-Spam: Yes|") {
			t.Fatalf("X-Spam flag wrong: %s", line)
		}
	}
	if want := map[string]string{"junk one": "Junk", "junk two": "Junk", "clean": "INBOX"}; fmt.Sprint(where) != fmt.Sprint(want) {
		t.Fatalf("mailboxes %v, want %v:\n%s", where, want, out)
	}
	if strings.Contains(out, "gtube") || strings.Count(out, "X-Spam: Yes") != 2 {
		t.Fatalf("unexpected mailboxes:\n%s", out)
	}

	spam0, ham0, err := inst.Learns()
	if err != nil {
		t.Fatal(err)
	}
	// junk one → INBOX (ham); junk two → Trash (nothing); clean → Junk (spam).
	imapScript(t, s.addrs["imap"], `
M.select('Junk')
typ, data = M.uid('SEARCH', None, 'SUBJECT', '"junk one"')
assert M.uid('MOVE', data[0].split()[0], 'INBOX')[0] == 'OK'
typ, data = M.uid('SEARCH', None, 'SUBJECT', '"junk two"')
assert M.uid('MOVE', data[0].split()[0], 'Trash')[0] == 'OK'
M.select('INBOX')
typ, data = M.uid('SEARCH', None, 'SUBJECT', '"clean"')
assert M.uid('MOVE', data[0].split()[0], 'Junk')[0] == 'OK'
`)
	waitLearns(t, inst, spam0+1, ham0+1)
	// Trash taught nothing: the counts stay one up each. (A wrongly
	// learned "junk two" would have been counted by now: the learner
	// works through its queue in order, and the last job was the spam.)
	if s1, h1, _ := inst.Learns(); s1 != spam0+1 || h1 != ham0+1 {
		t.Fatalf("learned spam %d ham %d, want %d %d", s1, h1, spam0+1, ham0+1)
	}
	// The ham goes back into Junk: rspamd relearns it as spam (one ham
	// fewer, one spam more); the second COPY is not sent again.
	imapScript(t, s.addrs["imap"], `
M.select('INBOX')
typ, data = M.uid('SEARCH', None, 'SUBJECT', '"junk one"')
assert M.uid('COPY', data[0].split()[0], 'Junk')[0] == 'OK'
assert M.uid('COPY', data[0].split()[0], 'Junk')[0] == 'OK'
`)
	waitLearns(t, inst, spam0+2, ham0)
	if !strings.Contains(s.log.String(), "component=spam-learner") && !strings.Contains(s.log.String(), "message scanned") {
		t.Logf("log:\n%s", s.log)
	}

	// A user who wants spam in INBOX.
	e.mustRun(t, "", "user", "spam", "bob@example.test", "inbox")
	if err := sendTo(t, mx, "junk three", "X-Test-Spam: yes\r\n", learnText+" four"); err != nil {
		t.Fatal(err)
	}
	out = imapScript(t, s.addrs["imap"], `
M.select('INBOX')
typ, data = M.uid('SEARCH', None, 'SUBJECT', '"junk three"')
print('found', len(data[0].split()))
`)
	if !strings.Contains(out, "found 1") {
		t.Fatalf("spam for an INBOX user not in INBOX: %s", out)
	}
	if r := e.run(t, "", "user", "spam", "bob@example.test", "maybe"); r.code != 2 {
		t.Fatalf("user spam with a bad value: exit %d, %s", r.code, r.stderr)
	}
}

// countingLearner records what the learner sends.
type countingLearner struct {
	mu    sync.Mutex
	calls []string
}

func (c *countingLearner) Learn(_ context.Context, spam bool, msg []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, fmt.Sprintf("%v %s", spam, strings.TrimSpace(string(msg))))
	return nil
}

// TestSpamLearnerEvents: which store changes are learned, and that a
// message is learned once per verdict.
func TestSpamLearnerEvents(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.AddDomain(ctx, "example.test"))
	u, err := st.AddUser(ctx, "bob@example.test", "pw")
	must(err)
	cl := &countingLearner{}
	l := newSpamLearner(st, cl, slog.New(slog.DiscardHandler))
	l.stop = st.WatchAll(l.onEvent)
	rctx, cancel := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { l.Run(rctx); close(ran) }()
	defer func() { cancel(); <-ran }()

	// Delivered straight to Junk (the filter's verdict): not learned.
	_, err = st.Submit(ctx, &store.Submission{Body: store.NewBody([]byte("Subject: a\r\n\r\nA\r\n")),
		Local: []store.LocalDelivery{{UserID: u.ID, SpecialUse: `\Junk`}}})
	must(err)
	_, err = st.Submit(ctx, &store.Submission{Body: store.NewBody([]byte("Subject: b\r\n\r\nB\r\n")),
		Local: []store.LocalDelivery{{UserID: u.ID}}})
	must(err)
	box := func(name string) uint64 {
		m, err := st.MailboxByName(ctx, u.ID, name)
		must(err)
		return m.ID
	}
	move := func(from, to string) {
		t.Helper()
		uids, err := st.UIDs(ctx, u.ID, box(from))
		must(err)
		_, err = st.Move(ctx, u.ID, box(from), uids[:1], to)
		must(err)
	}
	move("INBOX", "Junk")   // b: spam
	move("Junk", "Archive") // a: ham
	move("Junk", "Trash")   // b: nothing
	move("Trash", "Junk")   // b: again spam, already learned: not sent
	move("Archive", "Junk") // a: spam (was ham)
	want := []string{"true Subject: b\r\n\r\nB", "false Subject: a\r\n\r\nA", "true Subject: a\r\n\r\nA"}
	for i := 0; ; i++ {
		cl.mu.Lock()
		got := fmt.Sprintf("%q", cl.calls)
		cl.mu.Unlock()
		if got == fmt.Sprintf("%q", want) {
			break
		}
		if i == 500 {
			t.Fatalf("learned %s, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSpamLearningBurstOfMoves: 1,000 IMAP MOVEs into Junk, one command
// each (Python's imaplib), with the learner on and, for comparison, off;
// every message is learned, and the MOVE reply times of both runs are
// logged (measured, not asserted).
func TestSpamLearningBurstOfMoves(t *testing.T) {
	inst := sharedRspamd(t)
	const n = 1000
	script := fmt.Sprintf(`
words = 'garden committee report tomatoes beans fences winter budget meeting thursday proposal review'.split()
for i in range(%d):
    body = 'Subject: burst %%d\r\nFrom: carol@client.test\r\nTo: bob@example.test\r\nMessage-ID: <burst%%d.%%s@client.test>\r\n\r\n' %% (i, i, sys.argv[1] if len(sys.argv) > 1 else 'x')
    body += ' '.join(words[(i + k) %% len(words)] + str(i * 7 + k) for k in range(30)) + '\r\n'
    M.append('INBOX', None, None, body.encode())
M.select('INBOX')
typ, data = M.uid('SEARCH', None, 'ALL')
lat = []
for uid in data[0].split():
    t0 = time.perf_counter()
    typ, _ = M.uid('MOVE', uid, 'Junk')
    lat.append(time.perf_counter() - t0)
    assert typ == 'OK'
lat.sort()
print('moves %%d p50 %%.2fms p99 %%.2fms max %%.2fms mean %%.2fms' %% (len(lat), lat[len(lat)//2]*1e3, lat[len(lat)*99//100]*1e3, lat[-1]*1e3, sum(lat)/len(lat)*1e3))
`, n)
	for _, learn := range []bool{false, true} {
		e := newTestEnv(t, map[string]string{"imap": "127.0.0.1:0"}, spamConfig(inst, learn))
		e.mustRun(t, "bob-secret\n", "user", "add", "bob@example.test", "--password-stdin")
		s := e.start(t)
		spam0, ham0, err := inst.Learns()
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		out := imapScript(t, s.addrs["imap"], script)
		moved := time.Since(start)
		t.Logf("learning %v: %s (append+moves %v)", learn, strings.TrimSpace(out), moved.Round(time.Millisecond))
		if learn {
			waitLearns(t, inst, spam0+n, ham0)
			t.Logf("all %d learned %v after the burst began", n, time.Since(start).Round(time.Millisecond))
		}
		s.stop(t)
	}
}
