package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"image/png"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue/dkimtest"
)

// The webmail's end-to-end tests in a real browser: Debian's chromium
// driven by playwright-core (package.json at the top of the repository,
// installed by `npm ci`) from the node scripts in testdata/webmail/. The
// Go side runs the real binary twice: server A (example.test) serves the
// webmail to alice; server B (remote.test, reached through a test DNS
// as the MX of remote.test) is where carol reads over IMAP what alice
// sends from the browser, so what arrives there went through A's
// submission path, DKIM signing, queue and SMTP client. A control server
// on loopback lets the scripts send mail over SMTP and look at mailboxes
// over IMAP (go-imap's client) in the middle of a browser session, and a
// "remote" web server counts every load of the hostile corpus's remote
// images.
//
// WEBMAIL_SCREENSHOTS=1 writes the main pages' screenshots to
// docs/webmail/*.png.

const (
	webmailHost     = "mail.example.test"
	webmailUser     = "alice@example.test"
	webmailPassword = "alice-webmail-pw"
	remoteUser      = "carol@remote.test"
	remotePassword  = "carol-imap-pw"
	adminUser       = "root@example.test"
	adminPassword   = "root-admin-pw"
	// passwordUser changes their password in the settings.
	passwordUser     = "frank@example.test"
	passwordPassword = "frank-old-password"
	// shotsUser has an ordinary mailbox for the screenshots.
	shotsUser     = "erin@example.test"
	shotsPassword = "erin-screens-pw"
	// trackerHost is the hostile corpus's remote image host; Chromium
	// maps it (like every name) to 127.0.0.1, where remoteRecorder runs.
	trackerHost = "tracker.remote.example"
)

// e2eLimit bounds one browser script: only a limit on a hung test.
const e2eLimit = 5 * time.Minute

// webmailE2E is the world the browser scripts run in.
type webmailE2E struct {
	root     string // the repository (node_modules, docs/webmail)
	node     string
	chromium string
	a, b     *testEnv
	sa, sb   *server
	url      string // https://mail.example.test:PORT/webmail/
	control  string // http://127.0.0.1:PORT/
	remote   *remoteRecorder
	// spki lists the public-key digests of A's self-signed certificate
	// and the recorder's, which Chromium is told to trust
	// (--ignore-certificate-errors-spki-list): a page whose certificate
	// error was merely ignored gets its downloads cancelled.
	spki      string
	shots     string // docs/webmail when WEBMAIL_SCREENSHOTS=1, else ""
	passwords map[string]string
}

// browserTools finds node, Chromium and playwright-core, failing with
// what to install when one is missing.
func browserTools(t *testing.T) (root, node, chromium string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	chromium = os.Getenv("WEBMAIL_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the webmail's browser tests need Chromium at %s (Debian package chromium; or set WEBMAIL_CHROMIUM): %v", chromium, err)
	}
	node = lookTool(t, "node", "nodejs")
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Fatalf("playwright-core is not installed: run `npm ci` at the top of the repository (Debian package npm; package-lock.json pins it): %v", err)
	}
	return root, node, chromium
}

