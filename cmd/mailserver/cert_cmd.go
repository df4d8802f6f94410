package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mailserver/mailserver/httpd/acme"
)

// The "mailserver cert" subcommands. status shows the certificates in
// service: with ACME, each name's issuer, expiry, last renewal and last
// error, from the running server through its admin socket or, with the
// server stopped, from the status file it wrote (DATA_DIR/acme/
// status.json); without ACME, the configured or self-signed certificate.
// renew asks the running server to obtain or renew now.

// Paths of the certificate endpoints of the admin socket. They are served
// by certAdminHandler in front of the other endpoints (they need the ACME
// manager, not the store).
const (
	pathCertStatus = "/v1/cert/status"
	pathCertRenew  = "/v1/cert/renew"
)

type certRenewArgs struct{ Force bool }

// certReply is the answer of both endpoints.
type certReply struct {
	ACME         bool              `json:"acme"`
	Certificates []acme.CertStatus `json:"certificates"`
	Error        string            `json:"error,omitempty"` // of the renewal
}

// certAdminHandler serves the cert endpoints with m (nil: ACME off) and
// passes everything else to next.
func certAdminHandler(m *acme.Manager, next http.Handler, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", next)
	mux.HandleFunc("POST "+pathCertStatus, func(w http.ResponseWriter, r *http.Request) {
		reply := certReply{ACME: m != nil}
		if m != nil {
			reply.Certificates = m.Status()
		}
		writeJSON(w, reply, log)
	})
	mux.HandleFunc("POST "+pathCertRenew, func(w http.ResponseWriter, r *http.Request) {
		var args certRenewArgs
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&args); err != nil {
			writeAdminError(w, &badRequestError{err})
			return
		}
		if m == nil {
			writeAdminError(w, errors.New("ACME is off ([tls] acme = false): nothing to renew"))
			return
		}
		log.Info("admin request", "op", pathCertRenew, "force", args.Force)
		reply := certReply{ACME: true}
		if err := m.Renew(r.Context(), args.Force); err != nil {
			reply.Error = err.Error()
		}
		reply.Certificates = m.Status()
		writeJSON(w, reply, log)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any, log *slog.Logger) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Warn("admin response", "err", err)
	}
}

func (c *cli) certCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "cert", args, map[string]func(context.Context, []string) error{
		"status": c.certStatus,
		"renew":  c.certRenew,
	})
}

// errServerNotRunning: the admin socket does not answer.
var errServerNotRunning = errors.New("no server is running")

// certCall posts to a cert endpoint of the running server.
func certCall(ctx context.Context, cfg *Config, path string, req any) (certReply, error) {
	sock := filepath.Join(cfg.DataDir, adminSocketFile)
	if err := checkSocketPath(sock); err != nil {
		return certReply{}, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return certReply{}, errServerNotRunning
		}
		return certReply{}, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	conn.Close()
	ac := newAdminClient(sock)
	defer ac.Close()
	return adminCall[certReply](ctx, ac, path, req)
}

func (c *cli) certStatus(ctx context.Context, args []string) error {
	if _, err := parseArgs(c.flags("cert status", ""), "", args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	reply, err := certCall(ctx, cfg, pathCertStatus, noArgs{})
	switch {
	case err == nil:
	case errors.Is(err, errServerNotRunning):
		if !cfg.TLS.ACME {
			return c.fileCertStatus(cfg, "")
		}
		r, err := acme.ReadStatus(filepath.Join(cfg.DataDir, acmeDir))
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintln(c.stdout, "no ACME status yet: the server has not run with [tls] acme = true")
			return nil
		}
		if err != nil {
			return fmt.Errorf("cert status: %w", err)
		}
		fmt.Fprintf(c.stdout, "server stopped; status written %s by the last run\n", r.Written.UTC().Format(time.RFC3339))
		reply = certReply{ACME: true, Certificates: r.Certificates}
	default:
		return fmt.Errorf("cert status: %w", err)
	}
	if !reply.ACME {
		return c.fileCertStatus(cfg, "server running; ")
	}
	fmt.Fprintf(c.stdout, "ACME directory %s\n", cfg.TLS.ACMEDirectory)
	writeCertStatus(c.stdout, reply.Certificates, time.Now())
	return nil
}

// fileCertStatus shows the configured or self-signed certificate.
func (c *cli) fileCertStatus(cfg *Config, prefix string) error {
	certFile, keyFile, kind := cfg.TLS.Cert, cfg.TLS.Key, "configured [tls] cert"
	if certFile == "" {
		certFile = filepath.Join(cfg.DataDir, selfSignedCertFile)
		keyFile = filepath.Join(cfg.DataDir, selfSignedKeyFile)
		kind = "self-signed (no [tls] cert, acme off)"
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("cert status: %s: %w", kind, err)
	}
	leaf := pair.Leaf
	fmt.Fprintf(c.stdout, "%sACME off; certificate: %s, %s\n", prefix, kind, certFile)
	writeCertStatus(c.stdout, []acme.CertStatus{leafStatus(leaf)}, time.Now())
	return nil
}

func leafStatus(leaf *x509.Certificate) acme.CertStatus {
	name := leaf.Subject.CommonName
	if len(leaf.DNSNames) > 0 {
		name = fmt.Sprint(leaf.DNSNames)
	}
	return acme.CertStatus{Name: name, Issuer: leaf.Issuer.String(), NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter}
}

// writeCertStatus prints one block per name.
func writeCertStatus(w io.Writer, certs []acme.CertStatus, now time.Time) {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, s := range certs {
		fmt.Fprintf(w, "\n%s\n", s.Name)
		if s.Issuer == "" {
			fmt.Fprintf(w, "  issuer:        none yet (serving the self-signed certificate)\n")
		} else {
			fmt.Fprintf(w, "  issuer:        %s\n", s.Issuer)
			fmt.Fprintf(w, "  expires:       %s (%d days left)\n", ts(s.NotAfter), int(s.NotAfter.Sub(now).Hours()/24))
		}
		fmt.Fprintf(w, "  last renewal:  %s\n", ts(s.LastRenewal))
		if s.LastError != "" {
			fmt.Fprintf(w, "  last error:    %s (at %s, %d failure(s) in a row)\n", s.LastError, ts(s.LastAttempt), s.Failures)
			fmt.Fprintf(w, "  next attempt:  %s\n", ts(s.NextAttempt))
		} else if !s.LastAttempt.IsZero() || s.Issuer != "" {
			fmt.Fprintf(w, "  last error:    none\n")
		}
	}
}

func (c *cli) certRenew(ctx context.Context, args []string) error {
	const synopsis = "[--force]"
	fs := c.flags("cert renew", synopsis)
	force := fs.Bool("force", false, "renew every certificate now, also those not due")
	if _, err := parseArgs(fs, synopsis, args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	reply, err := certCall(ctx, cfg, pathCertRenew, certRenewArgs{Force: *force})
	if errors.Is(err, errServerNotRunning) {
		return fmt.Errorf("cert renew: %w: the challenges are answered by the server's http/https listeners, so start it (mailserver serve); it obtains and renews by itself", err)
	}
	if err != nil {
		return fmt.Errorf("cert renew: %w", err)
	}
	writeCertStatus(c.stdout, reply.Certificates, time.Now())
	if reply.Error != "" {
		return fmt.Errorf("cert renew: %s (the previous certificates stay in service)", reply.Error)
	}
	return nil
}
