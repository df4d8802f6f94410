package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certFileCheckInterval is how often a handshake may stat the configured
// certificate files; a renewal by certbot is served within it.
const certFileCheckInterval = 10 * time.Second

// certFiles serves a [tls] cert/key pair and re-reads it when either
// file's modification time or size changes, so a certificate renewed on
// disk (certbot, acme.sh) reaches every listener without a restart. A
// pair that does not load (say, certbot has written the certificate but
// not yet the key) is logged and the previous one stays in service.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp
	checked time.Time
}

// fileStamp identifies a version of a file.
type fileStamp struct {
	mod  time.Time
	size int64
}

func loadCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	f := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	stamp, err := f.stat()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	f.cert, f.stamp, f.checked = &cert, stamp, time.Now()
	return f, nil
}

func (f *certFiles) stat() ([2]fileStamp, error) {
	var s [2]fileStamp
	for i, name := range []string{f.certFile, f.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return s, err
		}
		s[i] = fileStamp{fi.ModTime(), fi.Size()}
	}
	return s, nil
}

// getCertificate is the tls.Config hook: the pair, re-read if it changed.
func (f *certFiles) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	if now.Sub(f.checked) < certFileCheckInterval {
		return f.cert, nil
	}
	f.checked = now
	stamp, err := f.stat()
	if err != nil {
		f.log.Warn("certificate files unreadable; serving the loaded certificate", "cert", f.certFile, "err", err)
		return f.cert, nil
	}
	if stamp == f.stamp {
		return f.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		f.log.Warn("changed certificate files do not load; serving the loaded certificate", "cert", f.certFile, "key", f.keyFile, "err", err)
		return f.cert, nil // stamp kept: try again at the next check
	}
	f.cert, f.stamp = &cert, stamp
	f.log.Info("reloaded certificate files", "cert", f.certFile, "not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339),
		"subject", fmt.Sprint(cert.Leaf.DNSNames))
	return f.cert, nil
}
