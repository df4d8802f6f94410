package httpd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testDomains is a store stand-in: the local domains, changeable.
type testDomains struct {
	mu      sync.Mutex
	domains map[string]bool
}

func (d *testDomains) IsLocalDomain(_ context.Context, name string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.domains[strings.ToLower(name)], nil
}

// testNames are the names the test certificate covers.
var testNames = []string{"mail.example.test", "example.test", "autoconfig.example.test",
	"autodiscover.example.test", "mta-sts.example.test", "other.test", "autoconfig.other.test", "mta-sts.other.test", "nowhere.test", "*.nowhere.test", "*.test", "new.test", "autoconfig.new.test"}

// testCert is a self-signed certificate (its own CA) for names, as PEM
// and as a tls.Certificate.
func testCert(t testing.TB, names []string) (certPEM, keyPEM []byte, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: names[0]},
		DNSNames:              names,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, pair
}

// webFront is a Site served on real loopback sockets: plain HTTP and
// HTTPS, through Server as cmd serves it.
type webFront struct {
	plainAddr, tlsAddr string
	caFile             string // the certificate, for curl and Python
	pool               *x509.CertPool
	domains            *testDomains
	trusted            *trustedFlag
}

type trustedFlag struct {
	mu sync.Mutex
	v  bool
}

func (f *trustedFlag) get() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.v }
func (f *trustedFlag) set(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.v = v
}

// allPorts has every mail listener on.
var allPorts = Ports{IMAPS: 993, IMAP: 143, POP3S: 995, POP3: 110, Submissions: 465, Submission: 587}

func startWebFront(t *testing.T, ports Ports, opts ...func(*SiteOptions)) *webFront {
	t.Helper()
	certPEM, _, pair := testCert(t, testNames)
	w := &webFront{caFile: filepath.Join(t.TempDir(), "ca.pem"), pool: x509.NewCertPool(),
		domains: &testDomains{domains: map[string]bool{"example.test": true, "other.test": true}}, trusted: &trustedFlag{}}
	if err := os.WriteFile(w.caFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	w.pool.AppendCertsFromPEM(certPEM)
	o := SiteOptions{Hostname: "mail.example.test", Domains: w.domains, Ports: ports,
		MTASTSPolicy: MTASTSPolicy("testing", "mail.example.test", []string{"mx2.example.test"}, 86400),
		TrustedCert:  w.trusted.get}
	for _, f := range opts {
		f(&o)
	}
	site := NewSite(o)
	plain := NewServer(site.PlainHandler(), ServerOptions{ReadHeaderTimeout: time.Second})
	secure := NewServer(site.SecureHandler(), ServerOptions{ReadHeaderTimeout: time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}})
	w.plainAddr = serveOn(t, plain, false)
	w.tlsAddr = serveOn(t, secure, true)
	return w
}

// serveOn is the test's accept loop for s on a new loopback listener.
func serveOn(t *testing.T, s *Server, implicitTLS bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.ServeConn(c, implicitTLS)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// client is an HTTP client that reaches every name at the web front
// (plain HTTP for http://, HTTPS for https://, verifying the name
// against the test certificate) and does not follow redirects.
func (w *webFront) client() *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		target := w.plainAddr
		if strings.HasSuffix(addr, ":443") {
			target = w.tlsAddr
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", target)
	}
	return &http.Client{
		Transport: &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: w.pool}, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: time.Minute,
	}
}
