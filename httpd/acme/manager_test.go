package acme_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/httpd/acme"
	"github.com/mailserver/mailserver/httpd/acme/acmetest"
)

// listeners are a TLS and a plain HTTP listener on loopback, as the
// server's https and http listeners.
type listeners struct {
	tls, http net.Listener
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// serve runs the listeners with m: TLS handshakes through
// m.GetCertificate and m.ChallengeConfig, HTTP through m.HTTPHandler.
func serve(t *testing.T, l listeners, m *acme.Manager) {
	base := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: m.GetCertificate}
	base.GetConfigForClient = m.ChallengeConfig(base)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.tls.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := tls.Server(c, base)
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				tc.Handshake()
			}()
		}
	})
	srv := &http.Server{Handler: m.HTTPHandler(http.NotFoundHandler()), ReadHeaderTimeout: 10 * time.Second}
	wg.Go(func() { srv.Serve(l.http) })
	t.Cleanup(func() {
		l.tls.Close()
		srv.Close()
		wg.Wait()
	})
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// peer returns the certificate addr serves for name, verified against roots.
func peer(t *testing.T, addr, name string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		t.Fatalf("TLS to %s as %s: %v", addr, name, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

// TestManagerPebble: certificates for the default name and the extra
// names come from Pebble through either challenge; a forced renewal
// swaps them; with Pebble gone a forced renewal fails, the old
// certificate stays in service and the error is in Status and the status
// file.
func TestManagerPebble(t *testing.T) {
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) {
			l := listeners{tls: listen(t), http: listen(t)}
			addrs := acmetest.FreeAddrs(t)
			logs := &acmetest.Buffer{}
			p := acmetest.StartPebble(t, acmetest.Config{Addrs: addrs, HTTPPort: port(l.http), TLSPort: port(l.tls)})
			dirRoots := x509.NewCertPool()
			dirRoots.AppendCertsFromPEM(p.DirectoryCA)
			opts := acme.Options{
				Dir:            filepath.Join(t.TempDir(), "acme"),
				Directory:      p.Directory,
				Email:          "postmaster@example.test",
				DirectoryRoots: dirRoots,
				DefaultName:    "mail.example.test",
				Names: func(context.Context) ([]string, error) {
					return acme.Names("mail.example.test", []string{"example.test"}, []string{"autoconfig"}), nil
				},
				Logger: slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, logs), nil)),
			}
			opts.HTTPPort, opts.TLSALPNPort = port(l.http), port(l.tls)
			opts.TLSALPN01 = challenge == "tls-alpn-01"
			opts.HTTP01 = challenge == "http-01"
			m, err := acme.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Close)
			serve(t, l, m)
			ctx := context.Background()
			if err := m.Renew(ctx, false); err != nil {
				t.Fatalf("obtain: %v\n%s", err, p.Log)
			}
			if challenge == "http-01" && !strings.Contains(p.Log.String(), "Attempting to validate w/ HTTP") {
				t.Fatalf("pebble did not validate over HTTP:\n%s", p.Log)
			}
			want := map[string]string{"tls-alpn-01": "answered a TLS-ALPN-01 challenge", "http-01": "answered an HTTP-01 challenge"}[challenge]
			if !strings.Contains(logs.String(), want) {
				t.Fatalf("the manager did not log %q", want)
			}
			if !m.Trusted() {
				t.Fatal("Trusted() false with certificates in place")
			}
			first := map[string]*x509.Certificate{}
			for _, name := range []string{"mail.example.test", "autoconfig.example.test"} {
				first[name] = peer(t, l.tls.Addr().String(), name, p.Roots)
			}
			// Clients offering other protocols (a browser, a mail client
			// with RFC 7301 ALPN) are not refused: "acme-tls/1" is
			// negotiated only for a validation.
			for _, protos := range [][]string{{"h2", "http/1.1"}, {"imap"}, {"smtp"}} {
				c, err := tls.Dial("tcp", l.tls.Addr().String(), &tls.Config{ServerName: "mail.example.test", RootCAs: p.Roots, NextProtos: protos})
				if err != nil {
					t.Fatalf("client offering ALPN %v: %v", protos, err)
				}
				if np := c.ConnectionState().NegotiatedProtocol; np != "" {
					t.Fatalf("ALPN %v negotiated %q", protos, np)
				}
				c.Close()
			}
			// No SNI: the default name's certificate.
			c, err := tls.Dial("tcp", l.tls.Addr().String(), &tls.Config{RootCAs: p.Roots, InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ConnectionState().PeerCertificates[0]; !got.Equal(first["mail.example.test"]) {
				t.Fatalf("no-SNI client got %v, want the default name's certificate", got.DNSNames)
			}
			c.Close()

			if err := m.Renew(ctx, true); err != nil {
				t.Fatalf("forced renewal: %v\n%s", err, p.Log)
			}
			renewed := map[string]*x509.Certificate{}
			for name, old := range first {
				renewed[name] = peer(t, l.tls.Addr().String(), name, p.Roots)
				if renewed[name].Equal(old) {
					t.Fatalf("%s: same certificate after a forced renewal", name)
				}
			}

			p.Stop()
			err = m.Renew(ctx, true)
			if err == nil {
				t.Fatal("forced renewal with Pebble down succeeded")
			}
			for name, cur := range renewed {
				if got := peer(t, l.tls.Addr().String(), name, p.Roots); !got.Equal(cur) {
					t.Fatalf("%s: certificate changed although renewal failed", name)
				}
			}
			for _, st := range m.Status() {
				if st.LastError == "" || st.Failures != 1 || st.NotAfter.IsZero() || st.LastRenewal.IsZero() {
					t.Fatalf("status after the failure: %+v", st)
				}
			}
			r, err := acme.ReadStatus(opts.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Certificates) != 2 || r.Certificates[0].Name != "mail.example.test" || r.Certificates[0].LastError == "" {
				t.Fatalf("status file: %+v", r)
			}
			checkModes(t, opts.Dir)
		})
	}
}

// checkModes: directories 0700, files 0600 (keys among them).
func checkModes(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			return errors.New(path + ": mode " + fi.Mode().String())
		}
		n++
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("storage modes: %v (%d entries)", err, n)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
