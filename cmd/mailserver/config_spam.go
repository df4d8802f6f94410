package main

import (
	"net/http"
	"net/url"
	"time"

	"github.com/mailserver/mailserver/smtpd"
	"github.com/mailserver/mailserver/smtpd/rspamd"
)

// SpamConfig is [spam]: rspamd as the filter of received mail, learning
// from what users move in and out of Junk, and DNS blocklists (which need
// no rspamd).
type SpamConfig struct {
	// RspamdURL is rspamd's normal worker ("http://127.0.0.1:11333");
	// "" turns scanning off.
	RspamdURL string `toml:"rspamd_url"`
	// RspamdControllerURL is rspamd's controller, which learns; ""
	// turns learning off.
	RspamdControllerURL string   `toml:"rspamd_controller_url"`
	RspamdPassword      string   `toml:"rspamd_password"` // the controller's (enable_)password
	RspamdTimeout       duration `toml:"rspamd_timeout"`  // one scan or learn request
	// OnError is what happens to mail rspamd could not scan: "accept"
	// (delivered, marked unscanned) or "tempfail" (451 4.7.1).
	OnError        string `toml:"on_error"`
	ScanSubmission bool   `toml:"scan_submission"` // scan authenticated/trusted mail too
	// DNSBL lists DNS blocklists in postscreen syntax
	// ("zen.spamhaus.org*2", "bl.example=127.0.0.[2..11]").
	DNSBL          []string `toml:"dnsbl"`
	DNSBLThreshold int      `toml:"dnsbl_threshold"` // total weight that refuses
}

// spamDefaults: everything off until rspamd_url or dnsbl is set.
func spamDefaults() SpamConfig {
	return SpamConfig{
		RspamdControllerURL: "http://127.0.0.1:11334",
		RspamdTimeout:       duration{rspamd.DefaultTimeout},
		OnError:             smtpd.SpamAccept.String(),
		DNSBL:               []string{},
		DNSBLThreshold:      1,
	}
}

func (c SpamConfig) validate(bad func(key, format string, args ...any)) {
	for _, k := range []struct{ key, v string }{
		{"spam.rspamd_url", c.RspamdURL}, {"spam.rspamd_controller_url", c.RspamdControllerURL},
	} {
		if k.v == "" {
			continue
		}
		if u, err := url.Parse(k.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(k.key, "%q is not an http:// URL like \"http://127.0.0.1:11333\"", k.v)
		}
	}
	if c.RspamdTimeout.Duration <= 0 {
		bad("spam.rspamd_timeout", "must be a positive duration like \"15s\"")
	}
	if _, err := smtpd.ParseSpamOnError(c.OnError); err != nil {
		bad("spam.on_error", "%q: %v", c.OnError, err)
	}
	for _, s := range c.DNSBL {
		if _, err := smtpd.ParseDNSBL(s); err != nil {
			bad("spam.dnsbl", "%v", err)
		}
	}
	if c.DNSBLThreshold <= 0 {
		bad("spam.dnsbl_threshold", "must be positive, not %d", c.DNSBLThreshold)
	}
}

// smtpOptions are smtpd's spam and blocklist options for these settings
// (validated already): nil where off.
func (c SpamConfig) smtpOptions(onResult func(string, time.Duration, error)) (*smtpd.SpamOptions, *smtpd.DNSBLOptions) {
	var spam *smtpd.SpamOptions
	if c.RspamdURL != "" {
		onError, _ := smtpd.ParseSpamOnError(c.OnError)
		spam = &smtpd.SpamOptions{
			Scanner:    &rspamd.Client{ScanURL: c.RspamdURL, Timeout: c.RspamdTimeout.Duration, HTTP: rspamdHTTPClient()},
			OnError:    onError,
			Submission: c.ScanSubmission,
			OnResult:   onResult,
		}
	}
	var bl *smtpd.DNSBLOptions
	if len(c.DNSBL) > 0 {
		bl = &smtpd.DNSBLOptions{Threshold: c.DNSBLThreshold}
		for _, s := range c.DNSBL {
			l, _ := smtpd.ParseDNSBL(s)
			bl.Lists = append(bl.Lists, l)
		}
	}
	return spam, bl
}

// rspamdHTTPClient keeps connections to rspamd open for reuse: as many
// idle ones as SMTP sessions may scan at once (net/http's default keeps
// 2 per host, so a busy port 25 would reconnect for most messages).
func rspamdHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil, // rspamd is local; never through $HTTP_PROXY
		MaxIdleConnsPerHost: smtpd.DefaultMaxConnections,
		IdleConnTimeout:     90 * time.Second,
	}}
}