// TestWebmailE2E runs the flows in Chromium, one subtest and
// script each: login (cookie flags, CSP, labels); live arrival over SMTP,
// flag and expunge over IMAP, open, reply with an attachment (byte-exact
// and DKIM-verified at B over IMAP, served back from Sent); marking
// read/unread, move, search (IMAP sees each); drafts across a reload;
// folders and Trash; password change ending other sessions; logout
// ending the session; the hostile corpus; a cross-site form post; the admin pages adding an
// IMAP user (and refusing a non-admin); the main pages for screenshots.
func TestWebmailE2E(t *testing.T) {
	root, node, chromium := browserTools(t)
	w := &webmailE2E{root: root, node: node, chromium: chromium, passwords: map[string]string{
		webmailUser: webmailPassword, remoteUser: remotePassword, adminUser: adminPassword, shotsUser: shotsPassword, passwordUser: passwordPassword,
	}}
	if os.Getenv("WEBMAIL_SCREENSHOTS") == "1" {
		w.shots = filepath.Join(root, "docs", "webmail")
	}
	w.startServers(t)
	w.remote = startRemoteRecorder(t)
	w.spki = certSPKI(t, w.a.selfSignedCert(t)) + "," + w.remote.spki
	w.control = startControl(t, w)

	// Each flow is one subtest with its own script and browser; a flow
	// that fails does not stop the others.
	t.Run("login", func(t *testing.T) { w.run(t, "login.mjs") })
	t.Run("live-open-reply", w.testLiveOpenReply)
	t.Run("organise", func(t *testing.T) { w.run(t, "organise.mjs") })
	t.Run("drafts", func(t *testing.T) { w.run(t, "drafts.mjs") })
	t.Run("folders-trash", func(t *testing.T) { w.run(t, "folders-trash.mjs") })
	t.Run("password", w.testPassword)
	t.Run("logout", func(t *testing.T) { w.run(t, "logout.mjs") })
	t.Run("hostile", w.testHostile)
	t.Run("csrf", func(t *testing.T) {
		w.run(t, "csrf.mjs", fmt.Sprintf("WEBMAIL_REMOTE=https://%s:%d", trackerHost, w.remote.port))
	})
	t.Run("admin", w.testAdmin)
	t.Run("screenshots", w.testScreenshots)
	if w.shots != "" {
		t.Run("screenshot-files", w.testScreenshotFiles)
	}
}

// startServers starts B (remote.test) first, since A's outbound
// delivery needs B's SMTP port, then A with the webmail.
func (w *webmailE2E) startServers(t *testing.T) {
	t.Helper()
	// B listens on its own loopback address, as a different host would.
	w.b = newTestEnv(t, map[string]string{"smtp": "127.0.0.13:0", "imaps": "127.0.0.1:0"}, `domains = ["remote.test"]`)
	rewriteConfig(t, w.b.config, `hostname = "mail.example.test"`, `hostname = "mx.remote.test"`)
	w.b.mustRun(t, remotePassword+"\n", "user", "add", remoteUser, "--password-stdin")
	w.sb = w.b.start(t)
	t.Cleanup(func() { w.sb.stop(t) })
	_, bPort, err := net.SplitHostPort(w.sb.addrs["smtp"])
	if err != nil {
		t.Fatalf("B's smtp listener %q: %v\n%s", w.sb.addrs["smtp"], err, w.sb.log)
	}

	dnsAddr := startTestDNS(t, map[string]string{
		"remote.test.":    "MX 10 mx.remote.test.",
		"mx.remote.test.": "A 127.0.0.13",
	})
	w.a = newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "imaps": "127.0.0.1:0", "https": "127.0.0.1:0"},
		fmt.Sprintf("domains = [\"example.test\"]\n[delivery]\nresolver = %q\nremote_port = %s\n", dnsAddr, bPort))
	w.a.mustRun(t, webmailPassword+"\n", "user", "add", webmailUser, "--password-stdin")
	w.sa = w.a.start(t)
	t.Cleanup(func() { w.sa.stop(t) })
	_, httpsPort, err := net.SplitHostPort(w.sa.addrs["https"])
	if err != nil {
		t.Fatalf("A's https listener %q: %v\n%s", w.sa.addrs["https"], err, w.sa.log)
	}
	w.url = "https://" + webmailHost + ":" + httpsPort + "/webmail/"
}

