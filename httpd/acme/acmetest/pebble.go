// Package acmetest runs Pebble, Let's Encrypt's test ACME server, for
// tests: a child process with its own config, a DNS server in the test
// process that answers 127.0.0.1 for every name, and a directory
// certificate made for the run.
package acmetest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// PebbleModule is the Pebble the tests run; PebbleEnv names a prebuilt
// binary to use instead of building it (.ci/run sets it).
const (
	PebbleModule  = "github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3"
	PebbleEnv     = "PEBBLE"
	pebbleVersion = "v2.10.3"
)

// Binary returns the path of the pebble executable: $PEBBLE, or one built
// once into the user cache directory with `go install`.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(PebbleEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", PebbleEnv, p, err)
		}
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no cache directory to build Pebble into: %v (set %s to a pebble binary, from go install %s)", err, PebbleEnv, PebbleModule)
	}
	dir := filepath.Join(cache, "mailserver-test", "pebble-"+pebbleVersion)
	bin := filepath.Join(dir, "pebble")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", PebbleModule)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("these tests need Pebble: go install %s failed: %v\n%s\n(install it and set %s to the binary)", PebbleModule, err, out, PebbleEnv)
	}
	return bin
}

// Pebble is a running Pebble.
type Pebble struct {
	// Directory is the ACME directory URL.
	Directory string
	// DirectoryCA is the PEM of the CA that signed the directory's HTTPS
	// certificate, and DirectoryCAFile a file holding it.
	DirectoryCA     []byte
	DirectoryCAFile string
	// Roots holds the root that issued certificates chain to, RootPEM
	// the same in PEM.
	Roots   *x509.CertPool
	RootPEM []byte
	// Log is Pebble's output.
	Log *Buffer

	cmd  *exec.Cmd
	done chan struct{}
}

// Buffer is a bytes.Buffer safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Addrs are Pebble's listen addresses, chosen before it starts (see
// FreePort), so a server can be configured with the directory URL first.
type Addrs struct {
	Listen, Management string
}

// FreeAddrs picks two loopback ports the kernel hands out as free.
func FreeAddrs(t testing.TB) Addrs {
	return Addrs{Listen: freeAddr(t), Management: freeAddr(t)}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// DirectoryURL is the directory URL of a Pebble at a.
func (a Addrs) DirectoryURL() string { return "https://" + a.Listen + "/dir" }

// Config is what StartPebble needs.
type Config struct {
	Addrs Addrs
	// HTTPPort and TLSPort are where Pebble validates HTTP-01 and
	// TLS-ALPN-01 challenges on 127.0.0.1.
	HTTPPort, TLSPort int
	// CertDir holds the directory certificate; StartPebble makes one
	// when empty. Restarting a Pebble with the same CertDir keeps the
	// directory certificate (not the issuing root: Pebble makes a new
	// one per run).
	CertDir string
}

// StartPebble runs Pebble until the test ends, and returns when its
// directory answers.
func StartPebble(t testing.TB, c Config) *Pebble {
	t.Helper()
	bin := Binary(t)
	dnsAddr := startDNS(t)
	if c.CertDir == "" {
		c.CertDir = t.TempDir()
	}
	caPEM := readFile(t, DirectoryCert(t, c.CertDir))
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  c.Addrs.Listen,
		"managementListenAddress":        c.Addrs.Management,
		"certificate":                    filepath.Join(c.CertDir, "cert.pem"),
		"privateKey":                     filepath.Join(c.CertDir, "key.pem"),
		"httpPort":                       c.HTTPPort,
		"tlsPort":                        c.TLSPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
		"profiles": map[string]any{"default": map[string]any{
			"description": "90 days", "validityPeriod": 7776000,
		}},
	}}
	cfgJSON, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(c.CertDir, "pebble-config.json")
	if err := os.WriteFile(cfgFile, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Pebble{
		Directory:       c.Addrs.DirectoryURL(),
		DirectoryCA:     caPEM,
		DirectoryCAFile: filepath.Join(c.CertDir, "ca.pem"),
		Log:             &Buffer{},
		done:            make(chan struct{}),
	}
	p.cmd = exec.Command(bin, "-config", cfgFile, "-dnsserver", dnsAddr)
	p.cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_AUTHZREUSE=0")
	p.cmd.Stdout, p.cmd.Stderr = p.Log, p.Log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start pebble: %v", err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Stop)

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := hc.Get(p.Directory)
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-p.done:
			t.Fatalf("pebble exited: %s", p.Log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble directory %s not answering: %v\n%s", p.Directory, err, p.Log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := hc.Get("https://" + c.Addrs.Management + "/roots/0")
	if err != nil {
		t.Fatalf("pebble root: %v", err)
	}
	defer resp.Body.Close()
	rootPEM, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("pebble root: %s %v", resp.Status, err)
	}
	p.RootPEM = rootPEM
	p.Roots = x509.NewCertPool()
	if !p.Roots.AppendCertsFromPEM(rootPEM) {
		t.Fatalf("pebble root: no certificate in %q", rootPEM)
	}
	return p
}

// Stop ends Pebble (idempotent).
func (p *Pebble) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// DirectoryCert writes a CA (ca.pem) and a certificate for 127.0.0.1 and
// localhost signed by it (cert.pem, key.pem) into dir unless there, and
// returns the CA file's name: what a client of the directory trusts.
// Pass the same dir as Config.CertDir.
func DirectoryCert(t testing.TB, dir string) string {
	t.Helper()
	caFile := filepath.Join(dir, "ca.pem")
	if _, err := os.Stat(caFile); err == nil {
		return caFile
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "acmetest directory CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	for name, data := range map[string][]byte{
		"ca.pem":   caPEM,
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile
}

// startDNS serves, on UDP and TCP of one loopback port, A 127.0.0.1 for
// every name and nothing else (no AAAA, no CAA: issuance allowed).
func startDNS(t testing.TB) string {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{
					Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A:   net.IPv4(127, 0, 0, 1),
				})
			}
		}
		w.WriteMsg(m)
	})
	for range 10 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			pc.Close() // the TCP half is taken: another pair
			continue
		}
		udp := &dns.Server{PacketConn: pc, Handler: h}
		tcp := &dns.Server{Listener: ln, Handler: h}
		go udp.ActivateAndServe()
		go tcp.ActivateAndServe()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			udp.ShutdownContext(ctx)
			tcp.ShutdownContext(ctx)
		})
		return pc.LocalAddr().String()
	}
	t.Fatal("no free UDP+TCP port pair for the test DNS server")
	return ""
}

// String describes the Pebble for failure messages.
func (p *Pebble) String() string { return fmt.Sprintf("pebble at %s", p.Directory) }
