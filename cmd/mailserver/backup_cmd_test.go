package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	bolt "go.etcd.io/bbolt"

	"github.com/mailserver/mailserver/store"
)

// imapDumpPy lists INBOX over IMAP with Python's imaplib: UIDVALIDITY and,
// per UID, the flags (without \Recent, which depends on the session) and
// the message bytes. With "flag" it first sets \Flagged and $Work on
// every message.
const imapDumpPy = `
import base64, imaplib, json, re, sys
host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
m.login(user, pw)
m.select('INBOX')
uv = int(m.response('UIDVALIDITY')[1][0])
if len(sys.argv) > 5 and sys.argv[5] == 'flag':
    typ, _ = m.uid('STORE', '1:*', '+FLAGS', '(\\Flagged $Work)')
    assert typ == 'OK', typ
out = {'uidvalidity': uv, 'messages': {}}
typ, data = m.uid('FETCH', '1:*', '(UID FLAGS BODY.PEEK[])')
assert typ == 'OK', typ
i = 0
while i < len(data):
    item = data[i]
    if isinstance(item, tuple):
        meta, body = item[0], item[1]
        if i + 1 < len(data) and isinstance(data[i + 1], bytes):
            meta += data[i + 1]
            i += 1
        meta = meta.decode()
        uid = re.search(r'UID (\d+)', meta).group(1)
        flags = [f for f in re.search(r'FLAGS \(([^)]*)\)', meta).group(1).split() if f != '\\Recent']
        out['messages'][uid] = {'flags': sorted(flags), 'body': base64.b64encode(body).decode()}
    i += 1
m.logout()
print(json.dumps(out))
`

type mailboxDump struct {
	UIDValidity uint32 `json:"uidvalidity"`
	Messages    map[string]struct {
		Flags []string `json:"flags"`
		Body  string   `json:"body"` // base64
	} `json:"messages"`
}

func imapDump(t *testing.T, addr, user, pass string, extra ...string) mailboxDump {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	args := append([]string{"-c", imapDumpPy, host, port, user, pass}, extra...)
	out, err := exec.Command("python3", args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python3 imaplib dump (needs python3): %v\n%s", err, stderr)
	}
	var d mailboxDump
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("imap dump: %v\n%s", err, out)
	}
	return d
}

const backupDomains = `domains = ["example.test"]`

// addAlice creates alice@example.test with password "secret".
func addAlice(t *testing.T, e *testEnv) {
	t.Helper()
	e.mustRun(t, "secret\n", "user", "add", "alice@example.test", "--password-stdin")
}

// smtpLoad keeps conns SMTP connections delivering to alice until stop
// is closed, and records each message the server acknowledged.
type smtpLoad struct {
	mu    sync.Mutex
	acked []string // tokens in the order their 250 came back
	count atomic.Int64
	errs  atomic.Int64
	wg    sync.WaitGroup
	stop  chan struct{}
}

func startSMTPLoad(t *testing.T, addr string, conns int) *smtpLoad {
	l := &smtpLoad{stop: make(chan struct{})}
	for w := range conns {
		l.wg.Go(func() {
			c, err := smtp.Dial(addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					c.Quit()
					return
				default:
				}
				tok := fmt.Sprintf("tok-%d-%d", w, i)
				msg := fmt.Sprintf("From: <load@remote.test>\r\nTo: <alice@example.test>\r\nSubject: %s\r\nMessage-ID: <%s@remote.test>\r\n\r\n%s\r\n%s\r\n",
					tok, tok, strings.Repeat("The quick brown fox jumps over the lazy dog.\r\n", 20+(i*7)%200), tok)
				if err := c.SendMail("load@remote.test", []string{"alice@example.test"}, strings.NewReader(msg)); err != nil {
					l.errs.Add(1)
					t.Errorf("delivery %s: %v", tok, err)
					return
				}
				l.mu.Lock()
				l.acked = append(l.acked, tok)
				l.mu.Unlock()
				l.count.Add(1)
			}
		})
	}
	return l
}

func (l *smtpLoad) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

