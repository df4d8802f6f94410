package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/mholt/acmez/v3"
	"go.uber.org/zap"
)

// LetsEncrypt is Let's Encrypt's production directory; LetsEncryptStaging
// issues untrusted certificates under much higher rate limits, for trying
// a setup out.
const (
	LetsEncrypt        = "https://acme-v02.api.letsencrypt.org/directory"
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// DefaultSubdomains are the names certified under each local domain:
// Thunderbird's autoconfig, Outlook's autodiscover and the MTA-STS policy
// host (RFC 8461 §3.2).
func DefaultSubdomains() []string { return []string{"autoconfig", "autodiscover", "mta-sts"} }

// Defaults of Options.
const (
	DefaultCheckInterval = time.Minute
	DefaultRetryInitial  = time.Minute
	DefaultRetryMax      = 24 * time.Hour
	// orderTimeout bounds one name's order (account, authorizations,
	// challenges, finalization, download).
	orderTimeout = 5 * time.Minute
)

// renewalWindowRatio: renew once a third of the lifetime is left
// (Let's Encrypt's advice for 90-day certificates: at 60 days).
const renewalWindowRatio = 1.0 / 3

// Options configure a Manager.
type Options struct {
	// Dir is where the account, the certificates and status.json live
	// (created 0700).
	Dir string
	// Directory is the ACME directory URL (LetsEncrypt when empty).
	Directory string
	// Email is the account's contact address. It is required: without
	// it certmagic would prompt on standard input.
	Email string
	// DirectoryRoots, if set, are CAs trusted for the directory's HTTPS
	// besides the system's (Pebble, a private CA).
	DirectoryRoots *x509.CertPool
	// Names returns the names to hold a certificate for. DefaultName is
	// always managed, whatever Names returns.
	Names func(context.Context) ([]string, error)
	// DefaultName (the hostname) is served to clients without SNI and
	// for names without a certificate of their own.
	DefaultName string
	// HTTP01 and TLSALPN01 choose the challenges: HTTP-01 answered by
	// HTTPHandler on the http listener, TLS-ALPN-01 by GetCertificate on
	// the https one.
	HTTP01, TLSALPN01 bool
	// HTTPPort and TLSALPNPort are those listeners' local ports (0: 80
	// and 443, where the CA connects; others make sense behind a port
	// forward, and in tests). See SetPorts.
	HTTPPort, TLSALPNPort int
	// Fallback serves a name that has no certificate (yet). Nil: such a
	// handshake fails.
	Fallback func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	Logger   *slog.Logger
	// CheckInterval is how often names and due renewals are checked.
	CheckInterval time.Duration
	// RetryInitial and RetryMax bound the backoff after a failed order.
	RetryInitial, RetryMax time.Duration
}

// Manager holds the ACME certificates. Its methods are safe for
// concurrent use.
type Manager struct {
	opts   Options
	log    *slog.Logger
	magic  *certmagic.Config
	issuer *certmagic.ACMEIssuer
	cache  *certmagic.Cache
	wake   chan struct{}

	// work serialises passes (Run's and Renew's).
	work    sync.Mutex
	written string // guarded by work: the certificates last written to the status file

	mu    sync.RWMutex
	names map[string]*nameState // guarded by mu
	order []string              // names in the order they are managed
}

// nameState is what the Manager knows about one name.
type nameState struct {
	cert        *tls.Certificate // nil: none yet; Leaf is set
	lastRenewal time.Time        // last successful obtain or renewal
	lastAttempt time.Time
	lastError   string
	failures    int // consecutive
	nextAttempt time.Time
}

// New returns a Manager; Run obtains and renews the certificates.
func New(opts Options) (*Manager, error) {
	if opts.Dir == "" {
		return nil, errors.New("acme: no storage directory")
	}
	if opts.Email == "" {
		return nil, errors.New("acme: an account e-mail address is required")
	}
	if !opts.HTTP01 && !opts.TLSALPN01 {
		return nil, errors.New("acme: neither HTTP-01 nor TLS-ALPN-01 can be answered (no http or https listener)")
	}
	if opts.Directory == "" {
		opts.Directory = LetsEncrypt
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = DefaultCheckInterval
	}
	if opts.RetryInitial <= 0 {
		opts.RetryInitial = DefaultRetryInitial
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = DefaultRetryMax
	}
	opts.DefaultName = normalize(opts.DefaultName)
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	if err := os.Chmod(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("acme: %w", err)
	}
	m := &Manager{
		opts:  opts,
		log:   opts.Logger,
		wake:  make(chan struct{}, 1),
		names: map[string]*nameState{},
	}
	zl := zap.New(newSlogCore(opts.Logger.With("component", "certmagic")))
	// certmagic's cache renews the certificates cached in it; this
	// Manager caches none there (it serves its own), so its maintenance
	// finds nothing to do. It is required to build a Config.
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		Logger:           zl,
	})
	m.magic = certmagic.New(m.cache, certmagic.Config{
		RenewalWindowRatio: renewalWindowRatio,
		Storage:            &certmagic.FileStorage{Path: opts.Dir},
		// OCSP stapling is off: Let's Encrypt ended OCSP in 2025, and a
		// responder that cannot be reached must not slow handshakes.
		OCSP: certmagic.OCSPConfig{DisableStapling: true},
		// ACME Renewal Information would move renewals off the
		// one-third rule this package documents and tests.
		DisableARI: true,
		Logger:     zl,
	})
	m.issuer = certmagic.NewACMEIssuer(m.magic, certmagic.ACMEIssuer{
		CA:                      opts.Directory,
		Email:                   opts.Email,
		Agreed:                  true,
		TrustedRoots:            opts.DirectoryRoots,
		DisableHTTPChallenge:    !opts.HTTP01,
		DisableTLSALPNChallenge: !opts.TLSALPN01,
		// certmagic binds these ports itself only when nothing else
		// does; the server's listeners hold them, so the challenges are
		// answered by HTTPHandler and GetCertificate.
		AltHTTPPort:    opts.HTTPPort,
		AltTLSALPNPort: opts.TLSALPNPort,
		Logger:         zl,
	})
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	return m, nil
}

