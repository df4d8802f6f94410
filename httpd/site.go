package httpd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Ports are the mail listeners clients are told about: the port each is
// reached at, 0 when it is turned off.
type Ports struct {
	IMAPS, IMAP, POP3S, POP3, Submissions, Submission int
}

// SiteOptions configures the web front's handlers.
type SiteOptions struct {
	// Hostname is the server's name: the mail servers named in every
	// client configuration, and the host of the landing page.
	Hostname string
	// Domains tells which domains are served here (the store).
	Domains LocalDomains
	// Ports are the mail listeners that are on.
	Ports Ports
	// HTTPSPort is where plain HTTP redirects to; 0 or 443 leave the
	// port out of the URL.
	HTTPSPort int
	// MTASTSPolicy is the policy text served to mta-sts.DOMAIN, built by
	// MTASTSPolicy.
	MTASTSPolicy string
	// TrustedCert reports whether a CA-issued certificate is in place;
	// HSTS is sent only then (a browser that pinned HTTPS to a
	// self-signed certificate would lock its user out). nil: never.
	TrustedCert func() bool
	// Webmail serves /webmail and everything under /webmail/ on the
	// hostname, over HTTPS only; nil: no webmail.
	Webmail http.Handler
	Logger  *slog.Logger
}

// Site is the web front: the handler of the plain-HTTP listener (port
// 80) and that of the HTTPS listener (443). Both answer only for the
// hostname and, for every local domain D, D itself, autoconfig.D,
// autodiscover.D and mta-sts.D; any other Host gets the same 404 as a
// path that does not exist, so the list of domains cannot be probed.
type Site struct {
	o   SiteOptions
	log *slog.Logger
}

// NewSite returns the web front for o.
func NewSite(o SiteOptions) *Site {
	o.Hostname = canonicalHost(o.Hostname)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Site{o: o, log: log}
}

// hostKind is what a request's Host names.
type hostKind int

const (
	hostUnknown      hostKind = iota
	hostServer                // the hostname
	hostDomain                // a local domain
	hostAutoconfig            // autoconfig.DOMAIN
	hostAutodiscover          // autodiscover.DOMAIN
	hostMTASTS                // mta-sts.DOMAIN (RFC 8461 §3.3)
)

// subdomainKinds are the service names under a local domain.
var subdomainKinds = []struct {
	prefix string
	kind   hostKind
}{
	{"autoconfig.", hostAutoconfig},
	{"autodiscover.", hostAutodiscover},
	{"mta-sts.", hostMTASTS},
}

// maxHostLen is the longest DNS name (RFC 1035 §2.3.4), with a port.
const maxHostLen = 253 + len(":65535")