func rewriteConfig(t *testing.T, file, old, new string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s has no %q", file, old)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs testdata/webmail/script with node and fails the test with
// its output when it fails. extra is more environment (KEY=value).
func (w *webmailE2E) run(t *testing.T, script string, extra ...string) {
	t.Helper()
	w.runAs(t, script, webmailUser, extra...)
}

func (w *webmailE2E) runAs(t *testing.T, script, user string, extra ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.node, filepath.Join(w.root, "cmd", "mailserver", "testdata", "webmail", script))
	cmd.Dir = w.root
	cmd.Env = append(os.Environ(),
		"WEBMAIL_URL="+w.url,
		"WEBMAIL_HOST="+webmailHost,
		"WEBMAIL_CONTROL="+w.control,
		"WEBMAIL_USER="+user,
		"WEBMAIL_PASSWORD="+w.passwords[user],
		"WEBMAIL_CHROMIUM="+w.chromium,
		"WEBMAIL_SPKI="+w.spki,
		"WEBMAIL_SCREENSHOTS_DIR="+w.shots,
	)
	cmd.Env = append(cmd.Env, extra...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("node %s (%v):\n%s", script, time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("browser script %s failed: %v (output above); server A's log ends:\n%s", script, err, logTail(w.sa.log.String(), 40))
	}
}

// logTail is the last n lines of a log.
func logTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// testLiveOpenReply: a message sent over SMTP appears in the open list
// without a reload; alice opens it and replies with an attachment; the
// reply reaches carol at server B, where IMAP shows the attachment
// byte-identical and dkimpy verifies A's two DKIM signatures.
func (w *webmailE2E) testLiveOpenReply(t *testing.T) {
	attachment := make([]byte, 48<<10)
	if _, err := rand.Read(attachment); err != nil {
		t.Fatal(err)
	}
	// Every byte value, and bytes that a careless encoder would mangle.
	for i := 0; i < 256; i++ {
		attachment[i] = byte(i)
	}
	copy(attachment[256:], "\r\n.\r\n\n.\r\r\nFrom \x00")
	file := filepath.Join(t.TempDir(), "report-2026.bin")
	if err := os.WriteFile(file, attachment, 0o600); err != nil {
		t.Fatal(err)
	}
	subject := "Live arrival " + fmt.Sprint(time.Now().UnixNano()%100000)
	w.run(t, "live-open-reply.mjs", "WEBMAIL_ATTACHMENT="+file, "WEBMAIL_SUBJECT="+subject, "WEBMAIL_FROM="+remoteUser)

	// The reply goes out through A's queue to B: wait for it there.
	var raw []byte
	deadline := time.Now().Add(60 * time.Second)
	for raw == nil {
		msgs, err := imapMessages(w.sb.addrs["imaps"], remoteUser, remotePassword, "INBOX", true)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Contains(m.Subject, subject) && strings.HasPrefix(strings.ToLower(m.Subject), "re:") {
				raw = m.raw
			}
		}
		if raw == nil {
			if time.Now().After(deadline) {
				q := w.a.run(t, "", "queue", "list")
				t.Fatalf("the reply to %q never reached %s over IMAP at B; A's queue:\n%s\nA's log ends:\n%s", subject, remoteUser, q.stdout+q.stderr, logTail(w.sa.log.String(), 40))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	name, got, err := firstAttachment(raw)
	if err != nil {
		t.Fatalf("the reply at B: %v\n%s", err, raw)
	}
	if name != filepath.Base(file) {
		t.Errorf("attachment name %q, want %q", name, filepath.Base(file))
	}
	if !bytes.Equal(got, attachment) {
		t.Errorf("the attachment arrived with %d octets, not the %d uploaded (or different ones)", len(got), len(attachment))
	}
	recs := dkimRecordsFrom(t, w.a.mustRun(t, "", "dkim", "list"))
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, raw, recs), "example.test")
}

// firstAttachment returns the file name and decoded content of the first
// attachment part of a message.
func firstAttachment(raw []byte) (string, []byte, error) {
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		return "", nil, fmt.Errorf("parse: %w", err)
	}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return "", nil, fmt.Errorf("no attachment part")
		}
		if err != nil {
			return "", nil, fmt.Errorf("parse: %w", err)
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, err := h.Filename()
			if err != nil {
				return "", nil, fmt.Errorf("attachment name: %w", err)
			}
			b, err := io.ReadAll(p.Body)
			if err != nil {
				return "", nil, fmt.Errorf("attachment body: %w", err)
			}
			return name, b, nil
		}
	}
}