// SetPorts sets Options.HTTPPort and TLSALPNPort once the listeners are
// bound (a configured port 0 is known only then). Call it before Run.
func (m *Manager) SetPorts(httpPort, tlsALPNPort int) {
	m.work.Lock()
	defer m.work.Unlock()
	m.issuer.AltHTTPPort, m.issuer.AltTLSALPNPort = httpPort, tlsALPNPort
}

// Close stops certmagic's cache maintenance goroutine.
func (m *Manager) Close() { m.cache.Stop() }

// isChallengeHello reports a TLS-ALPN-01 validation: RFC 8737 §3, the CA
// offers the single protocol "acme-tls/1" and names the identifier in SNI.
func isChallengeHello(h *tls.ClientHelloInfo) bool {
	return h.ServerName != "" && len(h.SupportedProtos) == 1 && h.SupportedProtos[0] == acmez.ACMETLS1Protocol
}

// GetCertificate is the tls.Config hook of every listener: the TLS-ALPN-01
// challenge certificate for a validation; else the name's certificate;
// else (no SNI, or a name without one) DefaultName's; else Fallback's.
func (m *Manager) GetCertificate(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if isChallengeHello(h) {
		cert, err := m.magic.GetCertificate(h)
		m.log.Info("acme: answered a TLS-ALPN-01 challenge", "name", h.ServerName, "remote", remote(h), "err", err)
		return cert, err
	}
	name := normalize(h.ServerName)
	m.mu.RLock()
	st := m.names[name]
	if st == nil || st.cert == nil {
		st = m.names[m.opts.DefaultName]
	}
	var cert *tls.Certificate
	if st != nil {
		cert = st.cert
	}
	m.mu.RUnlock()
	if cert != nil {
		return cert, nil
	}
	if m.opts.Fallback != nil {
		return m.opts.Fallback(h)
	}
	return nil, fmt.Errorf("acme: no certificate for %q yet", h.ServerName)
}

// ChallengeConfig returns a GetConfigForClient hook for base, the one
// server tls.Config: a TLS-ALPN-01 validation gets a copy of base that
// negotiates "acme-tls/1" (RFC 8737 §3), every other hello base itself.
// The protocol is not in base.NextProtos because Go's server refuses a
// client whose ALPN list shares nothing with NextProtos (a browser's
// h2/http1.1, a mail client's "imap"): listing only "acme-tls/1" there
// would break them.
func (m *Manager) ChallengeConfig(base *tls.Config) func(*tls.ClientHelloInfo) (*tls.Config, error) {
	chal := base.Clone()
	chal.NextProtos = []string{acmez.ACMETLS1Protocol}
	chal.GetConfigForClient = nil
	chal.GetCertificate = m.GetCertificate
	return func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if isChallengeHello(h) {
			return chal, nil
		}
		return nil, nil
	}
}

// HTTPHandler answers HTTP-01 challenges (RFC 8555 §8.3) under
// /.well-known/acme-challenge/ and passes every other request to next.
func (m *Manager) HTTPHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.issuer.HandleHTTPChallenge(w, r) {
			m.log.Info("acme: answered an HTTP-01 challenge", "host", r.Host, "remote", r.RemoteAddr)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func remote(h *tls.ClientHelloInfo) string {
	if h.Conn == nil {
		return ""
	}
	return h.Conn.RemoteAddr().String()
}

// Trusted reports whether a CA-issued certificate is being served.
func (m *Manager) Trusted() bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	now := time.Now()
	for _, st := range m.names {
		if st.cert != nil && now.Before(st.cert.Leaf.NotAfter) {
			return true
		}
	}
	return false
}

// normalize lowercases a DNS name and drops a final dot.
func normalize(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// Names returns hostname and, for every domain, each subdomain under it:
// the names to certify, deduplicated, in that order. Names that no public
// CA issues for (IP addresses, localhost, single labels) are left out.
func Names(hostname string, domains, subdomains []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		n = normalize(n)
		if !qualifies(n) || seen[n] {
			return
		}
		seen[n] = true
		out = append(out, n)
	}
	add(hostname)
	for _, d := range domains {
		for _, s := range subdomains {
			add(s + "." + d)
		}
	}
	return out
}

// Qualifies reports whether a public CA can issue a certificate for
// name: a DNS name of two or more labels, not localhost, not an IP
// address.
func Qualifies(name string) bool { return qualifies(normalize(name)) }

// qualifies reports whether a CA can issue for name (RFC 8555 §7.1.4 dns
// identifiers; no IP identifiers here).
func qualifies(name string) bool {
	if !strings.Contains(name, ".") || name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return false
	}
	if strings.Trim(name, "0123456789.") == "" || strings.Contains(name, ":") {
		return false // an IP address
	}
	return certmagic.SubjectQualifiesForCert(name)
}