// TestBackupUnderLoad: while 20 SMTP connections deliver, "mailserver
// backup" copies the running server's database; restored into a fresh
// data directory it verifies, and holds every message acknowledged before
// the backup began, byte for byte, with the same flags, UIDs and
// UIDVALIDITY.
func TestBackupUnderLoad(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "imap": "127.0.0.1:0"}, backupDomains)
	addAlice(t, e)
	s := e.start(t)
	load := startSMTPLoad(t, s.addrs["smtp"], 20)
	for load.count.Load() < 2000 {
		if load.errs.Load() > 0 {
			t.FailNow()
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Flags set before the backup must be in it.
	imapDump(t, s.addrs["imap"], "alice@example.test", "secret", "flag")
	before := load.snapshot()
	n0, t0 := load.count.Load(), time.Now()
	bk := filepath.Join(t.TempDir(), "backup.db")
	out := e.mustRun(t, "", "backup", bk)
	during := float64(load.count.Load()-n0) / time.Since(t0).Seconds()
	close(load.stop)
	load.wg.Wait()
	t.Logf("backup: %s; acceptance during the backup %.0f msg/s", strings.TrimSpace(out), during)
	if !strings.Contains(out, "sha256") {
		t.Fatalf("backup output: %q", out)
	}
	orig := imapDump(t, s.addrs["imap"], "alice@example.test", "secret")
	s.stop(t)

	fresh := newTestEnv(t, map[string]string{"imap": "127.0.0.1:0"}, backupDomains)
	out = fresh.mustRun(t, "", "restore", bk)
	if !strings.Contains(out, "verified") {
		t.Fatalf("restore output: %q", out)
	}
	if out := fresh.mustRun(t, "", "verify"); !strings.Contains(out, "no problems found") {
		t.Fatalf("verify of the restored database: %s", out)
	}
	rs := fresh.start(t)
	restored := imapDump(t, rs.addrs["imap"], "alice@example.test", "secret")
	rs.stop(t)

	if restored.UIDValidity != orig.UIDValidity {
		t.Fatalf("UIDVALIDITY %d after restore, was %d", restored.UIDValidity, orig.UIDValidity)
	}
	byToken := map[string]string{} // token → UID in the original
	for uid, m := range orig.Messages {
		b := decodeB64(t, m.Body)
		if i := strings.Index(b, "Subject: tok-"); i >= 0 {
			tok, _, _ := strings.Cut(b[i+len("Subject: "):], "\r\n")
			byToken[tok] = uid
		}
	}
	flagged := 0
	for _, tok := range before {
		uid, ok := byToken[tok]
		if !ok {
			t.Fatalf("%s, acknowledged before the backup, is not in the original mailbox", tok)
		}
		r, ok := restored.Messages[uid]
		if !ok {
			t.Fatalf("%s (UID %s), acknowledged before the backup, is missing from the restored mailbox", tok, uid)
		}
		o := orig.Messages[uid]
		if r.Body != o.Body {
			t.Fatalf("UID %s: restored message differs from the original", uid)
		}
		if strings.Join(r.Flags, " ") != strings.Join(o.Flags, " ") {
			t.Fatalf("UID %s: flags %v after restore, %v before", uid, r.Flags, o.Flags)
		}
		if strings.Contains(strings.Join(o.Flags, " "), "$Work") {
			flagged++
		}
	}
	if flagged < 2000 {
		t.Fatalf("only %d messages carried the flags set before the backup", flagged)
	}
	t.Logf("%d messages acknowledged before the backup, all restored; %d in the original at the end, %d restored",
		len(before), len(orig.Messages), len(restored.Messages))
}

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestVerifyCompactRestoreCLI: verify online and offline and its exit
// status on damage; compact and restore refuse a running server and
// work on a stopped one.
func TestVerifyCompactRestoreCLI(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"}, backupDomains)
	addAlice(t, e)
	s := e.start(t)
	for i := range 30 {
		msg := fmt.Sprintf("Subject: m%d\r\n\r\n%s", i, strings.Repeat(strings.Repeat("x", 98)+"\r\n", 200))
		if err := smtpSend(s.addrs["smtp"], "a@remote.test", "alice@example.test", msg); err != nil {
			t.Fatal(err)
		}
	}
	if out := e.mustRun(t, "", "verify"); !strings.Contains(out, "through the running server") || !strings.Contains(out, "30 messages") {
		t.Fatalf("online verify: %s", out)
	}
	bk := filepath.Join(t.TempDir(), "b.db")
	e.mustRun(t, "", "backup", bk)
	for _, args := range [][]string{{"compact"}, {"restore", bk}} {
		if r := e.run(t, "", args...); r.code != exitError || !strings.Contains(r.stderr, "needs the server stopped") {
			t.Fatalf("%v with the server running: exit %d, %s", args, r.code, r.stderr)
		}
	}
	s.stop(t)

	// Damage: alice's usage off by one byte.
	db, err := bolt.Open(dbPath(&Config{DataDir: e.dataDir}), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		acct := tx.Bucket([]byte("accounts")).Bucket([]byte{0, 0, 0, 0, 0, 0, 0, 1})
		u := append([]byte(nil), acct.Get([]byte("usage"))...)
		u[7]++
		return acct.Put([]byte("usage"), u)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := e.run(t, "", "verify")
	if r.code != exitError || !strings.Contains(r.stdout, "problem: account 1: usage says") || !strings.Contains(r.stderr, "1 problems found") {
		t.Fatalf("verify of a damaged database: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Restore repairs it from the backup, keeping the damaged file.
	if out := e.mustRun(t, "", "restore", bk); !strings.Contains(out, "30 messages") {
		t.Fatalf("restore: %s", out)
	}
	if _, err := os.Stat(dbPath(&Config{DataDir: e.dataDir}) + store.BeforeRestoreSuffix); err != nil {
		t.Fatal(err)
	}
	e.mustRun(t, "", "verify")
	out := e.mustRun(t, "", "compact")
	if !strings.Contains(out, "before") || !strings.Contains(out, "after") {
		t.Fatalf("compact: %s", out)
	}
	e.mustRun(t, "", "verify")
	// A backup whose bytes no longer match its manifest is refused.
	b, _ := os.ReadFile(bk)
	b[len(b)-100] ^= 0xff
	os.WriteFile(bk, b, 0o600)
	if r := e.run(t, "", "restore", bk); r.code != exitError || !strings.Contains(r.stderr, "SHA-256") {
		t.Fatalf("restore of a damaged backup: exit %d, %s", r.code, r.stderr)
	}
	// Offline backup.
	if out := e.mustRun(t, "", "backup", filepath.Join(t.TempDir(), "off.db")); !strings.Contains(out, "sha256") {
		t.Fatalf("offline backup: %s", out)
	}
}

// TestScheduledBackups: with [backup] dir the server takes backups every
// interval and keeps the newest keep; status shows the last one.
func TestScheduledBackups(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	e := newTestEnv(t, offListeners, backupDomains+fmt.Sprintf("\n[backup]\ndir = %q\ninterval = \"1s\"\nkeep = 2\n", dir))
	addAlice(t, e)
	s := e.start(t)
	deadline := time.Now().Add(startupLimit)
	for strings.Count(s.log.String(), `msg="backup taken"`) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("no 4 backups:\n%s", s.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := e.mustRun(t, "", "status")
	s.stop(t)
	if !strings.Contains(out, "server:       running") || !strings.Contains(out, "last backup:  "+dir) || !strings.Contains(out, "disk:         ok") {
		t.Fatalf("status:\n%s", out)
	}
	list, err := listBackups(dir)
	if err != nil || len(list) != 2 {
		t.Fatalf("%d backups kept (%v), want 2", len(list), err)
	}
	for _, b := range list {
		if _, err := store.CheckBackup(b.path, nil); err != nil {
			t.Fatal(err)
		}
	}
	if out := e.mustRun(t, "", "status"); !strings.Contains(out, "server:       not running") || !strings.Contains(out, "backups kept: 2") {
		t.Fatalf("status offline:\n%s", out)
	}
}

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
