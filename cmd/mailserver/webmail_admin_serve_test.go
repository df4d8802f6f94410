package main

import (
	"context"
	"crypto/tls"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// webSession is a browser of the webmail of a running server: a cookie
// jar, redirects not followed, the session's CSRF token.
type webSession struct {
	t    *testing.T
	hc   *http.Client
	base string
	csrf string
}

var (
	webCSRFMeta  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	webCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func newWebSession(t *testing.T, tlsAddr string) *webSession {
	jar, _ := cookiejar.New(nil)
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", tlsAddr)
	}
	return &webSession{t: t, base: "https://mail.example.test", hc: &http.Client{
		Jar: jar,
		// The server's self-signed certificate (no [tls] configured).
		Transport:     &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}}
}

func (w *webSession) do(method, path string, form url.Values) (*http.Response, string) {
	w.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.base+path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := webCSRFMeta.FindSubmatch(b); m != nil {
		w.csrf = string(m[1])
	}
	return resp, string(b)
}

func (w *webSession) login(address, password string) {
	w.t.Helper()
	_, page := w.do("GET", "/webmail/login", nil)
	m := webCSRFField.FindStringSubmatch(page)
	if m == nil {
		w.t.Fatalf("login page without a token:\n%s", page)
	}
	resp, body := w.do("POST", "/webmail/login", url.Values{"csrf": {m[1]}, "address": {address}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("webmail login of %s: %s\n%s", address, resp.Status, body)
	}
	w.do("GET", "/webmail/", nil)
	if w.csrf == "" {
		w.t.Fatal("no CSRF token after login")
	}
}

// post sends a form of the admin pages with the session's token and
// wants a 303 (the change was made).
func (w *webSession) post(path string, kv ...string) {
	w.t.Helper()
	f := url.Values{"csrf": {w.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	resp, body := w.do("POST", path, f)
	if resp.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("POST %s: %s\n%s", path, resp.Status, body)
	}
}

// imapLoginPy logs in with Python's imaplib over implicit TLS and
// prints OK and the number of messages in INBOX, or NO.
const imapLoginPy = `
import imaplib, ssl, sys
addr, user, pw = sys.argv[1:4]
h, p = addr.rsplit(":", 1)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
i = imaplib.IMAP4_SSL(h, int(p), ssl_context=ctx)
try:
    i.login(user, pw)
except imaplib.IMAP4.error:
    print("NO"); sys.exit(0)
typ, d = i.select("INBOX")
print("OK", typ, d[0].decode())
i.logout()
`

func imapLogin(t *testing.T, addr, user, pw string) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", imapLoginPy, addr, user, pw).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 imaplib (Debian package python3): %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestWebmailAdminServe: on the real server, an administrator made with
// "user add --admin" adds a user in the admin pages who then logs in over
// IMAP (Python's imaplib), resets that user's password (the old one stops
// working over IMAP, the new one works), sees the DKIM TXT records "dkim
// list" prints on the domain's DNS page, and deletes the user (IMAP login
// fails). A user who is not an administrator gets 403.
func TestWebmailAdminServe(t *testing.T) {
	lookTool(t, "python3", "python3")
	e := newTestEnv(t, map[string]string{"https": "127.0.0.1:0", "imaps": "127.0.0.1:0"}, `domains = ["example.test"]`)
	e.mustRun(t, "root-secret-pw\n", "user", "add", "root@example.test", "--admin", "--password-stdin")
	e.mustRun(t, "plain-secret-pw\n", "user", "add", "plain@example.test", "--password-stdin")
	dkim := dkimRecordsFrom(t, e.mustRun(t, "", "dkim", "list", "example.test"))
	s := e.start(t)
	imaps, https := s.addrs["imaps"], s.addrs["https"]
	if imaps == "" || https == "" {
		t.Fatalf("listeners not logged:\n%s", s.log)
	}

	plain := newWebSession(t, https)
	plain.login("plain@example.test", "plain-secret-pw")
	if resp, _ := plain.do("GET", "/webmail/admin/users", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("non-admin on the users page: %s", resp.Status)
	}

	root := newWebSession(t, https)
	root.login("root@example.test", "root-secret-pw")
	if resp, body := root.do("GET", "/webmail/admin/users", nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-address="root@example.test" class="admin-user"`) {
		t.Fatalf("users page: %s\n%s", resp.Status, body)
	}
	root.post("/webmail/admin/users/add", "address", "carol@example.test", "password", "carol-first-pw", "password2", "carol-first-pw")
	if got := imapLogin(t, imaps, "carol@example.test", "carol-first-pw"); !strings.HasPrefix(got, "OK OK") {
		t.Fatalf("carol over IMAP after being added in the admin pages: %q\nserver log:\n%s", got, s.log)
	}
	if !strings.Contains(e.mustRun(t, "", "user", "list"), "carol@example.test") {
		t.Fatal("user list through the socket does not show carol")
	}

	root.post("/webmail/admin/users/password", "address", "carol@example.test", "password", "carol-second-pw", "password2", "carol-second-pw")
	if got := imapLogin(t, imaps, "carol@example.test", "carol-first-pw"); got != "NO" {
		t.Fatalf("carol's old password over IMAP after the reset: %q", got)
	}
	if got := imapLogin(t, imaps, "carol@example.test", "carol-second-pw"); !strings.HasPrefix(got, "OK") {
		t.Fatalf("carol's new password over IMAP: %q", got)
	}

	resp, body := root.do("GET", "/webmail/admin/domains/dns?domain=example.test", nil)
	if resp.StatusCode != http.StatusOK || len(dkim) == 0 {
		t.Fatalf("DNS page: %s (%d DKIM records from dkim list)\n%s", resp.Status, len(dkim), body)
	}
	text := html.UnescapeString(body)
	joined := strings.ReplaceAll(text, `" "`, "") // TXT strings of 255 octets, joined
	for name, record := range dkim {
		if !strings.Contains(body, `data-kind="DKIM" data-name="`+name+`."`) || !strings.Contains(joined, `"`+record+`"`) {
			t.Errorf("DNS page lacks the DKIM TXT record %s %q", name, record)
		}
	}
	if !strings.Contains(text, "example.test.\t3600\tIN\tMX\t10 mail.example.test.") {
		t.Errorf("DNS page lacks the MX record:\n%s", text)
	}

	root.post("/webmail/admin/users/delete", "address", "carol@example.test", "confirm", "yes")
	if got := imapLogin(t, imaps, "carol@example.test", "carol-second-pw"); got != "NO" {
		t.Fatalf("deleted carol over IMAP: %q", got)
	}
	s.stop(t)
}
