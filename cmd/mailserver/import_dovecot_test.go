package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// dovecotBinary is Debian's dovecot-core/dovecot-imapd daemon.
const dovecotBinary = "/usr/sbin/dovecot"

// dovecotPeer is a private Dovecot instance run by a test: two users,
// "mdir" with Maildir++ and "mbx" with mbox, password dovecotPassword.
type dovecotPeer struct {
	dir         string
	imap, imaps string // loopback addresses
	caFile      string // its self-signed certificate
	maildirHome string // mdir's Maildir
	mboxDir     string // mbx's mbox tree
	cmd         *exec.Cmd
	exited      chan struct{}
}

const dovecotPassword = "dove-secret"

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// writeTestCert writes a self-signed P-256 certificate for 127.0.0.1.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dovecot.import.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// startDovecot runs Dovecot in the foreground as a child, with its own
// config, base_dir and state_dir, on free loopback ports (the way
// /work/shared/bench/peers/dovecot-peer runs it).
func startDovecot(t *testing.T) *dovecotPeer {
	t.Helper()
	if _, err := os.Stat(dovecotBinary); err != nil {
		t.Fatalf("%s is missing: install Debian's dovecot-imapd (apt-get install dovecot-imapd): %v", dovecotBinary, err)
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "dovecot-import")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"run", "state", "home", "home/mdir", "home/mbx"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var uid, gid int
	fmt.Sscan(nobody.Uid, &uid)
	fmt.Sscan(nobody.Gid, &gid)
	for _, d := range []string{"home/mdir", "home/mbx"} {
		if err := os.Chown(filepath.Join(dir, d), uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	cert, key := writeTestCert(t, dir)
	p := &dovecotPeer{dir: dir, imap: freePort(t), imaps: freePort(t), caFile: cert,
		maildirHome: filepath.Join(dir, "home/mdir/Maildir"), mboxDir: filepath.Join(dir, "home/mbx/mail"), exited: make(chan struct{})}
	users := fmt.Sprintf("mdir::%d:%d::%s/home/mdir::userdb_mail=maildir:~/Maildir\n"+
		"mbx::%d:%d::%s/home/mbx::userdb_mail=mbox:~/mail:INBOX=~/mail/inbox\n", uid, gid, dir, uid, gid, dir)
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(users), 0o644); err != nil {
		t.Fatal(err)
	}
	_, imapPort, _ := net.SplitHostPort(p.imap)
	_, imapsPort, _ := net.SplitHostPort(p.imaps)
	conf := fmt.Sprintf(`instance_name = %[1]s
base_dir = %[1]s/run
state_dir = %[1]s/state
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[2]s
ssl_key = <%[3]s
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = %[1]s/dovecot.log
mbox_lazy_writes = no
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
passdb {
  driver = static
  args = password=%[4]s
}
userdb {
  driver = passwd-file
  args = %[1]s/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]s
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[6]s
    ssl = yes
  }
}
namespace inbox {
  inbox = yes
  mailbox "Old Mail" {
    special_use = \Archive
  }
}
service anvil {
  chroot =
}
`, dir, cert, key, dovecotPassword, imapPort, imapsPort)
	confFile := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(dovecotBinary, "-F", "-c", confFile)
	var out bytes.Buffer
	p.cmd.Stdout, p.cmd.Stderr = &out, &out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", p.imaps)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-p.exited:
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot exited: %s\n%s", out.String(), log)
		case <-time.After(50 * time.Millisecond):
		}
		if i > 400 {
			t.Fatalf("dovecot does not listen on %s", p.imaps)
		}
	}
	return p
}