// testHostile delivers the hostile corpus (testdata/webmail/hostile/*.eml,
// {{REMOTE}} replaced by the recorder's URL) and a harmless reference
// mail, then lets hostile.mjs open each: no script may run in the page,
// nothing may load from a remote host until asked, and the layout outside
// the message pane must stay as it is for the reference.
func (w *webmailE2E) testHostile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "webmail", "hostile", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostile corpus: %v", err)
	}
	remote := fmt.Sprintf("https://%s:%d", trackerHost, w.remote.port)
	ref := "From: Rita Reference <rita@remote.test>\r\nTo: " + webmailUser + "\r\nSubject: [reference] a harmless HTML mail\r\n" +
		"Date: Wed, 02 Dec 2026 01:00:00 +0000\r\nMessage-ID: <reference@remote.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>Alice</b>, nothing to see here.</p>\r\n"
	if err := w.sendSMTP("rita@remote.test", []string{webmailUser}, []byte(ref)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("{{REMOTE}}"), []byte(remote))
		b = bytes.ReplaceAll(b, []byte("{{REMOTE_HOSTPORT}}"), []byte(strings.TrimPrefix(remote, "https://")))
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		if !bytes.Contains(b, []byte("[hostile "+name+"]")) {
			t.Fatalf("%s: its Subject must contain [hostile %s], the scripts find it by that", f, name)
		}
		if err := w.sendSMTP("mallory@evil.test", []string{webmailUser}, b); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names = append(names, name)
	}
	js, _ := json.Marshal(names)
	w.run(t, "hostile.mjs", "WEBMAIL_HOSTILE="+string(js), "WEBMAIL_REMOTE="+remote)
	// The script already checked the recorder between messages; the
	// only loads must be of the mail whose remote images were asked for.
	for _, h := range w.remote.hits() {
		if !strings.Contains(h, "m=remote-images") {
			t.Errorf("remote host loaded %s, which nobody asked for", h)
		}
	}
}

// testPassword: frank changes his password in the settings
// (password.mjs); IMAP then takes the new one and refuses the old.
func (w *webmailE2E) testPassword(t *testing.T) {
	w.a.mustRun(t, passwordPassword+"\n", "user", "add", passwordUser, "--password-stdin")
	newPassword := "frank-new-password-2026"
	w.runAs(t, "password.mjs", passwordUser, "WEBMAIL_NEW_PASSWORD="+newPassword)
	if _, err := imapMessages(w.sa.addrs["imaps"], passwordUser, newPassword, "INBOX", false); err != nil {
		t.Errorf("IMAP with the password set in the settings: %v", err)
	}
	if _, err := imapMessages(w.sa.addrs["imaps"], passwordUser, passwordPassword, "INBOX", false); err == nil {
		t.Errorf("IMAP still takes the password changed in the settings")
	}
}

// testAdmin: an admin (made with `user add --admin`) adds a user in the
// admin pages, who can then log in over IMAP; alice, no admin, cannot
// see the admin pages.
func (w *webmailE2E) testAdmin(t *testing.T) {
	r := w.a.run(t, adminPassword+"\n", "user", "add", adminUser, "--password-stdin", "--admin")
	if r.code != 0 {
		t.Fatalf("mailserver user add --admin (W3, webadmin): exit %d: %s", r.code, r.stderr)
	}
	newUser, newPassword := "dave@example.test", "dave-from-the-admin-page"
	w.runAs(t, "admin.mjs", adminUser, "WEBMAIL_NEW_USER="+newUser, "WEBMAIL_NEW_PASSWORD="+newPassword)
	if _, err := imapMessages(w.sa.addrs["imaps"], newUser, newPassword, "INBOX", false); err != nil {
		t.Fatalf("the user added in the admin pages cannot use IMAP: %v", err)
	}
	w.run(t, "admin-refused.mjs")
}

