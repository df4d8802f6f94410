package main

import (
	"net/url"
	"strings"

	"github.com/mailserver/mailserver/httpd/acme"
)

// validateACME checks the [tls] acme* keys.
func (c *Config) validateACME(bad func(key, format string, args ...any)) {
	t := c.TLS
	for _, n := range t.ACMENames {
		if !validSubdomain(n) {
			bad("tls.acme_names", "%q is not a DNS name under the domain (such as \"autoconfig\")", n)
		}
	}
	if u, err := url.Parse(t.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
		bad("tls.acme_directory", "%q is not an https:// URL", t.ACMEDirectory)
	}
	if !t.ACME {
		return
	}
	if t.Cert != "" {
		bad("tls.acme", "set acme = true or cert and key, not both")
	}
	if !strings.Contains(t.ACMEEmail, "@") {
		bad("tls.acme_email", "required with acme = true: the address the CA may write to about the account (%q)", t.ACMEEmail)
	}
	if c.Listen.HTTP == "" && c.Listen.HTTPS == "" {
		bad("tls.acme", "needs [listen] http (HTTP-01 on port 80) or https (TLS-ALPN-01 on port 443)")
	}
	if !acme.Qualifies(c.Hostname) {
		bad("tls.acme", "hostname %q cannot get a certificate from a CA: set hostname to the server's DNS name", c.Hostname)
	}
}

// validSubdomain reports whether s is one or more DNS labels (RFC 1035
// §2.3.1, letters, digits and inner hyphens).
func validSubdomain(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