// feedScript is Python's imaplib filling a Dovecot account over IMAP:
// folders (the delimiter is argv[5]), flags, keywords and internal dates.
const feedScript = `
import imaplib, sys
host, port, user, pw, delim, phase = sys.argv[1:7]
M = imaplib.IMAP4(host, int(port))
M.login(user, pw)
def app(box, flags, date, msg):
    typ, data = M.append(box, flags, imaplib.Time2Internaldate(date), msg.encode())
    assert typ == 'OK', (box, typ, data)
big = 'Subject: big\r\nFrom: b@example.test\r\n\r\n' + ''.join('line %06d of a long message body\r\n' % i for i in range(6000))
if phase == 'initial':
    for box in ['Sent', 'Archive' + delim + '2024', 'Entw&APw-rfe', '"Old Mail"', 'Empty' + delim + 'Child']:
        typ, data = M.create(box)
        assert typ == 'OK', (box, data)
    app('INBOX', r'(\Seen)', 1577934245, 'From: a@example.test\r\nSubject: plain\r\n\r\nHello\r\nFrom the start of a line\r\n>From quoted\r\n')
    app('INBOX', r'(\Flagged $Label1 Work)', 1600000000, 'From: c@example.test\r\nSubject: keywords\r\n\r\nbody\r\n')
    app('INBOX', '()', 1610000000, 'no header here\r\njust text\r\n')
    app('INBOX', r'(\Answered)', 1620000000, big)
    app('Sent', r'(\Seen \Answered)', 1630000000, 'From: me@example.test\r\nSubject: sent\r\n\r\nsent body\r\n')
    app('Archive' + delim + '2024', r'(\Seen \Deleted \Draft Work)', 1700000000, 'Subject: archived\r\n\r\nold\r\n')
    app('Entw&APw-rfe', r'(\Draft $Forwarded)', 1710000000, 'Subject: =?utf-8?q?Entw=C3=BCrfe?=\r\n\r\ndraft\r\n')
    app('"Old Mail"', '()', 1400000000, 'Subject: in a folder with \\Archive\r\n\r\nold\r\n')
else:
    app('INBOX', r'(\Seen)', 1720000000, 'Subject: new 1\r\n\r\nnew\r\n')
    app('INBOX', '()', 1720000001, 'Subject: new 2\r\n\r\nnewer\r\n')
    app('Sent', r'(\Seen)', 1720000002, 'Subject: new sent\r\n\r\nx\r\n')
M.logout()
`

// feed runs feedScript against the peer for user.
func (p *dovecotPeer) feed(t *testing.T, user, delim, phase string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(p.imap)
	out, err := exec.Command("python3", "-c", feedScript, host, port, user, dovecotPassword, delim, phase).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 imaplib feeding dovecot: %v\n%s", err, out)
	}
}

// snapMessage is what IMAP reports of a message.
type snapMessage struct {
	body  string
	flags string // sorted, without \Recent
	date  int64  // INTERNALDATE, unix seconds
}

func (m snapMessage) String() string {
	b := m.body
	if len(b) > 60 {
		b = b[:60] + fmt.Sprintf("...(%d octets)", len(m.body))
	}
	return fmt.Sprintf("{%q flags=[%s] date=%d}", b, m.flags, m.date)
}

// imapSnapshot fetches every non-empty folder of an account over IMAP, in
// UID order, with the folder names' levels joined by '/'.
func imapSnapshot(t *testing.T, addr string, tlsConf *tls.Config, user, password string) map[string][]snapMessage {
	t.Helper()
	var c *imapclient.Client
	var err error
	if tlsConf != nil {
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: tlsConf})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatalf("login %s at %s: %v", user, addr, err)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]snapMessage{}
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) || slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		sel, err := c.Select(l.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatalf("select %s: %v", l.Mailbox, err)
		}
		if sel.NumMessages == 0 {
			continue
		}
		var all imap.SeqSet
		all.AddRange(1, sel.NumMessages)
		bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatalf("fetch %s: %v", l.Mailbox, err)
		}
		slices.SortFunc(bufs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
		name := l.Mailbox
		if l.Delim != 0 && l.Delim != '/' {
			name = strings.ReplaceAll(name, string(l.Delim), "/")
		}
		for _, b := range bufs {
			var flags []string
			for _, f := range b.Flags {
				if f != imap.Flag(`\Recent`) {
					flags = append(flags, string(f))
				}
			}
			slices.Sort(flags)
			var body []byte
			for _, s := range b.BodySection {
				body = s.Bytes
			}
			out[name] = append(out[name], snapMessage{body: string(body), flags: strings.Join(flags, " "), date: b.InternalDate.Unix()})
		}
	}
	c.Logout().Wait()
	return out
}

