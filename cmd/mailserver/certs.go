package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mailserver/mailserver/httpd/acme"
)

// Files of the generated certificate, inside the data directory.
const (
	selfSignedCertFile = "selfsigned-cert.pem"
	selfSignedKeyFile  = "selfsigned-key.pem"
	selfSignedLifetime = 5 * 365 * 24 * time.Hour
)

// certificates is where every listener's certificate comes from: the
// one server tls.Config (env.tls) and, with ACME on, the Manager that
// renews what it serves. No listener holds a certificate of its own:
// each handshake asks GetCertificate, so a renewed certificate (or a
// changed [tls] cert file) is served on every port without a restart.
type certificates struct {
	tls  *tls.Config
	acme *acme.Manager // nil: ACME off
	// trusted reports a CA-issued certificate in place (env.trustedCert).
	trusted func() bool
}

// domainLister is the store's list of local domains (ACME certifies
// names under each).
type domainLister interface {
	Domains(ctx context.Context) ([]string, error)
}

// loadTLS returns the server's certificates: the configured certificate
// files (re-read when they change on disk), or ACME's certificates
// falling back to a self-signed one kept in the data directory (generated
// on first start, and again when it expires or no longer names the
// hostname), or that self-signed one alone.
func loadTLS(cfg *Config, domains domainLister, log *slog.Logger, now time.Time) (*certificates, error) {
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS.Cert != "" {
		fc, err := loadCertFiles(cfg.TLS.Cert, cfg.TLS.Key, log)
		if err != nil {
			return nil, fmt.Errorf("load certificate (change [tls] cert and key in the config): %w", err)
		}
		base.GetCertificate = fc.getCertificate
		return &certificates{tls: base, trusted: func() bool { return true }}, nil
	}
	certFile := filepath.Join(cfg.DataDir, selfSignedCertFile)
	keyFile := filepath.Join(cfg.DataDir, selfSignedKeyFile)
	if err := ensureSelfSigned(certFile, keyFile, cfg.Hostname, log, now); err != nil {
		return nil, fmt.Errorf("self-signed certificate: %w", err)
	}
	self, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load self-signed certificate: %w", err)
	}
	selfSigned := func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &self, nil }
	if !cfg.TLS.ACME {
		base.GetCertificate = selfSigned
		return &certificates{tls: base, trusted: func() bool { return false }}, nil
	}
	m, err := newACMEManager(cfg, domains, selfSigned, log)
	if err != nil {
		return nil, err
	}
	base.GetCertificate = m.GetCertificate
	base.GetConfigForClient = m.ChallengeConfig(base)
	return &certificates{tls: base, acme: m, trusted: m.Trusted}, nil
}

// newACMEManager builds the ACME manager from [tls] acme*: certificates
// for the hostname and acme_names under every local domain, stored in
// DATA_DIR/acme, challenges answered on the http and https listeners.
func newACMEManager(cfg *Config, domains domainLister, fallback func(*tls.ClientHelloInfo) (*tls.Certificate, error), log *slog.Logger) (*acme.Manager, error) {
	opts := acme.Options{
		Dir:         filepath.Join(cfg.DataDir, acmeDir),
		Directory:   cfg.TLS.ACMEDirectory,
		Email:       cfg.TLS.ACMEEmail,
		DefaultName: cfg.Hostname,
		Names: func(ctx context.Context) ([]string, error) {
			ds, err := domains.Domains(ctx)
			if err != nil {
				return nil, fmt.Errorf("local domains: %w", err)
			}
			return acme.Names(cfg.Hostname, ds, cfg.TLS.ACMENames), nil
		},
		HTTP01:      cfg.Listen.HTTP != "",
		TLSALPN01:   cfg.Listen.HTTPS != "",
		HTTPPort:    listenPort(cfg.Listen.HTTP),
		TLSALPNPort: listenPort(cfg.Listen.HTTPS),
		Fallback:    fallback,
		Logger:      log.With("component", "acme"),
	}
	if f := cfg.TLS.ACMEDirectoryCA; f != "" {
		pemBytes, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("[tls] acme_directory_ca: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("[tls] acme_directory_ca: no PEM certificate in %s", f)
		}
		opts.DirectoryRoots = pool
	}
	m, err := acme.New(opts)
	if err != nil {
		return nil, fmt.Errorf("[tls] acme: %w", err)
	}
	return m, nil
}

// listening tells the ACME manager the ports the http and https
// listeners got (a configured port 0 is known only once bound).
func (c *certificates) listening(bound []boundListener) {
	if c.acme == nil {
		return
	}
	var httpPort, httpsPort int
	for _, b := range bound {
		p := b.ln.Addr().(*net.TCPAddr).Port
		switch b.key {
		case "http":
			httpPort = p
		case "https":
			httpsPort = p
		}
	}
	c.acme.SetPorts(httpPort, httpsPort)
}

// acmeDir is the ACME storage directory inside the data directory.
const acmeDir = "acme"

// listenPort is the port of a [listen] address, 0 when it is off. A
// configured ":0" (tests) is resolved by the caller once bound.
func listenPort(addr string) int {
	if addr == "" {
		return 0
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return 0
	}
	return n
}

// ensureSelfSigned keeps an existing usable certificate and otherwise
// writes a new one.
func ensureSelfSigned(certFile, keyFile, hostname string, log *slog.Logger, now time.Time) error {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	switch {
	case err == nil:
		leaf := pair.Leaf
		if leaf == nil {
			if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
				return fmt.Errorf("parse %s: %w", certFile, err)
			}
		}
		if now.Before(leaf.NotAfter.Add(-24*time.Hour)) && leaf.VerifyHostname(hostname) == nil {
			return nil
		}
		log.Info("replacing self-signed certificate", "file", certFile, "reason", "expired or hostname changed", "hostname", hostname)
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("existing %s: %w (delete it and %s to generate new ones)", certFile, err, keyFile)
	}

	certPEM, keyPEM, err := selfSigned(hostname, now)
	if err != nil {
		return err
	}
	// Key first: a certificate without its key would be unusable.
	if err := writeFileAtomic(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(certFile, certPEM, 0o644); err != nil {
		return err
	}
	log.Info("generated self-signed certificate", "file", certFile, "hostname", hostname)
	return nil
}

// selfSigned returns a PEM certificate and PKCS#8 key: ECDSA P-256, valid
// for hostname, localhost and 127.0.0.1.
func selfSigned(hostname string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hostname, Organization: []string{"mailserver self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{hostname, "localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if ip := net.ParseIP(hostname); ip != nil {
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// writeFileAtomic writes data to a temporary file with mode perm, syncs it
// and renames it over name, so a crash leaves the old file or the new one.
func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
