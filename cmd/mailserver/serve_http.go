package main

import (
	"net"
	"strconv"

	"github.com/mailserver/mailserver/httpd"
)

// httpListeners returns the web front (package httpd) for [listen] http
// (port 80) and https (443, implicit TLS). Plain HTTP answers ACME
// HTTP-01 challenges (through env.acmeHTTP when ACME is on) and
// Thunderbird's autoconfig, and redirects everything else to HTTPS;
// nothing with a password or a session goes over it.
func httpListeners(e *env) ([]listenerSpec, error) {
	wm, err := newWebmail(e) // serve_webmail.go
	if err != nil {
		return nil, err
	}
	opts := siteOptions(e)
	opts.Webmail = wm
	site := httpd.NewSite(opts)
	plain := site.PlainHandler()
	if e.acmeHTTP != nil {
		plain = e.acmeHTTP(plain)
	}
	log := e.log.With("service", "http")
	web := httpd.NewServer(plain, httpd.ServerOptions{Logger: log})
	secure := httpd.NewServer(site.SecureHandler(), httpd.ServerOptions{TLSConfig: e.tls, Logger: log})
	return []listenerSpec{e.listener("http", web), e.listener("https", webmailServer{secure, wm})}, nil
}

// siteOptions are the web front's settings from the config: the mail
// listeners that are on, at the ports "dns records" publishes in its SRV
// records, and the one MTA-STS policy text (dns_records.go).
func siteOptions(e *env) httpd.SiteOptions {
	port := map[string]int{}
	for _, s := range srvServices(e.cfg.Listen) {
		if s.listen != "" {
			port[s.name] = int(s.srvPort())
		}
	}
	return httpd.SiteOptions{
		Hostname: e.cfg.Hostname,
		Domains:  e.store,
		Ports: httpd.Ports{
			IMAPS: port["imaps"], IMAP: port["imap"],
			POP3S: port["pop3s"], POP3: port["pop3"],
			Submissions: port["submissions"], Submission: port["submission"],
		},
		HTTPSPort:    httpsPort(e.cfg.Listen.HTTPS),
		MTASTSPolicy: mtaSTSPolicy(e.cfg),
		TrustedCert:  e.trustedCert,
		Logger:       e.log.With("service", "http"),
	}
}

// httpsPort is the port plain HTTP redirects to: the configured one, or
// 443 when it is off or ephemeral.
func httpsPort(listen string) int {
	_, p, err := net.SplitHostPort(listen)
	if err != nil {
		return 443
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return 443
	}
	return n
}