func compareSnapshots(t *testing.T, what string, got, want map[string][]snapMessage) {
	t.Helper()
	for folder, w := range want {
		g := got[folder]
		if len(g) != len(w) {
			t.Errorf("%s: folder %q has %d messages, want %d:\n got %v\nwant %v", what, folder, len(g), len(w), g, w)
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%s: folder %q message %d:\n got %v\nwant %v", what, folder, i+1, g[i], w[i])
			}
		}
	}
	for folder := range got {
		if _, ok := want[folder]; !ok {
			t.Errorf("%s: unexpected folder %q: %v", what, folder, got[folder])
		}
	}
}

// TestImportExportMigrateWithDovecot: a real Dovecot, filled over IMAP by
// Python's imaplib, writes a Maildir++ tree and an mbox tree; importing
// them (offline and through the running server's admin socket) gives
// exactly what Dovecot reports over IMAP, twice adds nothing, export then
// import round-trips, and migrating over imaps gives the same again, a
// second run fetching only the mail that arrived meanwhile.
func TestImportExportMigrateWithDovecot(t *testing.T) {
	d := startDovecot(t)
	d.feed(t, "mdir", ".", "initial")
	d.feed(t, "mbx", "/", "initial")
	wantMaildir := imapSnapshot(t, d.imap, nil, "mdir", dovecotPassword)
	wantMbox := imapSnapshot(t, d.imap, nil, "mbx", dovecotPassword)
	if len(wantMaildir["INBOX"]) != 4 || len(wantMaildir["Archive/2024"]) != 1 || len(wantMaildir["Entwürfe"]) != 1 {
		t.Fatalf("dovecot's view of what was fed: %v", wantMaildir)
	}
	if os.Getenv("DOVECOT_PEEK") != "" {
		out, _ := exec.Command("cat", filepath.Join(d.mboxDir, "inbox")).CombinedOutput()
		t.Logf("%s", out)
	}

	e := newTestEnv(t, map[string]string{"imap": "127.0.0.1:0"}, "")
	e.mustRun(t, "", "domain", "add", "example.test")
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		e.mustRun(t, "pw-"+u+"\n", "user", "add", u+"@example.test", "--password-stdin")
	}

	// Offline: the Maildir tree (given as the user's home, as Dovecot
	// lays it out).
	out := e.mustRun(t, "", "import", "alice@example.test", filepath.Dir(d.maildirHome))
	if !strings.Contains(out, "8 added, 0 already there, 1 with an unparseable header") {
		t.Fatalf("import printed %q", out)
	}
	out = e.mustRun(t, "", "import", "alice@example.test", d.maildirHome)
	if !strings.Contains(out, "0 added, 8 already there") {
		t.Fatalf("second import printed %q", out)
	}

	s := e.start(t)
	imapAddr := s.addrs["imap"]
	compareSnapshots(t, "maildir import", imapSnapshot(t, imapAddr, nil, "alice@example.test", "pw-alice"), wantMaildir)
	mustHaveFolder(t, imapAddr, "alice@example.test", "pw-alice", "Empty/Child")

	// Online: the mbox tree Dovecot wrote, through the admin socket.
	if _, err := os.Stat(filepath.Join(d.mboxDir, "Archive", "2024")); err != nil {
		t.Fatalf("dovecot's mbox layout: %v", err)
	}
	// A session IDLE in bob's INBOX is told of the imported messages.
	exists := make(chan uint32, 16)
	idler, err := imapclient.DialInsecure(imapAddr, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(m *imapclient.UnilateralDataMailbox) {
			if m.NumMessages != nil {
				exists <- *m.NumMessages
			}
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer idler.Close()
	if err := idler.Login("bob@example.test", "pw-bob").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := idler.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := idler.Idle()
	if err != nil {
		t.Fatal(err)
	}
	out = e.mustRun(t, "", "import", "bob@example.test", d.mboxDir)
	if !strings.Contains(out, "8 added, 0 already there") {
		t.Fatalf("mbox import printed %q", out)
	}
	for n := uint32(0); n != 4; {
		select {
		case n = <-exists:
		case <-time.After(time.Minute):
			t.Fatalf("the IDLE session was not told of bob's 4 imported INBOX messages (last EXISTS %d)", n)
		}
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.log.String(), "admin import") {
		t.Fatalf("the mbox import did not go through the admin socket:\n%s", s.log)
	}
	compareSnapshots(t, "mbox import", imapSnapshot(t, imapAddr, nil, "bob@example.test", "pw-bob"), wantMbox)
	mustHaveFolder(t, imapAddr, "bob@example.test", "pw-bob", "Empty/Child")
	out = e.mustRun(t, "", "import", "bob@example.test", d.mboxDir)
	if !strings.Contains(out, "0 added, 8 already there") {
		t.Fatalf("second mbox import printed %q", out)
	}

	// Export (online) then import into empty accounts: the same octets,
	// flags and dates.
	aliceView := imapSnapshot(t, imapAddr, nil, "alice@example.test", "pw-alice")
	for _, tc := range []struct{ format, user string }{{"maildir", "dave"}, {"mbox", "erin"}} {
		dir := filepath.Join(t.TempDir(), "export")
		out := e.mustRun(t, "", "export", "alice@example.test", dir, "--format", tc.format)
		if !strings.Contains(out, "exported 8 messages") {
			t.Fatalf("export %s printed %q", tc.format, out)
		}
		out = e.mustRun(t, "", "import", tc.user+"@example.test", dir)
		if !strings.Contains(out, "8 added") {
			t.Fatalf("import of the %s export printed %q", tc.format, out)
		}
		compareSnapshots(t, tc.format+" export round trip", imapSnapshot(t, imapAddr, nil, tc.user+"@example.test", "pw-"+tc.user), aliceView)
		mustHaveFolder(t, imapAddr, tc.user+"@example.test", "pw-"+tc.user, "Empty/Child")
	}

	// Migrate over imaps, trusting Dovecot's certificate by --ca-file.
	from := "imaps://mdir@" + d.imaps
	out = e.mustRun(t, dovecotPassword+"\n", "migrate", "carol@example.test", "--from", from, "--ca-file", d.caFile, "--password-stdin", "--parallel", "2")
	if !strings.Contains(out, "8 added, 0 already there") {
		t.Fatalf("migrate printed %q", out)
	}
	// Migration follows the special-use attribute Dovecot gives "Old
	// Mail" (RFC 6154): its messages go to the account's \Archive.
	compareSnapshots(t, "migrate", imapSnapshot(t, imapAddr, nil, "carol@example.test", "pw-carol"), renameFolder(wantMaildir, "Old Mail", "Archive"))
	mustHaveFolder(t, imapAddr, "carol@example.test", "pw-carol", "Empty/Child")
	// Without the CA the certificate is refused.
	if r := e.run(t, dovecotPassword+"\n", "migrate", "carol@example.test", "--from", from, "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("migrate without --ca-file: exit %d, %s", r.code, r.stderr)
	}

	// New mail in Dovecot: the second run fetches only that.
	// This time the password is typed at the prompt, on a terminal.
	d.feed(t, "mdir", ".", "more")
	r, screen := promptSession(t, e, []string{dovecotPassword}, "migrate", "carol@example.test", "--from", from, "--ca-file", d.caFile)
	if r.code != 0 || !strings.Contains(r.stdout, "migrated 3 messages") || !strings.Contains(r.stdout, "3 added, 0 already there") {
		t.Fatalf("second migrate: exit %d, printed %q, terminal %q", r.code, r.stdout, screen)
	}
	if !strings.Contains(screen, "mdir at "+d.imaps+", password: ") || strings.Contains(screen, dovecotPassword) {
		t.Fatalf("migrate's prompt: %q", screen)
	}
	compareSnapshots(t, "migrate again", imapSnapshot(t, imapAddr, nil, "carol@example.test", "pw-carol"),
		renameFolder(imapSnapshot(t, d.imaps, &tls.Config{InsecureSkipVerify: true}, "mdir", dovecotPassword), "Old Mail", "Archive"))
	s.stop(t)
}

// renameFolder is snap with folder from called to.
func renameFolder(snap map[string][]snapMessage, from, to string) map[string][]snapMessage {
	out := map[string][]snapMessage{}
	for k, v := range snap {
		if k == from {
			k = to
		}
		out[k] = append(out[k], v...)
	}
	return out
}

// mustHaveFolder fails unless the account lists folder.
func mustHaveFolder(t *testing.T, addr, user, password, folder string) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	list, err := c.List("", folder, nil).Collect()
	if err != nil || len(list) != 1 {
		t.Fatalf("%s has no folder %q (the source's empty folder): %v %v", user, folder, list, err)
	}
}
