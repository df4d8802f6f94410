package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeWebCert writes a self-signed certificate (its own CA) for names
// into dir and returns the files.
func writeWebCert(t *testing.T, dir string, names ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "web-cert.pem"), filepath.Join(dir, "web-key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// webClient reaches every name at the server's http and https
// listeners, trusting only caFile, without following redirects.
func webClient(t *testing.T, caFile, plainAddr, tlsAddr string) *http.Client {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		target := plainAddr
		if strings.HasSuffix(addr, ":443") {
			target = tlsAddr
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", target)
	}
	return &http.Client{
		Transport:     &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}
}

func fetch(t *testing.T, c *http.Client, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// autoconfigServers parses a clientConfig and lists "type port
// socketType hostname".
func autoconfigServers(t *testing.T, body string) []string {
	t.Helper()
	var c struct {
		Provider struct {
			Servers []struct {
				Type       string `xml:"type,attr"`
				Hostname   string `xml:"hostname"`
				Port       int    `xml:"port"`
				SocketType string `xml:"socketType"`
				Username   string `xml:"username"`
			} `xml:",any"`
		} `xml:"emailProvider"`
	}
	if err := xml.Unmarshal([]byte(body), &c); err != nil {
		t.Fatalf("autoconfig does not parse: %v\n%s", err, body)
	}
	var out []string
	for _, s := range c.Provider.Servers {
		if s.Type != "" {
			out = append(out, fmt.Sprintf("%s %d %s %s %s", s.Type, s.Port, s.SocketType, s.Hostname, s.Username))
		}
	}
	return out
}

// TestWebFront runs the real binary with both web listeners and some
// mail listeners off: curl and Python fetch autoconfig over both hosts
// and paths on http and https (names verified against the configured
// certificate), it names exactly the listeners that are on, Python's
// plistlib reads the profile, the served MTA-STS policy is the one whose
// digest "dns records" publishes, plain HTTP redirects everything else,
// unknown hosts get 404, a domain added at run time is served at once,
// a 1 MiB header is refused and a client that never finishes its
// header is cut off.
func TestWebFront(t *testing.T) {
	curl := lookTool(t, "curl", "curl")
	python := lookTool(t, "python3", "python3")
	dir := t.TempDir()
	certFile, keyFile := writeWebCert(t, dir, "mail.example.test", "example.test", "autoconfig.example.test",
		"autodiscover.example.test", "mta-sts.example.test", "nowhere.test")
	e := newTestEnv(t, map[string]string{"http": "127.0.0.1:0", "https": "127.0.0.1:0", "imaps": "127.0.0.1:0",
		"pop3": "127.0.0.1:0", "submissions": "127.0.0.1:0"},
		fmt.Sprintf("domains = [\"example.test\"]\n[tls]\ncert = %q\nkey = %q\n[mta_sts]\nmode = \"enforce\"\nmx = [\"mx2.example.test\"]\nmax_age = 86400\n", certFile, keyFile))
	s := e.start(t)
	plainAddr, tlsAddr := s.addrs["http"], s.addrs["https"]
	if plainAddr == "" || tlsAddr == "" {
		t.Fatalf("web listeners not logged:\n%s", s.log)
	}
	_, plainPort, _ := net.SplitHostPort(plainAddr)
	_, tlsPort, _ := net.SplitHostPort(tlsAddr)
	want := []string{"imap 993 SSL mail.example.test %EMAILADDRESS%", "pop3 110 STARTTLS mail.example.test %EMAILADDRESS%",
		"smtp 465 SSL mail.example.test %EMAILADDRESS%"}

	urls := []string{
		"http://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test",
		"https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test",
		"http://example.test/.well-known/autoconfig/mail/config-v1.1.xml",
		"https://example.test/.well-known/autoconfig/mail/config-v1.1.xml",
	}
	for _, u := range urls {
		out, err := exec.Command(curl, "-sS", "--fail", "--max-time", "60", "--cacert", certFile,
			"--connect-to", ":443:127.0.0.1:"+tlsPort, "--connect-to", "::127.0.0.1:"+plainPort, u).Output()
		if err != nil {
			t.Fatalf("curl %s: %v", u, err)
		}
		if got := autoconfigServers(t, string(out)); !slices.Equal(got, want) {
			t.Errorf("curl %s: servers %q, want %q", u, got, want)
		}
	}

	script := `
import plistlib, socket, ssl, sys, urllib.request
import xml.etree.ElementTree as ET
ca, plain, secure = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
real = socket.create_connection
socket.create_connection = lambda a, *r, **k: real(("127.0.0.1", secure if a[1] == 443 else plain), *r, **k)
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca)))
for url in sys.argv[4:]:
    root = ET.fromstring(opener.open(url, timeout=60).read())
    print(" ".join("%s %s %s" % (s.get("type"), s.findtext("port"), s.findtext("socketType"))
                   for s in root.find("emailProvider") if s.tag in ("incomingServer", "outgoingServer")))
pl = plistlib.loads(opener.open("https://mail.example.test/apple/mail.mobileconfig?emailaddress=alice%40example.test", timeout=60).read())
a = pl["PayloadContent"][0]
print(a["EmailAddress"], a["IncomingMailServerPortNumber"], a["IncomingMailServerUseSSL"], a["OutgoingMailServerPortNumber"], a["OutgoingMailServerUseSSL"])
`
	out, err := exec.Command(python, append([]string{"-c", script, certFile, plainPort, tlsPort}, urls...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i, u := range urls {
		if i >= len(lines) || lines[i] != "imap 993 SSL pop3 110 STARTTLS smtp 465 SSL" {
			t.Errorf("python %s: %q", u, lines)
		}
	}
	if lines[len(lines)-1] != "alice@example.test 993 True 465 True" {
		t.Errorf("python profile: %q", lines[len(lines)-1])
	}

	// The served policy is what dns records hashes into the TXT id.
	c := webClient(t, certFile, plainAddr, tlsAddr)
	resp, policy := fetch(t, c, "GET", "https://mta-sts.example.test/.well-known/mta-sts.txt")
	wantPolicy := "version: STSv1\r\nmode: enforce\r\nmx: mail.example.test\r\nmx: mx2.example.test\r\nmax_age: 86400\r\n"
	if resp.StatusCode != 200 || policy != wantPolicy {
		t.Fatalf("policy: %s %q", resp.Status, policy)
	}
	records := e.mustRun(t, "", "dns", "records", "example.test")
	m := regexp.MustCompile(`_mta-sts\.example\.test\.\s+3600\s+IN\s+TXT\s+"v=STSv1; id=([0-9a-f]+)"`).FindStringSubmatch(records)
	if m == nil || m[1] != mtaSTSID(policy) {
		t.Fatalf("dns records publishes %v, the served policy's id is %s\n%s", m, mtaSTSID(policy), records)
	}
	if !strings.Contains(records, "_autodiscover._tcp.example.test.\t3600\tIN\tSRV\t0 1 443 mail.example.test.") {
		t.Errorf("dns records lacks the autodiscover SRV:\n%s", records)
	}

	// Plain HTTP: everything else redirects; unknown names get 404.
	for _, u := range []string{"http://mail.example.test/", "http://mta-sts.example.test/.well-known/mta-sts.txt",
		"http://example.test/apple/mail.mobileconfig?emailaddress=alice@example.test", "http://autoconfig.example.test/x"} {
		resp, body := fetch(t, c, "GET", u)
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://"+strings.TrimPrefix(u, "http://") || strings.Contains(body, "STSv1") {
			t.Errorf("%s: %s Location %q", u, resp.Status, resp.Header.Get("Location"))
		}
	}
	for _, u := range []string{"http://nowhere.test/", "https://nowhere.test/mail/config-v1.1.xml", "http://autoconfig.new.test/mail/config-v1.1.xml"} {
		if resp, _ := fetch(t, c, "GET", u); resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", u, resp.Status)
		}
	}
	// The security headers (HSTS depends on env.trustedCert, which the
	// acme side sets; httpd's TestSecurityHeaders covers both states).
	resp, _ = fetch(t, c, "GET", "https://mail.example.test/")
	if resp.StatusCode != 200 || resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("landing page: %s %v", resp.Status, resp.Header)
	}

	// A domain added while the server runs is served at once.
	e.mustRun(t, "", "domain", "add", "new.test")
	if resp, body := fetch(t, c, "GET", "http://autoconfig.new.test/mail/config-v1.1.xml"); resp.StatusCode != 200 || !strings.Contains(body, `id="new.test"`) {
		t.Errorf("domain added at run time: %s %q", resp.Status, body)
	}

	// A 1 MiB header is refused on both listeners.
	for _, addr := range []string{plainAddr, tlsAddr} {
		conn := dialWeb(t, addr, addr == tlsAddr, certFile)
		go func() {
			fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: mail.example.test\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 1<<20))
		}()
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err == nil && !strings.Contains(line, " 431 ") {
			t.Errorf("1 MiB header on %s: %q, want 431 or the connection closed", addr, line)
		}
		conn.Close()
	}
	// A client that never finishes its header is cut off (the header
	// timeout), on plain HTTP and inside TLS.
	for _, addr := range []string{plainAddr, tlsAddr} {
		conn := dialWeb(t, addr, addr == tlsAddr, certFile)
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: mail.example.test\r\n")
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err == nil && !strings.Contains(line, " 408 ") {
			t.Errorf("slow header on %s: %q, want the connection closed", addr, line)
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("slow header on %s: still open after 2 minutes", addr)
		}
		conn.Close()
	}
	s.stop(t)
}