// sendSMTP delivers a message to A's port 25 (go-smtp's client).
func (w *webmailE2E) sendSMTP(from string, to []string, msg []byte) error {
	c, err := smtp.Dial(w.sa.addrs["smtp"])
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := c.SendMail(from, to, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return c.Quit()
}

// imapMsg is what the control server reports of a message.
type imapMsg struct {
	UID     uint32   `json:"uid"`
	Subject string   `json:"subject"`
	Flags   []string `json:"flags"`
	raw     []byte
}

// imapMessages lists a mailbox over implicit-TLS IMAP (go-imap's client),
// with each message's raw form when withBody.
func imapMessages(addr, user, password, mailbox string, withBody bool) ([]imapMsg, error) {
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		return nil, fmt.Errorf("imap %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return nil, fmt.Errorf("imap login %s: %w", user, err)
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("imap select %s: %w", mailbox, err)
	}
	var out []imapMsg
	if sel.NumMessages > 0 {
		opts := &imap.FetchOptions{UID: true, Flags: true, Envelope: true}
		section := &imap.FetchItemBodySection{Peek: true}
		if withBody {
			opts.BodySection = []*imap.FetchItemBodySection{section}
		}
		msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, opts).Collect()
		if err != nil {
			return nil, fmt.Errorf("imap fetch %s: %w", mailbox, err)
		}
		for _, m := range msgs {
			im := imapMsg{UID: uint32(m.UID), raw: m.FindBodySection(section)}
			if m.Envelope != nil {
				im.Subject = m.Envelope.Subject
			}
			for _, f := range m.Flags {
				im.Flags = append(im.Flags, string(f))
			}
			out = append(out, im)
		}
	}
	return out, c.Logout().Wait()
}

// imapCreate creates a mailbox over IMAP.
func imapCreate(addr, user, password, mailbox string) error {
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		return fmt.Errorf("imap %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return fmt.Errorf("imap login %s: %w", user, err)
	}
	if err := c.Create(mailbox, nil).Wait(); err != nil {
		return fmt.Errorf("imap create %s: %w", mailbox, err)
	}
	return c.Logout().Wait()
}

// imapChange changes, as another IMAP client would, every message of a
// mailbox whose subject is subject: op "flag" adds \Flagged, "delete"
// sets \Deleted and expunges (UID EXPUNGE, RFC 4315).
func imapChange(addr, user, password, mailbox, subject, op string) error {
	msgs, err := imapMessages(addr, user, password, mailbox, false)
	if err != nil {
		return err
	}
	var uids imap.UIDSet
	for _, m := range msgs {
		if m.Subject == subject {
			uids.AddNum(imap.UID(m.UID))
		}
	}
	if len(uids) == 0 {
		return fmt.Errorf("imap: no message %q in %s", subject, mailbox)
	}
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		return fmt.Errorf("imap %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return fmt.Errorf("imap login %s: %w", user, err)
	}
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		return fmt.Errorf("imap select %s: %w", mailbox, err)
	}
	flag := imap.FlagFlagged
	if op == "delete" {
		flag = imap.FlagDeleted
	}
	if err := c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{flag}}, nil).Close(); err != nil {
		return fmt.Errorf("imap store %s: %w", flag, err)
	}
	if op == "delete" {
		if err := c.UIDExpunge(uids).Close(); err != nil {
			return fmt.Errorf("imap uid expunge: %w", err)
		}
	}
	return c.Logout().Wait()
}

