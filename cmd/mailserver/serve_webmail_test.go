package main

import (
	"bufio"
	"context"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"strings"
	"testing"
)

// TestWebmailServed runs the real binary: the hostname's landing page
// links to the webmail, plain HTTP redirects it to HTTPS, Python's urllib
// (a client nobody here wrote) logs in through the form and sees the
// folder list, and a live event stream that is still open does not hold
// up a graceful shutdown.
func TestWebmailServed(t *testing.T) {
	python := lookTool(t, "python3", "python3")
	dir := t.TempDir()
	certFile, keyFile := writeWebCert(t, dir, "mail.example.test", "example.test")
	e := newTestEnv(t, map[string]string{"http": "127.0.0.1:0", "https": "127.0.0.1:0"},
		"domains = [\"example.test\"]\n[tls]\ncert = \""+certFile+"\"\nkey = \""+keyFile+"\"\n")
	e.mustRun(t, "alice-secret\n", "user", "add", "alice@example.test", "--password-stdin")
	s := e.start(t)
	plainAddr, tlsAddr := s.addrs["http"], s.addrs["https"]
	c := webClient(t, certFile, plainAddr, tlsAddr)

	resp, landing := fetch(t, c, "GET", "https://mail.example.test/")
	if resp.StatusCode != 200 || !strings.Contains(landing, `<a href="/webmail/">`) {
		t.Fatalf("landing page: %s\n%s", resp.Status, landing)
	}
	resp, _ = fetch(t, c, "GET", "http://mail.example.test/webmail/login")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently ||
		!strings.HasPrefix(loc, "https://mail.example.test") || !strings.HasSuffix(loc, "/webmail/login") {
		t.Fatalf("plain http: %s %q", resp.Status, loc)
	}
	resp, _ = fetch(t, c, "GET", "https://example.test/webmail/login")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("webmail on a domain host: %s", resp.Status)
	}

	_, tlsPort, _ := strings.Cut(tlsAddr, ":")
	script := `
import http.cookiejar, re, socket, ssl, sys, urllib.parse, urllib.request
ca, port = sys.argv[1], int(sys.argv[2])
real = socket.create_connection
socket.create_connection = lambda a, *r, **k: real(("127.0.0.1", port), *r, **k)
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca)),
                                     urllib.request.HTTPCookieProcessor(jar))
page = opener.open("https://mail.example.test/webmail/login", timeout=60).read().decode()
token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
data = urllib.parse.urlencode({"csrf": token, "address": "alice@example.test", "password": "alice-secret"}).encode()
resp = opener.open("https://mail.example.test/webmail/login", data, timeout=60)
page = resp.read().decode()
print(resp.geturl())
print("folder-list" in page, 'data-mailbox="INBOX"' in page)
print(resp.headers["Content-Security-Policy"])
print(sorted(c.name for c in jar if c.secure))
`
	out, err := exec.Command(python, "-c", script, certFile, tlsPort).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 4 || lines[0] != "https://mail.example.test/webmail/" || lines[1] != "True True" ||
		!strings.Contains(lines[2], "script-src 'self'") || !strings.Contains(lines[3], "webmail_session") {
		t.Fatalf("python login: %q", lines)
	}

	// An open event stream, then SIGTERM.
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	_, page := fetch(t, c, "GET", "https://mail.example.test/webmail/login")
	token := strings.SplitN(strings.SplitN(page, `name="csrf" value="`, 2)[1], `"`, 2)[0]
	req, _ := http.NewRequest("POST", "https://mail.example.test/webmail/login",
		strings.NewReader("csrf="+token+"&address=alice%40example.test&password=alice-secret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if r, err := c.Do(req); err != nil || r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", r, err)
	} else {
		r.Body.Close()
	}
	c.Timeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", "https://mail.example.test/webmail/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	r, err := c.Do(req)
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("events: %v %v", r, err)
	}
	defer r.Body.Close()
	line, err := bufio.NewReader(r.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("event stream: %q %v", line, err)
	}
	s.stop(t)
	if strings.Contains(s.log.String(), "webmailServer") {
		t.Errorf("shutdown waited for the event stream:\n%s", s.log)
	}
}