func dialWeb(t *testing.T, addr string, useTLS bool, caFile string) net.Conn {
	t.Helper()
	if !useTLS {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "mail.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lookTool finds a client program the test drives.
func lookTool(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is needed for this test (Debian package %s): %v", tool, pkg, err)
	}
	return p
}

// TestMTASTSConfig: the [mta_sts] keys are checked, naming the key.
func TestMTASTSConfig(t *testing.T) {
	for _, tc := range []struct{ toml, key string }{
		{"[mta_sts]\nmode = \"strict\"", "mta_sts.mode"},
		{"[mta_sts]\nmx = [\"mx 2\"]", "mta_sts.mx"},
		{"[mta_sts]\nmx = [\"*.\"]", "mta_sts.mx"},
		{"[mta_sts]\nmx = [\"localhost\"]", "mta_sts.mx"},
		{"[mta_sts]\nmax_age = 0", "mta_sts.max_age"},
		{"[mta_sts]\nmax_age = 31557601", "mta_sts.max_age"},
	} {
		cfg := defaultConfig()
		cfg.Hostname = "mail.example.test"
		if err := decodeConfig(tc.toml, &cfg); err != nil {
			t.Fatalf("%q: %v", tc.toml, err)
		}
		if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), tc.key+":") {
			t.Errorf("%q: %v, want an error naming %s", tc.toml, err, tc.key)
		}
	}
	cfg := defaultConfig()
	cfg.Hostname = "mail.example.test"
	if err := decodeConfig("[mta_sts]\nmode = \"none\"\nmx = [\"*.backup.example.net\", \"mx2.example.test\"]\nmax_age = 31557600", &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if got := mtaSTSPolicy(&cfg); got != "version: STSv1\r\nmode: none\r\nmx: mail.example.test\r\nmx: *.backup.example.net\r\nmx: mx2.example.test\r\nmax_age: 31557600\r\n" {
		t.Errorf("policy %q", got)
	}
}
