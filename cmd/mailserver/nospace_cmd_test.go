package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// fullDiskPy talks to the server with Python's smtplib and imaplib:
//
//	fill HOST PORT           deliver ever smaller messages (1 MiB to 64 KiB) until they get 452
//	send HOST PORT SIZE      deliver one message
//	append HOST PORT SIZE    IMAP APPEND one message as alice
//
// Each prints one JSON object: the last reply's code and text.
const fullDiskPy = `
import imaplib, json, smtplib, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
def message(i, size):
    return ('From: <a@remote.test>\r\nTo: <alice@example.test>\r\nSubject: fill %d\r\n\r\n' % i) + ('y' * 76 + '\r\n') * (size // 78)
def send(s, i, size):
    try:
        s.sendmail('a@remote.test', ['alice@example.test'], message(i, size))
        return 250, 'ok'
    except smtplib.SMTPDataError as e:
        return e.smtp_code, e.smtp_error.decode()
if mode == 'fill':
    s = smtplib.SMTP(host, port)
    accepted, code, text, i = 0, 250, '', 0
    for size in (1 << 20, 256 << 10, 64 << 10):
        for _ in range(3000):
            i += 1
            code, text = send(s, i, size)
            if code != 250:
                break
            accepted += 1
    # The connection survives a 452: it still answers.
    noop = s.noop()[0]
    s.quit()
    print(json.dumps({'accepted': accepted, 'code': code, 'text': text, 'noop': noop}))
elif mode == 'send':
    s = smtplib.SMTP(host, port)
    code, text = send(s, 0, int(sys.argv[4]))
    s.quit()
    print(json.dumps({'code': code, 'text': text}))
elif mode == 'append':
    m = imaplib.IMAP4(host, port)
    m.login('alice@example.test', 'secret')
    typ, data = m.append('INBOX', None, None, message(0, int(sys.argv[4])).encode())
    m.logout()
    print(json.dumps({'code': typ, 'text': b' '.join(d for d in data if d).decode()}))
`

type pyReply struct {
	Accepted int    `json:"accepted"`
	Code     any    `json:"code"`
	Text     string `json:"text"`
	Noop     int    `json:"noop"`
}

func fullDisk(t *testing.T, args ...string) pyReply {
	t.Helper()
	out, err := exec.Command("python3", append([]string{"-c", fullDiskPy}, args...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python3 %v: %v\n%s", args, err, stderr)
	}
	var r pyReply
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("python3 %v: %v: %s", args, err, out)
	}
	return r
}

func hostPort(addr string) []string {
	h, p, _ := strings.Cut(addr, ":")
	return []string{h, p}
}

