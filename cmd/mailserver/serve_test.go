package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBindFailureNamesKey: a port in use stops start-up with a message
// naming the address and the config key, after binding the others.
func TestBindFailureNamesKey(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	e := newTestEnv(t, map[string]string{
		"smtp":        "127.0.0.1:0",
		"submissions": "127.0.0.1:0",
		"imap":        addr,
		"imaps":       "127.0.0.1:0",
	}, "")
	s, ready := e.launch(t)
	if ready {
		s.stop(t)
		t.Fatalf("serve started although %s is taken:\n%s", addr, s.log)
	}
	log := s.log.String()
	want := fmt.Sprintf("mailserver: listen on %s: address already in use; change [listen] imap in the config", addr)
	if !strings.Contains(log, want) {
		t.Fatalf("serve output lacks %q:\n%s", want, log)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != exitError {
		t.Fatalf("exit code %d, want %d", code, exitError)
	}
	if strings.Contains(log, "msg=listening") {
		t.Fatalf("serve started serving before all listeners were bound:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, adminSocketFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("admin socket after failed start-up: %v", err)
	}
}

// TestBindAllClosesOnFailure: when one listener cannot be bound, those
// bound before it are closed again.
func TestBindAllClosesOnFailure(t *testing.T) {
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	freeAddr := free.Addr().String()
	free.Close()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	specs := []listenerSpec{
		{key: "smtp", addr: freeAddr, svc: &nopService{}},
		{key: "pop3", addr: "", svc: &nopService{}},
		{key: "imap", addr: busy.Addr().String(), svc: &nopService{}},
	}
	_, err = bindAll(specs)
	var be *bindError
	if !errors.As(err, &be) || be.key != "imap" || be.addr != busy.Addr().String() {
		t.Fatalf("bindAll error %v, want a bindError for imap", err)
	}
	again, err := net.Listen("tcp", freeAddr)
	if err != nil {
		t.Fatalf("listener for smtp was left open: %v", err)
	}
	again.Close()
}

// TestSelfSignedCertificate: generated on first start (ECDSA P-256, SAN
// hostname + localhost + 127.0.0.1, key 0600), served on implicit-TLS
// ports, and reused on the second start.
func TestSelfSignedCertificate(t *testing.T) {
	e := newTestEnv(t, map[string]string{"imaps": "127.0.0.1:0", "submissions": "127.0.0.1:0"}, "")
	certFile := filepath.Join(e.dataDir, selfSignedCertFile)
	keyFile := filepath.Join(e.dataDir, selfSignedKeyFile)

	s := e.start(t)
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	cert := parseCertPEM(t, certPEM)
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("certificate key is %T, want ECDSA P-256", cert.PublicKey)
	}
	if !slices.Contains(cert.DNSNames, "mail.example.test") || !slices.Contains(cert.DNSNames, "localhost") {
		t.Fatalf("DNS names %v", cert.DNSNames)
	}
	if !slices.ContainsFunc(cert.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) }) {
		t.Fatalf("IP addresses %v", cert.IPAddresses)
	}
	for _, key := range []string{"imaps", "submissions"} {
		for _, name := range []string{"mail.example.test", "localhost", "127.0.0.1"} {
			if got := handshake(t, s.addrs[key], name, cert); !got.Equal(cert) {
				t.Fatalf("%s serves another certificate", key)
			}
		}
	}
	s.stop(t)

	s = e.start(t)
	if got := handshake(t, s.addrs["imaps"], "mail.example.test", cert); !got.Equal(cert) {
		t.Fatal("second start serves another certificate")
	}
	s.stop(t)
	certPEM2, _ := os.ReadFile(certFile)
	keyPEM2, _ := os.ReadFile(keyFile)
	if !bytes.Equal(certPEM, certPEM2) || !bytes.Equal(keyPEM, keyPEM2) {
		t.Fatal("certificate or key rewritten on the second start")
	}
	if n := strings.Count(s.log.String(), "generated self-signed certificate"); n != 0 {
		t.Fatalf("second start generated a certificate:\n%s", s.log)
	}
}

// TestConfiguredCertificate: [tls] cert and key are served and nothing is
// generated.
func TestConfiguredCertificate(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := selfSigned("configured.example.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, map[string]string{"pop3s": "127.0.0.1:0"},
		fmt.Sprintf("[tls]\ncert = %q\nkey = %q\n", certFile, keyFile))
	s := e.start(t)
	cert := parseCertPEM(t, certPEM)
	if got := handshake(t, s.addrs["pop3s"], "configured.example.test", cert); !got.Equal(cert) {
		t.Fatal("pop3s does not serve the configured certificate")
	}
	s.stop(t)
	if _, err := os.Stat(filepath.Join(e.dataDir, selfSignedCertFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a self-signed certificate was generated although [tls] is set: %v", err)
	}
}

func parseCertPEM(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("no certificate in %q", b)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// handshake connects with TLS to addr trusting only ca, verifying name,
// and returns the served certificate.
func handshake(t *testing.T, addr, name string, ca *x509.Certificate) *x509.Certificate {
	t.Helper()
	if addr == "" {
		t.Fatal("listener address not logged")
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Minute}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: name})
	if err != nil {
		t.Fatalf("TLS to %s as %s: %v", addr, name, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// nopService stands in for a protocol server where only binding matters.
type nopService struct{}

func (*nopService) ServeConn(c net.Conn, _ bool)   { c.Close() }
func (*nopService) Shutdown(context.Context) error { return nil }
