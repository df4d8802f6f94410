package main

import (
	"net"
	"net/http"

	"github.com/mailserver/mailserver/httpd"
)

// httpListeners returns the web front for [listen] http (port 80) and
// https (443, implicit TLS). Plain HTTP answers ACME HTTP-01 challenges
// and otherwise redirects to HTTPS; nothing with a password or a session
// goes over it.
func httpListeners(e *env) ([]listenerSpec, error) {
	var plain http.Handler = http.HandlerFunc(redirectToHTTPS)
	if e.acmeHTTP != nil {
		plain = e.acmeHTTP(plain)
	}
	log := e.log.With("service", "http")
	web := httpd.NewServer(plain, httpd.ServerOptions{Logger: log})
	secure := httpd.NewServer(http.NotFoundHandler(), httpd.ServerOptions{TLSConfig: e.tls, Logger: log})
	return []listenerSpec{e.listener("http", web), e.listener("https", secure)}, nil
}

// redirectToHTTPS sends the client to the same path over HTTPS.
func redirectToHTTPS(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
}
