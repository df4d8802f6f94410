package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfiguredCertificateReload: [tls] cert and key replaced on disk
// (as certbot renews) are served by the running server on every TLS
// listener, without a restart; a broken pair is logged and the loaded
// certificate stays in service.
func TestConfiguredCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	write := func(certPEM, keyPEM []byte) {
		t.Helper()
		// One file after the other: a check in between sees a mismatched
		// pair, which is refused and tried again at the next check.
		for _, f := range []struct {
			name string
			b    []byte
		}{{keyFile, keyPEM}, {certFile, certPEM}} {
			name := f.name
			tmp := name + ".new"
			if err := os.WriteFile(tmp, f.b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	oldCert, oldKey, err := selfSigned("mail.example.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	write(oldCert, oldKey)
	e := newTestEnv(t, map[string]string{"imaps": "127.0.0.1:0", "pop3s": "127.0.0.1:0"},
		fmt.Sprintf("[tls]\ncert = %q\nkey = %q\n", certFile, keyFile))
	s := e.start(t)
	old := parseCertPEM(t, oldCert)
	for _, key := range []string{"imaps", "pop3s"} {
		if got := handshake(t, s.addrs[key], "mail.example.test", old); !got.Equal(old) {
			t.Fatalf("%s does not serve the configured certificate", key)
		}
	}

	// A certificate without its key: refused, the old pair stays.
	other, _, err := selfSigned("mail.example.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, other, 0o600); err != nil {
		t.Fatal(err)
	}
	poke := func() {
		c, err := tls.Dial("tcp", s.addrs["imaps"], &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			c.Close()
		}
	}
	waitLogPoking(t, s, "changed certificate files do not load", poke)
	if got := handshake(t, s.addrs["imaps"], "mail.example.test", old); !got.Equal(old) {
		t.Fatal("a broken pair replaced the loaded certificate")
	}

	newCert, newKey, err := selfSigned("mail.example.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	write(newCert, newKey)
	renewed := parseCertPEM(t, newCert)
	waitLogPoking(t, s, "reloaded certificate files", poke)
	for _, key := range []string{"imaps", "pop3s"} {
		if got := handshake(t, s.addrs[key], "mail.example.test", renewed); !got.Equal(renewed) {
			t.Fatalf("%s does not serve the renewed certificate", key)
		}
	}
	s.stop(t)
}

// waitLog runs poke (which makes handshakes, so the files are checked)
// until the server logs msg.
func waitLogPoking(t *testing.T, s *server, msg string, poke func()) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(s.log.String(), msg); {
		if time.Now().After(deadline) {
			t.Fatalf("server did not log %q:\n%s", msg, s.log)
		}
		poke()
		time.Sleep(200 * time.Millisecond)
	}
}