// startControl serves the scripts' requests to the Go side on loopback:
//
//	POST /smtp {"from", "to": [...], "data"}        send over A's port 25
//	POST /imap/messages {"server": "a"|"b", "user", "mailbox"}
//	     → {"messages": [{uid, subject, flags}]} or {"error"} (no such mailbox)
//	POST /imap/create {"server", "user", "mailbox"}
//	POST /imap/change {"server", "user", "mailbox", "subject", "op": "flag"|"delete"}
//	POST /remote/hits → {"hits": ["host/path?query", ...]}
func startControl(t *testing.T, w *webmailE2E) string {
	t.Helper()
	type request struct {
		From    string   `json:"from"`
		To      []string `json:"to"`
		Data    string   `json:"data"`
		Server  string   `json:"server"`
		User    string   `json:"user"`
		Mailbox string   `json:"mailbox"`
		Subject string   `json:"subject"`
		Op      string   `json:"op"`
	}
	imapAddr := func(server string) string {
		if server == "b" {
			return w.sb.addrs["imaps"]
		}
		return w.sa.addrs["imaps"]
	}
	decode := func(rw http.ResponseWriter, r *http.Request) (request, bool) {
		var req request
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return req, false
		}
		return req, true
	}
	reply := func(rw http.ResponseWriter, v any) {
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /smtp", func(rw http.ResponseWriter, r *http.Request) {
		req, ok := decode(rw, r)
		if !ok {
			return
		}
		data := strings.ReplaceAll(strings.ReplaceAll(req.Data, "\r\n", "\n"), "\n", "\r\n")
		if err := w.sendSMTP(req.From, req.To, []byte(data)); err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		reply(rw, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /imap/messages", func(rw http.ResponseWriter, r *http.Request) {
		req, ok := decode(rw, r)
		if !ok {
			return
		}
		msgs, err := imapMessages(imapAddr(req.Server), req.User, w.passwords[req.User], req.Mailbox, false)
		if err != nil {
			reply(rw, map[string]string{"error": err.Error()})
			return
		}
		if msgs == nil {
			msgs = []imapMsg{}
		}
		reply(rw, map[string]any{"messages": msgs})
	})
	mux.HandleFunc("POST /imap/create", func(rw http.ResponseWriter, r *http.Request) {
		req, ok := decode(rw, r)
		if !ok {
			return
		}
		if err := imapCreate(imapAddr(req.Server), req.User, w.passwords[req.User], req.Mailbox); err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		reply(rw, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /imap/change", func(rw http.ResponseWriter, r *http.Request) {
		req, ok := decode(rw, r)
		if !ok {
			return
		}
		if err := imapChange(imapAddr(req.Server), req.User, w.passwords[req.User], req.Mailbox, req.Subject, req.Op); err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		reply(rw, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /remote/hits", func(rw http.ResponseWriter, r *http.Request) {
		reply(rw, map[string][]string{"hits": w.remote.hits()})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// remoteRecorder is the hostile corpus's "remote" web server (HTTPS,
// with httptest's certificate, which Chromium is told to accept): it answers
// every request with a 1×1 PNG and records it.
type remoteRecorder struct {
	port int
	spki string // its certificate's certSPKI
	mu   sync.Mutex
	seen []string
}

// pixelPNG is a 1×1 transparent PNG.
var pixelPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func startRemoteRecorder(t *testing.T) *remoteRecorder {
	t.Helper()
	rec := &remoteRecorder{}
	// HTTPS: the webmail is on HTTPS, where Chromium upgrades http://
	// images to https:// and blocks other plain-HTTP loads outright.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/attack" {
			// An attacker's page: a form that posts itself to target
			// (cross-site request forgery, csrf.mjs).
			// Its fields are the query's f.NAME=value parameters.
			var fields strings.Builder
			for k, vs := range r.URL.Query() {
				if name, ok := strings.CutPrefix(k, "f."); ok {
					fmt.Fprintf(&fields, `<input name="%s" value="%s">`, html.EscapeString(name), html.EscapeString(vs[0]))
				}
			}
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(rw, `<!DOCTYPE html><form id="f" method="post" action="%s">%s</form><script>document.getElementById("f").submit()</script>`,
				html.EscapeString(r.URL.Query().Get("target")), fields.String())
			return
		}
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.Host+r.URL.RequestURI())
		rec.mu.Unlock()
		rw.Header().Set("Content-Type", "image/png")
		rw.Write(pixelPNG)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // Chromium's aborted handshakes
	t.Cleanup(srv.Close)
	rec.port = srv.Listener.Addr().(*net.TCPAddr).Port
	rec.spki = certSPKI(t, srv.Certificate())
	return rec
}

// certSPKI is the form Chromium's --ignore-certificate-errors-spki-list
// takes: base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo.
func certSPKI(t *testing.T, c *x509.Certificate) string {
	t.Helper()
	if c == nil {
		t.Fatal("no certificate")
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// selfSignedCert is the certificate the server generated in its data
// directory on first start.
func (e *testEnv) selfSignedCert(t *testing.T) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dataDir, selfSignedCertFile))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s holds no PEM block", selfSignedCertFile)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *remoteRecorder) hits() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.seen...)
}

// testScreenshots fills erin's mailbox with ordinary mail and lets
// screenshots.mjs show (and, with WEBMAIL_SCREENSHOTS=1, photograph) the
// main pages.
func (w *webmailE2E) testScreenshots(t *testing.T) {
	w.a.mustRun(t, shotsPassword+"\n", "user", "add", shotsUser, "--password-stdin")
	if err := imapCreate(w.sa.addrs["imaps"], shotsUser, shotsPassword, "Projects"); err != nil {
		t.Fatal(err)
	}
	type mail struct{ from, subject, ctype, body string }
	const show = "Minutes of the garden committee"
	mails := []mail{
		{"Bob Builder <bob@remote.test>", "Shed delivery on Thursday", "text/plain; charset=utf-8",
			"Hi Erin,\n\nthe shed arrives on Thursday between 9 and 12. Can someone be there?\n\nBob\n"},
		{"Carol Remote <carol@remote.test>", "Re: Photos from the trip", "text/plain; charset=utf-8",
			"They came out great, especially the one at the lighthouse.\n"},
		{"Library <noreply@library.remote.test>", "Your reservation is ready", "text/plain; charset=utf-8",
			"The book you reserved, \"The Left Hand of Darkness\", is ready for pick-up until 9 December.\n"},
		{"Dora Explorer <dora@remote.test>", "Lunch next week?", "text/plain; charset=utf-8",
			"Tuesday or Wednesday works for me. The new place on Market Street?\n"},
		{"Garden Committee <committee@remote.test>", show, "text/html; charset=utf-8",
			"<h2>Garden committee, 1 December</h2><p>Present: Erin, Bob, Dora.</p><ul><li>The shed arrives Thursday.</li>" +
				"<li>Seed order: <b>tomatoes</b>, beans, <i>nasturtiums</i>.</li><li>Next meeting: 15 December.</li></ul>" +
				"<table border=\"1\" cellpadding=\"4\"><tr><th>Task</th><th>Who</th></tr><tr><td>Compost</td><td>Bob</td></tr>" +
				"<tr><td>Watering rota</td><td>Dora</td></tr></table><p>Thanks, everyone!</p>"},
	}
	for i, m := range mails {
		msg := fmt.Sprintf("From: %s\r\nTo: Erin <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <shot-%d@remote.test>\r\nMIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n%s",
			m.from, shotsUser, m.subject, time.Now().Add(time.Duration(i-len(mails))*time.Hour).Format(time.RFC1123Z), i, m.ctype,
			strings.ReplaceAll(m.body, "\n", "\r\n"))
		if err := w.sendSMTP("sender@remote.test", []string{shotsUser}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	w.runAs(t, "screenshots.mjs", shotsUser, "WEBMAIL_SHOT_SUBJECT="+show)
}

// shotSizes are the screenshots the scripts write, with their size.
var shotSizes = map[string][2]int{
	"login": {1280, 800}, "message-list": {1280, 800}, "message-view": {1280, 800}, "compose": {1280, 800},
	"settings": {1280, 800}, "admin": {1280, 800}, "admin-users": {1280, 800},
	"phone-message-list": {390, 844}, "phone-message-view": {390, 844},
}

// testScreenshotFiles checks that every screenshot was written at its
// size and re-encodes it with the best compression, for the repository.
func (w *webmailE2E) testScreenshotFiles(t *testing.T) {
	for name, size := range shotSizes {
		file := filepath.Join(w.shots, name+".png")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		if got := img.Bounds().Size(); got.X != size[0] || got.Y != size[1] {
			t.Errorf("screenshot %s is %dx%d, want %dx%d", name, got.X, got.Y, size[0], size[1])
		}
		var out bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
			t.Fatal(err)
		}
		if out.Len() < len(b) {
			if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
