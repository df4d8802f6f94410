package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/httpd/acme/acmetest"
)

// acmeListeners are the TLS listeners the ACME test checks, with how a
// client gets to TLS on each: "" implicit, else the protocol's STARTTLS.
var acmeListeners = map[string]string{
	"imaps":       "",
	"submissions": "",
	"pop3s":       "",
	"https":       "",
	"imap":        "imap",
	"submission":  "smtp",
	"smtp":        "smtp",
	"pop3":        "pop3",
}

// TestACMEPebble runs the server with [tls] acme against Pebble, once
// with TLS-ALPN-01 only (no http listener) and once with HTTP-01 only
// (no https listener): the certificates are obtained, every TLS listener
// (implicit and STARTTLS) presents the hostname's certificate to a client
// that trusts only Pebble's root; a domain added at runtime gets its
// certificates; a forced renewal swaps them on every listener without a
// restart; with Pebble down a forced renewal fails, the old certificates
// stay in service, and `cert status` shows the error, with the server
// running and stopped; a restart serves the stored certificates.
func TestACMEPebble(t *testing.T) {
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) { testACMEPebble(t, challenge) })
	}
}

func testACMEPebble(t *testing.T, challenge string) {
	addrs := acmetest.FreeAddrs(t)
	certDir := t.TempDir()
	caFile := acmetest.DirectoryCert(t, certDir)
	listen := map[string]string{"http": "127.0.0.1:0", "https": "127.0.0.1:0", "metrics": "127.0.0.1:0"}
	for key := range acmeListeners {
		listen[key] = "127.0.0.1:0"
	}
	off := map[string]string{"tls-alpn-01": "http", "http-01": "https"}[challenge]
	listen[off] = ""
	e := newTestEnv(t, listen, fmt.Sprintf(`domains = ["example.test"]
[tls]
acme = true
acme_email = "postmaster@example.test"
acme_directory = %q
acme_directory_ca = %q
acme_names = ["autoconfig", "mta-sts"]
`, addrs.DirectoryURL(), caFile))

	// Pebble is not up yet: the first orders fail, and the server serves
	// the self-signed certificate meanwhile.
	s := e.start(t)
	httpPort, tlsPort := portOf(t, s.addrs["http"]), portOf(t, s.addrs["https"])
	p := acmetest.StartPebble(t, acmetest.Config{Addrs: addrs, CertDir: certDir, HTTPPort: httpPort, TLSPort: tlsPort})

	out := e.mustRun(t, "", "cert", "renew")
	for _, name := range []string{"mail.example.test", "autoconfig.example.test", "mta-sts.example.test"} {
		if !strings.Contains(out, "\n"+name+"\n  issuer:        CN=Pebble") {
			t.Fatalf("cert renew output lacks %s:\n%s", name, out)
		}
	}
	want := map[string]string{"tls-alpn-01": "answered a TLS-ALPN-01 challenge", "http-01": "answered an HTTP-01 challenge"}
	for ch, msg := range want {
		if got := strings.Contains(s.log.String(), msg); got != (ch == challenge) {
			t.Fatalf("log has %q: %v, want %v:\n%s", msg, got, ch == challenge, s.log)
		}
	}

	active := func() []string {
		var keys []string
		for key := range acmeListeners {
			if listen[key] != "" {
				keys = append(keys, key)
			}
		}
		return keys
	}()
	first := map[string]*x509.Certificate{}
	for _, key := range active {
		first[key] = presented(t, key, s.addrs[key], "mail.example.test", p.Roots)
	}
	// The expiry metric follows the ACME certificates.
	fams := scrape(t, s.addrs["metrics"])
	for _, name := range []string{"mail.example.test", "autoconfig.example.test", "mta-sts.example.test"} {
		v, ok := metricValue(fams, "mailserver_tls_certificate_expiry_timestamp_seconds", "name="+name)
		if !ok || v < float64(time.Now().Unix()) {
			t.Errorf("certificate expiry metric of %s: %v, %v", name, v, ok)
		}
		if name == "mail.example.test" && int64(v) != first[active[0]].NotAfter.Unix() {
			t.Errorf("certificate expiry metric of %s: %v, the certificate served says %v", name, int64(v), first[active[0]].NotAfter.Unix())
		}
	}
	for _, key := range active[1:] {
		if !first[key].Equal(first[active[0]]) {
			t.Fatalf("%s and %s present different certificates", key, active[0])
		}
	}
	if challenge == "tls-alpn-01" {
		// Clients nobody here wrote: curl (ALPN h2 and http/1.1 offered)
		// and Python's ssl, trusting only Pebble's root.
		rootFile := filepath.Join(t.TempDir(), "root.pem")
		if err := os.WriteFile(rootFile, p.RootPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		curlVerify(t, s.addrs["https"], "autoconfig.example.test", rootFile)
		pythonVerify(t, s.addrs["imaps"], "mail.example.test", rootFile)
		// The name's own certificate on 443, and the hostname's for a
		// client without SNI.
		if c := presented(t, "https", s.addrs["https"], "mta-sts.example.test", p.Roots); c.Equal(first["https"]) {
			t.Fatal("mta-sts.example.test got the hostname's certificate")
		}
		conn, err := tls.Dial("tcp", s.addrs["imaps"], &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		if !conn.ConnectionState().PeerCertificates[0].Equal(first["imaps"]) {
			t.Fatal("a client without SNI did not get the hostname's certificate")
		}
		conn.Close()
	}

	// A domain added to the running server: its names are ordered at
	// once (domain add wakes the manager; else the check every minute).
	e.mustRun(t, "", "domain", "add", "other.test")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		out = e.mustRun(t, "", "cert", "status")
		if strings.Contains(out, "\nmta-sts.other.test\n  issuer:        CN=Pebble") &&
			strings.Contains(out, "\nautoconfig.other.test\n  issuer:        CN=Pebble") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the added domain got no certificates:\n%s\n%s", out, s.log)
		}
	}

	// Forced renewal: every listener presents the new certificate as
	// soon as the command returns.
	start := time.Now()
	e.mustRun(t, "", "cert", "renew", "--force")
	renewTook := time.Since(start)
	swapStart := time.Now()
	renewed := map[string]*x509.Certificate{}
	for _, key := range active {
		renewed[key] = presented(t, key, s.addrs[key], "mail.example.test", p.Roots)
		if renewed[key].Equal(first[key]) {
			t.Fatalf("%s still presents the old certificate after cert renew --force", key)
		}
	}
	t.Logf("forced renewal of 5 names took %v (the command, Pebble orders included); all %d listeners presented the new certificate %v after it returned",
		renewTook, len(active), time.Since(swapStart))

	out = e.mustRun(t, "", "cert", "status")
	if !strings.Contains(out, "days left") || !strings.Contains(out, "last error:    none") {
		t.Fatalf("cert status:\n%s", out)
	}

	// Pebble down: the renewal fails, the certificates stay.
	p.Stop()
	r := e.run(t, "", "cert", "renew", "--force")
	if r.code != 1 || !strings.Contains(r.stderr, "previous certificates stay in service") {
		t.Fatalf("cert renew with Pebble down: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, key := range active {
		if c := presented(t, key, s.addrs[key], "mail.example.test", p.Roots); !c.Equal(renewed[key]) {
			t.Fatalf("%s changed its certificate although the renewal failed", key)
		}
	}
	out = e.mustRun(t, "", "cert", "status")
	if !strings.Contains(out, "last error:    ") || strings.Contains(out, "last error:    none") {
		t.Fatalf("cert status does not show the error:\n%s", out)
	}
	s.stop(t)

	out = e.mustRun(t, "", "cert", "status")
	if !strings.Contains(out, "server stopped") || !strings.Contains(out, "last error:    ") || !strings.Contains(out, "CN=Pebble") {
		t.Fatalf("cert status with the server stopped:\n%s", out)
	}

	// Restarted with Pebble still down: the stored certificates are served.
	s = e.start(t)
	for _, key := range active {
		if c := presented(t, key, s.addrs[key], "mail.example.test", p.Roots); !c.Equal(renewed[key]) {
			t.Fatalf("%s after a restart does not present the stored certificate", key)
		}
	}
	s.stop(t)
	checkACMEStorageModes(t, filepath.Join(e.dataDir, acmeDir))
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	if addr == "" {
		return 0
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// presented returns the certificate listener key at addr presents for
// name, verified against roots (after STARTTLS where the listener needs
// it).
func presented(t *testing.T, key, addr, name string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	if err := startTLS(c, acmeListeners[key]); err != nil {
		t.Fatalf("%s at %s: %v", key, addr, err)
	}
	tc := tls.Client(c, &tls.Config{ServerName: name, RootCAs: roots})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("%s at %s as %s: %v", key, addr, name, err)
	}
	return tc.ConnectionState().PeerCertificates[0]
}

// startTLS runs the protocol's STARTTLS exchange (RFC 3207, RFC 9051
// §6.2.1, RFC 2595 §4) up to the handshake; "" does nothing.
func startTLS(c net.Conn, proto string) error {
	if proto == "" {
		return nil
	}
	r := bufio.NewReader(c)
	line := func() (string, error) { s, err := r.ReadString('\n'); return strings.TrimRight(s, "\r\n"), err }
	// expect reads lines until one starts with prefix.
	expect := func(prefix string) error {
		for {
			l, err := line()
			if err != nil {
				return err
			}
			if strings.HasPrefix(l, prefix) {
				return nil
			}
			if proto != "imap" || !strings.HasPrefix(l, "* ") {
				if !(proto == "smtp" && strings.HasPrefix(l, prefix[:3]+"-")) {
					return fmt.Errorf("got %q, want %q", l, prefix)
				}
			}
		}
	}
	steps := map[string][][2]string{
		"smtp": {{"", "220 "}, {"EHLO client.test\r\n", "250 "}, {"STARTTLS\r\n", "220 "}},
		"imap": {{"", "* OK"}, {"a STARTTLS\r\n", "a OK"}},
		"pop3": {{"", "+OK"}, {"STLS\r\n", "+OK"}},
	}[proto]
	for _, s := range steps {
		if s[0] != "" {
			if _, err := c.Write([]byte(s[0])); err != nil {
				return err
			}
		}
		if err := expect(s[1]); err != nil {
			return err
		}
	}
	if r.Buffered() > 0 {
		return fmt.Errorf("%d bytes after the STARTTLS reply", r.Buffered())
	}
	return nil
}

// curlVerify fetches https://name/ from addr with curl trusting only
// rootFile: the handshake verifies (an HTTP status comes back).
func curlVerify(t *testing.T, addr, name, rootFile string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("this test needs curl (Debian package curl)")
	}
	port := strconv.Itoa(portOf(t, addr))
	out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}",
		"--cacert", rootFile, "--resolve", name+":"+port+":127.0.0.1", "https://"+name+":"+port+"/").CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), " 0") {
		t.Fatalf("curl https://%s: %v: %s", name, err, out)
	}
}

// pythonVerify makes a TLS connection to addr with Python's ssl module,
// verifying name against rootFile only.
func pythonVerify(t *testing.T, addr, name, rootFile string) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatal("this test needs python3")
	}
	host, port, _ := net.SplitHostPort(addr)
	script := `import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
with socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=60) as s:
    with ctx.wrap_socket(s, server_hostname=sys.argv[4]) as tls:
        print(tls.getpeercert()["subjectAltName"])
`
	out, err := exec.Command("python3", "-c", script, rootFile, host, port, name).CombinedOutput()
	if err != nil || !strings.Contains(string(out), name) {
		t.Fatalf("python ssl to %s as %s: %v: %s", addr, name, err, out)
	}
}

// checkACMEStorageModes: the ACME directory tree is 0700 directories and
// 0600 files (the account and certificate keys among them).
func checkACMEStorageModes(t *testing.T, dir string) {
	t.Helper()
	keys := 0
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			return fmt.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		if strings.HasSuffix(path, ".key") {
			keys++
		}
		return nil
	})
	if err != nil || keys < 2 {
		t.Fatalf("ACME storage: %v (%d key files)", err, keys)
	}
}
