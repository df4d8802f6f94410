package httpd

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// get fetches u with method and body, returning status, headers and body.
func (w *webFront) do(t *testing.T, method, u, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := w.client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return resp, string(b)
}

// parsedAutoconfig is Thunderbird's format as a reader of it sees it.
type parsedAutoconfig struct {
	XMLName  xml.Name `xml:"clientConfig"`
	Version  string   `xml:"version,attr"`
	Provider struct {
		ID       string         `xml:"id,attr"`
		Domain   []string       `xml:"domain"`
		Incoming []parsedServer `xml:"incomingServer"`
		Outgoing []parsedServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

type parsedServer struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`
	Authentication string `xml:"authentication"`
	Username       string `xml:"username"`
}

// servers lists "type port socketType" of every server, in order.
func (p *parsedAutoconfig) servers() []string {
	var out []string
	for _, s := range append(slices.Clone(p.Provider.Incoming), p.Provider.Outgoing...) {
		out = append(out, fmt.Sprintf("%s %d %s", s.Type, s.Port, s.SocketType))
	}
	return out
}

// wantServers is what autoconfig must list for ports.
func wantServers(p Ports) []string {
	var out []string
	for _, s := range []struct {
		typ  string
		port int
		sock string
	}{{"imap", p.IMAPS, "SSL"}, {"imap", p.IMAP, "STARTTLS"}, {"pop3", p.POP3S, "SSL"}, {"pop3", p.POP3, "STARTTLS"},
		{"smtp", p.Submissions, "SSL"}, {"smtp", p.Submission, "STARTTLS"}} {
		if s.port != 0 {
			out = append(out, fmt.Sprintf("%s %d %s", s.typ, s.port, s.sock))
		}
	}
	return out
}

func checkAutoconfig(t *testing.T, what, body string, ports Ports, domain string) {
	t.Helper()
	var p parsedAutoconfig
	if err := xml.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("%s: autoconfig does not parse: %v\n%s", what, err, body)
	}
	if p.Version != "1.1" || p.Provider.ID != domain || !slices.Equal(p.Provider.Domain, []string{domain}) {
		t.Errorf("%s: provider %q version %q domains %v, want %s", what, p.Provider.ID, p.Version, p.Provider.Domain, domain)
	}
	if got, want := p.servers(), wantServers(ports); !slices.Equal(got, want) {
		t.Errorf("%s: servers %v, want %v", what, got, want)
	}
	for _, s := range append(slices.Clone(p.Provider.Incoming), p.Provider.Outgoing...) {
		if s.Hostname != "mail.example.test" || s.Username != "%EMAILADDRESS%" || s.Authentication != "password-cleartext" {
			t.Errorf("%s: server %+v", what, s)
		}
	}
}

// TestAutoconfig: both hosts and paths, over http and https, with and
// without ?emailaddress=; the XML names exactly the listeners that are
// on, also with some turned off.
func TestAutoconfig(t *testing.T) {
	for _, ports := range []Ports{allPorts, {IMAPS: 993, Submissions: 465}, {IMAP: 1143, POP3S: 995, Submission: 587}} {
		w := startWebFront(t, ports)
		for _, scheme := range []string{"http", "https"} {
			for _, u := range []string{
				"://autoconfig.example.test/mail/config-v1.1.xml",
				"://example.test/.well-known/autoconfig/mail/config-v1.1.xml",
				"://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test",
				"://example.test/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=Alice@Example.TEST",
			} {
				resp, body := w.do(t, "GET", scheme+u, "")
				if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
					t.Fatalf("%s%s: %s %q", scheme, u, resp.Status, resp.Header.Get("Content-Type"))
				}
				checkAutoconfig(t, scheme+u, body, ports, "example.test")
			}
		}
		// The address picks the domain; HEAD has no body.
		_, body := w.do(t, "GET", "https://mail.example.test/mail/config-v1.1.xml?emailaddress=bob@other.test", "")
		checkAutoconfig(t, "on the hostname", body, ports, "other.test")
		if resp, body := w.do(t, "HEAD", "http://autoconfig.example.test/mail/config-v1.1.xml", ""); resp.StatusCode != 200 || body != "" {
			t.Errorf("HEAD: %s %q", resp.Status, body)
		}
	}
}

// TestAddressParameter: an address that is not one gets 400, one of a
// domain not served here 404, over http and https.
func TestAddressParameter(t *testing.T) {
	w := startWebFront(t, allPorts)
	for _, tc := range []struct {
		addr string
		code int
	}{
		{"alice@nowhere.test", 404},
		{"alice@example.test.evil.test", 404},
		{"alice", 400},
		{"", 400},
		{"@example.test", 400},
		{"a@b@example.test", 400},
		{`"quoted"@example.test`, 400},
		{"alice@[127.0.0.1]", 400},
		{"<x>@example.test", 400},
		{strings.Repeat("a", 65) + "@example.test", 400},
		{strings.Repeat("a", 5000) + "@example.test", 400},
		{"alice@example.test\r\nX-Injected: 1", 400},
	} {
		for _, u := range []string{
			"http://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=",
			"https://example.test/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=",
			"https://mail.example.test/apple/mail.mobileconfig?emailaddress=",
		} {
			resp, body := w.do(t, "GET", u+url.QueryEscape(tc.addr), "")
			if resp.StatusCode != tc.code || resp.Header.Get("X-Injected") != "" {
				t.Errorf("%q at %s: %s, want %d", tc.addr, u, resp.Status, tc.code)
			}
			if strings.Contains(body, "other.test") {
				t.Errorf("%q: the answer names another local domain: %q", tc.addr, body)
			}
		}
	}
}

// TestMTASTS: the policy is served only over HTTPS, only at
// mta-sts.DOMAIN of a local domain, as text/plain, exactly the text
// MTASTSPolicy builds.
func TestMTASTS(t *testing.T) {
	w := startWebFront(t, allPorts)
	want := "version: STSv1\r\nmode: testing\r\nmx: mail.example.test\r\nmx: mx2.example.test\r\nmax_age: 86400\r\n"
	resp, body := w.do(t, "GET", "https://mta-sts.example.test/.well-known/mta-sts.txt", "")
	if resp.StatusCode != 200 || body != want || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("policy: %s %q %q", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := w.do(t, "GET", "https://mta-sts.other.test/.well-known/mta-sts.txt", ""); resp.StatusCode != 200 {
		t.Errorf("second domain: %s", resp.Status)
	}
	for _, u := range []string{
		"https://example.test/.well-known/mta-sts.txt",
		"https://mail.example.test/.well-known/mta-sts.txt",
		"https://mta-sts.nowhere.test/.well-known/mta-sts.txt",
		"https://mta-sts.example.test/.well-known/mta-sts.txt/",
	} {
		if resp, _ := w.do(t, "GET", u, ""); resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", u, resp.Status)
		}
	}
	// Over plain HTTP it is a redirect, never the policy (RFC 8461 §3.3).
	resp, body = w.do(t, "GET", "http://mta-sts.example.test/.well-known/mta-sts.txt", "")
	if resp.StatusCode != 301 || strings.Contains(body, "STSv1") {
		t.Errorf("policy over http: %s %q", resp.Status, body)
	}
	if resp, _ := w.do(t, "POST", "https://mta-sts.example.test/.well-known/mta-sts.txt", "x"); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST policy: %s Allow %q", resp.Status, resp.Header.Get("Allow"))
	}

	// A domain added at run time is served at once.
	w.domains.mu.Lock()
	w.domains.domains["new.test"] = true
	w.domains.mu.Unlock()
	if resp, body := w.do(t, "GET", "http://autoconfig.new.test/mail/config-v1.1.xml", ""); resp.StatusCode != 200 {
		t.Errorf("domain added at run time: %s %q", resp.Status, body)
	}
}

func TestMTASTSPolicyText(t *testing.T) {
	for _, tc := range []struct {
		mode, host string
		mx         []string
		age        int
		want       string
	}{
		{"testing", "mail.example.com.", nil, 604800, "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800\r\n"},
		{"enforce", "Mail.Example.com", []string{"*.backup.example.net", "mail.example.com"}, 31557600,
			"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.backup.example.net\r\nmax_age: 31557600\r\n"},
	} {
		if got := MTASTSPolicy(tc.mode, tc.host, tc.mx, tc.age); got != tc.want {
			t.Errorf("MTASTSPolicy(%q, %q, %v, %d) = %q, want %q", tc.mode, tc.host, tc.mx, tc.age, got, tc.want)
		}
	}
	for _, m := range []string{"testing", "enforce", "none"} {
		if !ValidMTASTSMode(m) {
			t.Errorf("%s refused", m)
		}
	}
	if ValidMTASTSMode("Enforce") || ValidMTASTSMode("") {
		t.Error("a mode RFC 8461 §5 does not have was accepted")
	}
}

// TestPlainHTTPServesNothingElse: over plain HTTP every path of a known
// host but autoconfig redirects to the same URL over HTTPS (POST with
// 308, so it stays a POST), whatever the method; unknown hosts get the
// same 404 as over HTTPS, naming no domain.
func TestPlainHTTPServesNothingElse(t *testing.T) {
	w := startWebFront(t, allPorts, func(o *SiteOptions) { o.HTTPSPort = 8443 })
	for _, tc := range []struct{ method, url, location string }{
		{"GET", "http://mail.example.test/", "https://mail.example.test:8443/"},
		{"GET", "http://mail.example.test/apple/mail.mobileconfig?emailaddress=a@example.test", "https://mail.example.test:8443/apple/mail.mobileconfig?emailaddress=a@example.test"},
		{"POST", "http://autodiscover.example.test/autodiscover/autodiscover.xml", "https://autodiscover.example.test:8443/autodiscover/autodiscover.xml"},
		{"POST", "http://Example.TEST./login", "https://example.test:8443/login"},
		{"GET", "http://example.test/mail/../etc/passwd", "https://example.test:8443/mail/../etc/passwd"},
		{"PUT", "http://autoconfig.example.test/x%2Fy?a=b", "https://autoconfig.example.test:8443/x%2Fy?a=b"},
		{"DELETE", "http://mta-sts.example.test/.well-known/mta-sts.txt", "https://mta-sts.example.test:8443/.well-known/mta-sts.txt"},
	} {
		resp, body := w.do(t, tc.method, tc.url, "secret=1")
		want := 301
		if tc.method != "GET" {
			want = 308
		}
		if resp.StatusCode != want || resp.Header.Get("Location") != tc.location || body != "" {
			t.Errorf("%s %s: %s Location %q body %q, want %d %s", tc.method, tc.url, resp.Status, resp.Header.Get("Location"), body, want, tc.location)
		}
		if resp.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", tc.url)
		}
	}
	// Autoconfig is answered, with a method it does not take 405.
	if resp, _ := w.do(t, "POST", "http://autoconfig.example.test/mail/config-v1.1.xml", "x"); resp.StatusCode != 405 {
		t.Errorf("POST autoconfig over http: %s", resp.Status)
	}
	// ACME challenges without ACME: 404, not a redirect.
	if resp, _ := w.do(t, "GET", "http://example.test/.well-known/acme-challenge/token", ""); resp.StatusCode != 404 {
		t.Errorf("acme-challenge without ACME: %s", resp.Status)
	}

	_, notFoundBody := w.do(t, "GET", "https://mail.example.test/no-such-path", "")
	for _, u := range []string{
		"http://nowhere.test/", "http://nowhere.test/mail/config-v1.1.xml", "http://autoconfig.nowhere.test/mail/config-v1.1.xml",
		"http://127.0.0.1/", "https://nowhere.test/", "http://mail.example.test.nowhere.test/", "http://[::1]/",
		"http://" + strings.Repeat("a", 300) + ".test/",
	} {
		resp, body := w.do(t, "GET", u, "")
		if resp.StatusCode != 404 || body != notFoundBody || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %s Location %q %q, want the 404 of an unknown path", u, resp.Status, resp.Header.Get("Location"), body)
		}
	}
}

// TestSecurityHeaders: every HTTPS answer (404s too) has nosniff, the
// CSP and Referrer-Policy; HSTS only while the certificate is trusted;
// a path gets 405 with Allow for a method it does not take.
func TestSecurityHeaders(t *testing.T) {
	w := startWebFront(t, allPorts)
	check := func(hsts bool) {
		for _, u := range []string{"https://mail.example.test/", "https://mail.example.test/nothing", "https://nowhere.test/",
			"https://autoconfig.example.test/mail/config-v1.1.xml"} {
			resp, _ := w.do(t, "GET", u, "")
			h := resp.Header
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
				!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("%s: headers %v", u, h)
			}
			if got := h.Get("Strict-Transport-Security") != ""; got != hsts {
				t.Errorf("%s: HSTS %q, want it %v", u, h.Get("Strict-Transport-Security"), hsts)
			}
		}
	}
	check(false)
	w.trusted.set(true)
	check(true)

	resp, body := w.do(t, "GET", "https://mail.example.test/", "")
	if resp.StatusCode != 200 || !strings.Contains(body, "<form") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("landing page: %s %q", resp.Status, body)
	}
	for _, tc := range []struct{ method, url, allow string }{
		{"POST", "https://mail.example.test/", "GET, HEAD"},
		{"GET", "https://autodiscover.example.test/autodiscover/autodiscover.xml", "POST"},
		{"DELETE", "https://example.test/.well-known/autoconfig/mail/config-v1.1.xml", "GET, HEAD"},
		{"PUT", "https://mail.example.test/apple/mail.mobileconfig", "GET, HEAD"},
	} {
		resp, _ := w.do(t, tc.method, tc.url, "")
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %s Allow %q, want 405 %q", tc.method, tc.url, resp.Status, resp.Header.Get("Allow"), tc.allow)
		}
	}
	// No directory listings, no prefix matches.
	for _, u := range []string{"https://mail.example.test/apple/", "https://mail.example.test/.well-known/",
		"https://example.test/.well-known/autoconfig/mail/", "https://example.test/", "https://mail.example.test/index.html"} {
		if resp, _ := w.do(t, "GET", u, ""); resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", u, resp.Status)
		}
	}
}