// TestFullDisk runs the server with its data directory on a 32 MiB tmpfs
// and fills it: SMTP answers 452 4.3.1 and keeps the connection, IMAP
// APPEND a plain NO saying why, POP3 keeps its maildrop when its update
// cannot commit, mail queued before stays queued, and nothing
// acknowledged is lost; once space is freed mail flows again without a
// restart and verify passes.
func TestFullDisk(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "imap": "127.0.0.1:0", "pop3": "127.0.0.1:0", "metrics": "127.0.0.1:0"},
		backupDomains+"\n[smtp]\ntrusted_networks = [\"127.0.0.0/8\"]\n[delivery]\nrelay_host = \"127.0.0.1:1\"\n")
	if err := os.MkdirAll(e.dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	mountTmpfs(t, e.dataDir, 32<<20)
	ballast := filepath.Join(e.dataDir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 6<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	addAlice(t, e)
	s := e.start(t)
	smtpAddr, imapAddr := hostPort(s.addrs["smtp"]), hostPort(s.addrs["imap"])
	// Mail for a remote recipient, queued (the relay refuses: deferred).
	if r := fullDisk(t, "send", smtpAddr[0], smtpAddr[1], "2000"); r.Code != float64(250) {
		t.Fatalf("before filling: %+v", r)
	}
	qmsg := "From: <alice@example.test>\r\nTo: <bob@remote.test>\r\nSubject: queued\r\n\r\nhi\r\n"
	if err := smtpSend(s.addrs["smtp"], "alice@example.test", "bob@remote.test", qmsg); err != nil {
		t.Fatal(err)
	}
	before := imapDump(t, s.addrs["imap"], "alice@example.test", "secret")

	fill := fullDisk(t, append([]string{"fill"}, smtpAddr...)...)
	t.Logf("accepted %d messages before the disk was full; then %v %s", fill.Accepted, fill.Code, fill.Text)
	if fill.Code != float64(452) || !strings.HasPrefix(fill.Text, "4.3.1 ") || fill.Noop != 250 {
		t.Fatalf("full disk: SMTP answered %v %q (NOOP after it %d), want 452 4.3.1 and the connection kept", fill.Code, fill.Text, fill.Noop)
	}
	waitLog(t, s, "disk full")
	if r := fullDisk(t, append(append([]string{"send"}, smtpAddr...), "262144")...); r.Code != float64(452) {
		t.Fatalf("second message on a full disk: %+v", r)
	}
	big := qmsg + strings.Repeat(strings.Repeat("q", 98)+"\r\n", 2500)
	if err := smtpSend(s.addrs["smtp"], "alice@example.test", "carol@remote.test", big); err == nil || !strings.Contains(err.Error(), "452") {
		t.Fatalf("mail for a remote recipient on a full disk: %v, want 452", err)
	}
	app := fullDisk(t, append(append([]string{"append"}, imapAddr...), "262144")...)
	if app.Code != "NO" || !strings.Contains(app.Text, "disk space") || strings.Contains(app.Text, "SERVERBUG") {
		t.Fatalf("IMAP APPEND on a full disk: %v %q, want a plain NO saying why", app.Code, app.Text)
	}
	// The metric says why commits fail.
	if v, ok := metricValue(scrape(t, s.addrs["metrics"]), "mailserver_store_commit_failures_total", "reason=no_space"); !ok || v < 1 {
		t.Errorf("mailserver_store_commit_failures_total{reason=no_space} = %v, %v on a full disk", v, ok)
	}
	// POP3: DELE then QUIT. If the update could not commit, the
	// maildrop keeps the message; if it could, the message is gone.
	quit := pop3DeleFirst(t, s.addrs["pop3"])
	st := e.mustRun(t, "", "status")
	// FULL while the last commit failed (POP3's update may have fitted
	// since); the refused commits are counted either way.
	if !strings.Contains(st, "disk:         ") || strings.Contains(st, "(0 commits refused") {
		t.Fatalf("status on a full disk:\n%s", st)
	}

	// Space comes back.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if r := fullDisk(t, append(append([]string{"send"}, smtpAddr...), "262144")...); r.Code != float64(250) {
		t.Fatalf("after freeing space: %+v", r)
	}
	if app := fullDisk(t, append(append([]string{"append"}, imapAddr...), "262144")...); app.Code != "OK" {
		t.Fatalf("APPEND after freeing space: %+v", app)
	}
	waitLog(t, s, "disk space available again")
	after := imapDump(t, s.addrs["imap"], "alice@example.test", "secret")
	for uid, m := range before.Messages {
		a, ok := after.Messages[uid]
		if !ok && uid == "1" && strings.HasPrefix(quit, "+OK") {
			continue // POP3 removed it, and said so
		}
		if !ok || a.Body != m.Body {
			t.Fatalf("UID %s, stored before the disk filled, is lost or changed (POP3 QUIT said %q)", uid, quit)
		}
	}
	if _, ok := after.Messages["1"]; strings.HasPrefix(quit, "-ERR") && !ok {
		t.Fatalf("POP3 QUIT said %q but the message is gone", quit)
	}
	if got, want := len(after.Messages), len(before.Messages)+fill.Accepted+2; got != want-boolInt(strings.HasPrefix(quit, "+OK")) {
		t.Fatalf("%d messages after the full disk, want %d (POP3 QUIT: %q)", got, want, quit)
	}
	q := e.mustRun(t, "", "queue", "list")
	if !strings.Contains(q, "bob@remote.test") || strings.Contains(q, "carol@remote.test") {
		t.Fatalf("queue after the full disk:\n%s", q)
	}
	s.stop(t)
	if out := e.mustRun(t, "", "verify"); !strings.Contains(out, "no problems found") {
		t.Fatalf("verify after the full disk: %s", out)
	}
	t.Logf("POP3 QUIT on the full disk: %q", quit)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mountTmpfs mounts a tmpfs of size bytes on dir and unmounts it at
// cleanup. It needs root (CAP_SYS_ADMIN) and mount(8) from util-linux.
func mountTmpfs(t *testing.T, dir string, size int64) {
	t.Helper()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("this test needs a small file system: mount -t tmpfs (as root, mount from util-linux) failed: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// smtpSend delivers one message over SMTP (go-smtp's client, without
// STARTTLS: the test server's certificate is self-signed).
func smtpSend(addr, from, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, []string{to}, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// pop3DeleFirst logs in as alice, deletes message 1 and quits; it
// returns the reply to QUIT.
func pop3DeleFirst(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	cmd := func(line string) string {
		t.Helper()
		if line != "" {
			fmt.Fprintf(c, "%s\r\n", line)
		}
		reply, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("pop3 %q: %v", line, err)
		}
		return strings.TrimSpace(reply)
	}
	for _, l := range []string{"", "USER alice@example.test", "PASS secret", "DELE 1"} {
		if reply := cmd(l); !strings.HasPrefix(reply, "+OK") {
			t.Fatalf("pop3 %q: %q", l, reply)
		}
	}
	return cmd("QUIT")
}