// canonicalHost is a Host header's name: without the port and the
// trailing dot, lower case.
func canonicalHost(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// errUnknownHost is a Host that is not served here.
var errUnknownHost = errors.New("unknown host")

// classify says what host names, and for a domain host the local domain.
func (s *Site) classify(ctx context.Context, rawHost string) (hostKind, string, error) {
	if rawHost == "" || len(rawHost) > maxHostLen {
		return hostUnknown, "", errUnknownHost
	}
	h := canonicalHost(rawHost)
	if h == "" {
		return hostUnknown, "", errUnknownHost
	}
	if h == s.o.Hostname {
		return hostServer, "", nil
	}
	if ok, err := s.o.Domains.IsLocalDomain(ctx, h); err != nil {
		return hostUnknown, "", err
	} else if ok {
		return hostDomain, h, nil
	}
	for _, sub := range subdomainKinds {
		d, ok := strings.CutPrefix(h, sub.prefix)
		if !ok || d == "" {
			continue
		}
		if ok, err := s.o.Domains.IsLocalDomain(ctx, d); err != nil {
			return hostUnknown, "", err
		} else if ok {
			return sub.kind, d, nil
		}
	}
	return hostUnknown, "", errUnknownHost
}

// request is one request with its host classified.
type request struct {
	*http.Request
	kind   hostKind
	domain string // the local domain of a domain host; "" for the hostname
}

// route is a path the site serves: on which listener, for which hosts,
// with which methods.
type route struct {
	path    string
	methods []string
	plain   bool // also over plain HTTP (only what carries no secret)
	hosts   func(hostKind) bool
	serve   func(s *Site, w http.ResponseWriter, r *request)
}

func anyHost(hostKind) bool { return true }

// routes is the whole site. Paths are compared exactly (after
// lower-casing for autodiscover, which Outlook spells
// /Autodiscover/Autodiscover.xml): no prefix matches, no directory
// listings, no file system.
var routes = []route{
	// Thunderbird's autoconfig: autoconfig.DOMAIN/mail/config-v1.1.xml
	// and DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml, over both
	// http and https (Thunderbird tries both). Served on every known host.
	{"/mail/config-v1.1.xml", []string{"GET", "HEAD"}, true, anyHost, (*Site).serveAutoconfig},
	{"/.well-known/autoconfig/mail/config-v1.1.xml", []string{"GET", "HEAD"}, true, anyHost, (*Site).serveAutoconfig},
	// Outlook's POX autodiscover. Outlook sends credentials with it, so
	// HTTPS only.
	{"/autodiscover/autodiscover.xml", []string{"POST"}, false, anyHost, (*Site).serveAutodiscover},
	// Apple's configuration profile.
	{"/apple/mail.mobileconfig", []string{"GET", "HEAD"}, false, anyHost, (*Site).serveMobileconfig},
	// RFC 8461 §3.3: the policy only at mta-sts.DOMAIN, only over HTTPS.
	{"/.well-known/mta-sts.txt", []string{"GET", "HEAD"}, false,
		func(k hostKind) bool { return k == hostMTASTS }, (*Site).serveMTASTS},
	{"/", []string{"GET", "HEAD"}, false,
		func(k hostKind) bool { return k == hostServer }, (*Site).serveLanding},
}

// findRoute is the route of path for kind, or nil.
func findRoute(path string, kind hostKind) *route {
	lower := strings.ToLower(path)
	for i := range routes {
		rt := &routes[i]
		p := path
		if strings.HasPrefix(rt.path, "/autodiscover/") {
			p = lower
		}
		if p == rt.path && rt.hosts(kind) {
			return rt
		}
	}
	return nil
}

// allows reports whether rt takes method, and the Allow header value.
func (rt *route) allows(method string) (bool, string) {
	ok := false
	for _, m := range rt.methods {
		if m == method {
			ok = true
		}
	}
	return ok, strings.Join(rt.methods, ", ")
}

// notFound is the one 404 of the site, for unknown hosts and paths alike.
func notFound(w http.ResponseWriter) {
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// lookupFailed answers when the store could not be asked.
func (s *Site) lookupFailed(w http.ResponseWriter, err error) {
	s.log.Warn("web front: domain lookup failed", "err", err)
	http.Error(w, "503 service unavailable", http.StatusServiceUnavailable)
}

// SecureHandler is the HTTPS listener's handler.
func (s *Site) SecureHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.secureHeaders(w.Header())
		kind, domain, err := s.classify(r.Context(), r.Host)
		if err != nil {
			if errors.Is(err, errUnknownHost) {
				notFound(w)
			} else {
				s.lookupFailed(w, err)
			}
			return
		}
		if s.o.Webmail != nil && kind == hostServer && isWebmailPath(r.URL.Path) {
			s.o.Webmail.ServeHTTP(w, r) // it sets its own, wider CSP
			return
		}
		rt := findRoute(r.URL.Path, kind)
		if rt == nil {
			notFound(w)
			return
		}
		if ok, allow := rt.allows(r.Method); !ok {
			w.Header().Set("Allow", allow)
			http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rt.serve(s, w, &request{Request: r, kind: kind, domain: domain})
	})
}

// isWebmailPath reports whether path is the webmail's.
func isWebmailPath(path string) bool {
	return path == "/webmail" || strings.HasPrefix(path, "/webmail/")
}

// PlainHandler is the plain-HTTP listener's handler (wrapped by the
// ACME HTTP-01 handler when ACME is on). It serves autoconfig, which has
// no secret in it, and redirects every other request of a known host to
// the same URL over HTTPS; nothing that carries a password or a session
// is ever answered over plain HTTP.
func (s *Site) PlainHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		kind, domain, err := s.classify(r.Context(), r.Host)
		if err != nil {
			if errors.Is(err, errUnknownHost) {
				notFound(w)
			} else {
				s.lookupFailed(w, err)
			}
			return
		}
		if strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
			// ACME is off, or the challenge is not ours (the ACME
			// handler answers its own before this one).
			notFound(w)
			return
		}
		if rt := findRoute(r.URL.Path, kind); rt != nil && rt.plain {
			if ok, allow := rt.allows(r.Method); !ok {
				w.Header().Set("Allow", allow)
				http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
				return
			}
			rt.serve(s, w, &request{Request: r, kind: kind, domain: domain})
			return
		}
		s.redirectToHTTPS(w, r)
	})
}

// redirectToHTTPS sends the client to the same URL over HTTPS: 301 for
// GET and HEAD, 308 otherwise so a POST stays a POST (RFC 9110 §15.4.9)
// and is not turned into a GET without its body. The body of a request
// is never read here.
func (s *Site) redirectToHTTPS(w http.ResponseWriter, r *http.Request) {
	host := canonicalHost(r.Host)
	if strings.Contains(host, ":") { // an IPv6 literal
		host = "[" + host + "]"
	}
	if p := s.o.HTTPSPort; p != 0 && p != 443 {
		host += ":" + strconv.Itoa(p)
	}
	code := http.StatusMovedPermanently
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		code = http.StatusPermanentRedirect
	}
	w.Header().Set("Location", "https://"+host+r.URL.RequestURI())
	w.WriteHeader(code)
}
