package main

import (
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
	"time"
)

// Files of the generated certificate, inside the data directory.
const (
	selfSignedCertFile = "selfsigned-cert.pem"
	selfSignedKeyFile  = "selfsigned-key.pem"
	selfSignedLifetime = 5 * 365 * 24 * time.Hour
)

// loadTLS returns the server TLS configuration: the configured certificate,
// or else a self-signed one kept in the data directory (generated on first
// start, and again when it expires or no longer names the hostname).
func loadTLS(cfg *Config, log *slog.Logger, now time.Time) (*tls.Config, error) {
	certFile, keyFile := cfg.TLS.Cert, cfg.TLS.Key
	if certFile == "" {
		certFile = filepath.Join(cfg.DataDir, selfSignedCertFile)
		keyFile = filepath.Join(cfg.DataDir, selfSignedKeyFile)
		if err := ensureSelfSigned(certFile, keyFile, cfg.Hostname, log, now); err != nil {
			return nil, fmt.Errorf("self-signed certificate: %w", err)
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate (change [tls] cert and key in the config): %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}, nil
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
