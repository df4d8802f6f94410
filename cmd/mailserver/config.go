package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mailserver/mailserver/httpd"
	"github.com/mailserver/mailserver/httpd/acme"
	"github.com/mailserver/mailserver/imapd"
	"github.com/mailserver/mailserver/pop3d"
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/queue/dnscache"
	"github.com/mailserver/mailserver/smtpd"
	"github.com/mailserver/mailserver/store"
	"github.com/mailserver/mailserver/store/authlimit"
)

// Config is the whole configuration. Every key has a default
// (defaultConfig), so an empty or absent file is a working setup. The TOML
// key of each field is its toml tag; README.md documents them all.
type Config struct {
	Hostname string   `toml:"hostname"`  // name in greetings and the self-signed certificate; default os.Hostname()
	DataDir  string   `toml:"data_dir"`  // database, certificate and admin socket; relative to the working directory
	Domains  []string `toml:"domains"`   // local domains, added to the store at every start
	LogLevel string   `toml:"log_level"` // debug, info, warn or error
	// Postmaster receives postmaster@ and abuse@ of every local domain
	// (RFC 5321 §4.5.1, RFC 2142) unless a user or alias has that exact
	// address; "" means the first user created.
	Postmaster string `toml:"postmaster"`
	// PublicIPs are the addresses the internet reaches this server at
	// (and that it sends from): they go into the SPF record, the A/AAAA
	// records of hostname and the reverse DNS that "mailserver dns"
	// prints and checks (dns_cmd.go).
	PublicIPs []string `toml:"public_ips"`

	Listen   ListenConfig   `toml:"listen"`
	TLS      TLSConfig      `toml:"tls"`
	Auth     AuthConfig     `toml:"auth"`
	SMTP     SMTPConfig     `toml:"smtp"`
	Delivery DeliveryConfig `toml:"delivery"`
	DNS      DNSConfig      `toml:"dns"`
	Inbound  InboundConfig  `toml:"inbound"`
	POP3     POP3Config     `toml:"pop3"`
	IMAP     IMAPConfig     `toml:"imap"`
	Quota    QuotaConfig    `toml:"quota"`
	MTASTS   MTASTSConfig   `toml:"mta_sts"`
	Backup   BackupConfig   `toml:"backup"`
	Spam     SpamConfig     `toml:"spam"`  // config_spam.go
	Sieve    SieveConfig    `toml:"sieve"` // config_sieve.go
}

// ListenConfig holds one address per listener; "" turns it off.
type ListenConfig struct {
	SMTP        string `toml:"smtp"`        // MX traffic, STARTTLS
	Submission  string `toml:"submission"`  // clients, STARTTLS
	Submissions string `toml:"submissions"` // clients, implicit TLS (RFC 8314)
	POP3        string `toml:"pop3"`        // STARTTLS (STLS)
	POP3S       string `toml:"pop3s"`       // implicit TLS
	IMAP        string `toml:"imap"`        // STARTTLS
	IMAPS       string `toml:"imaps"`       // implicit TLS
	HTTP        string `toml:"http"`        // ACME HTTP-01, autoconfig, redirect to https
	HTTPS       string `toml:"https"`       // implicit TLS: autoconfig, MTA-STS policy
	Metrics     string `toml:"metrics"`     // Prometheus /metrics and /healthz; loopback by default
}

// listenEntry is one [listen] key with its address and TLS mode.
type listenEntry struct {
	key         string // the key under [listen]
	addr        string
	implicitTLS bool
	protocol    string // for messages and the README ports table
}

// entries lists every [listen] key, in file order.
func (l ListenConfig) entries() []listenEntry {
	return []listenEntry{
		{"smtp", l.SMTP, false, "SMTP"},
		{"submission", l.Submission, false, "SMTP submission"},
		{"submissions", l.Submissions, true, "SMTP submission"},
		{"pop3", l.POP3, false, "POP3"},
		{"pop3s", l.POP3S, true, "POP3"},
		{"imap", l.IMAP, false, "IMAP"},
		{"imaps", l.IMAPS, true, "IMAP"},
		{"http", l.HTTP, false, "HTTP"},
		{"https", l.HTTPS, true, "HTTPS"},
		{"metrics", l.Metrics, false, "HTTP (metrics)"},
	}
}

// TLSConfig names a certificate and key in PEM files, or turns on ACME
// (certs.go). When neither is set a self-signed certificate is generated
// into the data directory.
type TLSConfig struct {
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// ACME obtains certificates for the hostname and ACMENames under
	// each local domain from ACMEDirectory (RFC 8555).
	ACME          bool     `toml:"acme"`
	ACMEEmail     string   `toml:"acme_email"`
	ACMEDirectory string   `toml:"acme_directory"`
	ACMENames     []string `toml:"acme_names"` // subdomains of each local domain
	// ACMEDirectoryCA is a PEM file of CAs trusted, besides the system's,
	// for the ACME directory's HTTPS (a private CA, Pebble).
	ACMEDirectoryCA string `toml:"acme_directory_ca"`
}

// AuthConfig governs logins on every protocol.
type AuthConfig struct {
	// AllowPlaintextOnLoopback permits AUTH/LOGIN without TLS from 127.0.0.0/8
	// and ::1 (useful for local scripts and tests); elsewhere TLS is required.
	AllowPlaintextOnLoopback bool `toml:"allow_plaintext_on_loopback"`
	// LoginDelays[n] is how long after a client network's last failed
	// login the next attempt from a network with n distinct recent
	// failures waits before it is checked (the last entry applies to
	// every larger n), like Dovecot's auth penalty; a success clears it.
	LoginDelays []delay `toml:"login_delays"`
	// GuessLimit distinct failures from one network within GuessWindow
	// are a guessing run, refused outright until it drains.
	GuessLimit  int      `toml:"guess_limit"`
	GuessWindow duration `toml:"guess_window"`
	// HashSlots bounds concurrent password hash checks (argon2id, 19 MiB
	// each); 0 = one per core.
	HashSlots int `toml:"hash_slots"`
	// DefaultDomain completes a login name given without "@domain"
	// ("alice" logs in as alice@DefaultDomain), like Dovecot's
	// auth_default_realm. Empty: logins need the full address.
	DefaultDomain string `toml:"default_domain"`
}

// SMTPConfig governs the SMTP listeners (smtp, submission, submissions).
type SMTPConfig struct {
	MaxMessageBytes     int64    `toml:"max_message_bytes"`      // SIZE limit
	MaxRecipients       int      `toml:"max_recipients"`         // RCPT TO per message
	TrustedNetworks     []string `toml:"trusted_networks"`       // CIDRs that may relay without AUTH
	MaxConnections      int      `toml:"max_connections"`        // over all SMTP listeners
	MaxConnectionsPerIP int      `toml:"max_connections_per_ip"` // per client IP
	ReadTimeout         duration `toml:"read_timeout"`           // idle time between commands
	DataTimeout         duration `toml:"data_timeout"`           // whole DATA transfer
	MaxLineLength       int      `toml:"max_line_length"`        // RFC 5321 §4.5.3.1.6 requires at least 1000
}

// DNSConfig governs the caching resolver (package queue/dnscache) that
// outbound delivery (MX, A/AAAA) and inbound checks (SPF, DKIM, DMARC)
// share.
type DNSConfig struct {
	Resolver       string   `toml:"resolver"`         // recursive DNS server host:port; "" = /etc/resolv.conf
	MinTTL         duration `toml:"min_ttl"`          // answers are kept at least this long
	MaxTTL         duration `toml:"max_ttl"`          // and at most this long
	NegativeMaxTTL duration `toml:"negative_max_ttl"` // NXDOMAIN/NODATA at most this long (RFC 2308 §5)
	MaxEntries     int      `toml:"max_entries"`      // answers kept; least recently used go first
}

// DeliveryConfig governs the outbound queue.
type DeliveryConfig struct {
	Resolver             string   `toml:"resolver"`               // old name of [dns] resolver, still read
	RemotePort           int      `toml:"remote_port"`            // port dialled on MX hosts (tests move it)
	Concurrency          int      `toml:"concurrency"`            // deliveries in flight
	PerDomainConcurrency int      `toml:"per_domain_concurrency"` // to one destination domain
	RetryInitial         duration `toml:"retry_initial"`          // first retry delay
	RetryMax             duration `toml:"retry_max"`              // backoff cap
	Lifetime             duration `toml:"lifetime"`               // then bounce (RFC 5321 §4.5.4.1: 4-5 days)
	DelayWarning         duration `toml:"delay_warning"`          // "delayed" DSN after this; "" = off
	RelayHost            string   `toml:"relay_host"`             // smarthost host or host:port; "" = direct MX delivery
	RelayUsername        string   `toml:"relay_username"`
	RelayPassword        string   `toml:"relay_password"`
	RelayTLS             string   `toml:"relay_tls"`   // "starttls" or "implicit"
	RequireTLS           bool     `toml:"require_tls"` // never deliver without TLS
}

// InboundConfig is the authentication of mail arriving on port 25 (not
// submission, not trusted_networks): SPF, DKIM and DMARC, reported in an
// Authentication-Results field, and what to do with failures.
type InboundConfig struct {
	Verify          bool `toml:"verify"`           // check SPF, DKIM and DMARC
	DMARCReject     bool `toml:"dmarc_reject"`     // p=reject failing → 550 5.7.1
	DMARCQuarantine bool `toml:"dmarc_quarantine"` // p=quarantine failing → Junk
	SPFFailReject   bool `toml:"spf_fail_reject"`  // SPF fail, no aligned DKIM pass → 550 5.7.23
	TempErrorDefer  bool `toml:"temperror_defer"`  // DNS temporary failure → 451 4.7.x
}

// policy is the smtpd policy these settings make.
func (c InboundConfig) policy() smtpd.InboundPolicy {
	return smtpd.InboundPolicy{RejectDMARC: c.DMARCReject, QuarantineDMARC: c.DMARCQuarantine,
		RejectSPFFail: c.SPFFailReject, DeferTempError: c.TempErrorDefer}
}

// inboundDefaults are smtpd's default policy, with verification on.
func inboundDefaults() InboundConfig {
	p := smtpd.DefaultInboundPolicy()
	return InboundConfig{Verify: true, DMARCReject: p.RejectDMARC, DMARCQuarantine: p.QuarantineDMARC,
		SPFFailReject: p.RejectSPFFail, TempErrorDefer: p.DeferTempError}
}

// POP3Config governs the pop3 and pop3s listeners.
type POP3Config struct {
	MaxConnections int `toml:"max_connections"`
}

// IMAPConfig governs the imap and imaps listeners.
type IMAPConfig struct {
	MaxConnections        int `toml:"max_connections"`
	MaxConnectionsPerUser int `toml:"max_connections_per_user"`
}

// MTASTSConfig is the MTA-STS policy (RFC 8461) that the https listener
// serves at mta-sts.DOMAIN and whose id "dns records" prints.
type MTASTSConfig struct {
	Mode   string   `toml:"mode"`    // "testing", "enforce" or "none"
	MX     []string `toml:"mx"`      // MX names besides hostname
	MaxAge int      `toml:"max_age"` // seconds senders keep the policy
}

// QuotaConfig is the default quota of users without their own; 0 = unlimited.
type QuotaConfig struct {
	DefaultMaxBytes    int64 `toml:"default_max_bytes"`
	DefaultMaxMessages int64 `toml:"default_max_messages"`
}

// BackupConfig makes the server take backups by itself (serve_backup.go).
type BackupConfig struct {
	Dir      string   `toml:"dir"`      // "" = no scheduled backups
	Interval duration `toml:"interval"` // between backups
	Keep     int      `toml:"keep"`     // newest backups kept in dir; older ones are deleted
}

// defaultConfig returns the embedded defaults. Hostname is filled in by
// loadConfig, because asking the OS can fail. Where a package has a
// default for a setting, it is that package's exported constant: one
// source for each default.
func defaultConfig() Config {
	return Config{
		DataDir:   "./data",
		Domains:   []string{},
		LogLevel:  "info",
		PublicIPs: []string{},
		Listen: ListenConfig{
			SMTP:        ":25",
			Submission:  ":587",
			Submissions: ":465",
			POP3:        ":110",
			POP3S:       ":995",
			IMAP:        ":143",
			IMAPS:       ":993",
			HTTP:        ":80",
			HTTPS:       ":443",
			Metrics:     defaultMetricsAddr,
		},
		TLS: TLSConfig{
			ACMEDirectory: acme.LetsEncrypt,
			ACMENames:     acme.DefaultSubdomains(),
		},
		Auth: AuthConfig{
			AllowPlaintextOnLoopback: true,
			LoginDelays:              durations(authlimit.DefaultDelays()),
			GuessLimit:               authlimit.DefaultGuessLimit,
			GuessWindow:              duration{authlimit.DefaultGuessWindow},
		},
		SMTP: SMTPConfig{
			MaxMessageBytes:     smtpd.DefaultMaxMessageBytes,
			MaxRecipients:       smtpd.DefaultMaxRecipients,
			TrustedNetworks:     []string{},
			MaxConnections:      smtpd.DefaultMaxConnections,
			MaxConnectionsPerIP: smtpd.DefaultMaxConnectionsPerIP,
			ReadTimeout:         duration{smtpd.DefaultReadTimeout},
			DataTimeout:         duration{smtpd.DefaultDataTimeout},
			MaxLineLength:       smtpd.DefaultMaxLineLength,
		},
		// The queue's constants cite their sources (Postfix's numbers).
		Delivery: DeliveryConfig{
			RemotePort:           queue.DefaultRemotePort,
			Concurrency:          queue.DefaultConcurrency,
			PerDomainConcurrency: queue.DefaultPerDomainConcurrency,
			RetryInitial:         duration{queue.DefaultRetryInitial},
			RetryMax:             duration{queue.DefaultRetryMax},
			Lifetime:             duration{queue.DefaultLifetime},
			DelayWarning:         duration{queue.DefaultDelayWarning},
			RelayTLS:             "starttls",
		},
		DNS: DNSConfig{
			MinTTL:         duration{dnscache.DefaultMinTTL},
			MaxTTL:         duration{dnscache.DefaultMaxTTL},
			NegativeMaxTTL: duration{dnscache.DefaultNegativeMaxTTL},
			MaxEntries:     dnscache.DefaultMaxEntries,
		},
		Inbound: inboundDefaults(),
		POP3:    POP3Config{MaxConnections: pop3d.DefaultMaxConnections},
		MTASTS:  MTASTSConfig{Mode: httpd.DefaultMTASTSMode, MX: []string{}, MaxAge: httpd.DefaultMTASTSMaxAge},
		IMAP: IMAPConfig{
			MaxConnections:        imapd.DefaultMaxConnections,
			MaxConnectionsPerUser: imapd.DefaultMaxConnectionsPerUser,
		},
		Backup: BackupConfig{Interval: duration{defaultBackupInterval}, Keep: defaultBackupKeep},
		Spam:   spamDefaults(),
		Sieve:  sieveDefaults(),
	}
}

// configPath picks the file to read: the --config flag, else
// $MAILSERVER_CONFIG, else ./mailserver.toml if it exists. explicit reports
// whether the file was asked for (and so must exist).
func configPath(flagValue string, getenv func(string) string) (path string, explicit bool) {
	if flagValue != "" {
		return flagValue, true
	}
	if p := getenv("MAILSERVER_CONFIG"); p != "" {
		return p, true
	}
	return "mailserver.toml", false
}

// loadConfig reads the configuration over the defaults and validates it.
// A missing implicit ./mailserver.toml is not an error.
func loadConfig(path string, explicit bool) (*Config, error) {
	cfg := defaultConfig()
	source := "embedded defaults"
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		source = path
		if err := decodeConfig(string(data), &cfg); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// Embedded defaults only.
	default:
		return nil, fmt.Errorf("read config: %w", err)
	}
	if cfg.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("hostname is not set in the config and the OS does not know it: %w", err)
		}
		cfg.Hostname = h
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", source, err)
	}
	return &cfg, nil
}

// decodeConfig decodes TOML text into cfg, rejecting keys that cfg does not
// have: a misspelt key silently falling back to its default is worse than
// an error.
func decodeConfig(text string, cfg *Config) error {
	md, err := toml.Decode(text, cfg)
	if err != nil {
		return err
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("unknown key %s", strings.Join(keys, ", "))
	}
	return nil
}

// validate checks every value; the error names the key.
func (c *Config) validate() error {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	if strings.ContainsAny(c.Hostname, " \t\r\n@/") {
		bad("hostname", "%q is not a host name", c.Hostname)
	}
	if c.DataDir == "" {
		bad("data_dir", "must not be empty")
	}
	for _, d := range c.Domains {
		if d == "" || strings.ContainsAny(d, " \t\r\n@/") {
			bad("domains", "%q is not a domain name", d)
		}
	}
	if _, err := parseLogLevel(c.LogLevel); err != nil {
		bad("log_level", "%v", err)
	}
	if c.Postmaster != "" {
		if at := strings.LastIndexByte(c.Postmaster, '@'); at <= 0 || at == len(c.Postmaster)-1 || strings.ContainsAny(c.Postmaster, " \t\r\n<>") {
			bad("postmaster", "%q is not an address like \"admin@example.com\"", c.Postmaster)
		}
	}

	for _, ip := range c.PublicIPs {
		if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" || a.Is4In6() {
			bad("public_ips", "%q is not an IPv4 or IPv6 address like \"192.0.2.10\"", ip)
		} else if !a.IsGlobalUnicast() || a.IsPrivate() {
			bad("public_ips", "%s is not a public address (loopback, private, link-local and multicast cannot be reached from the internet)", ip)
		}
	}

	seen := map[string]string{}
	for _, e := range c.Listen.entries() {
		if e.addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(e.addr); err != nil {
			bad("listen."+e.key, "%q is not host:port: %v", e.addr, err)
		} else if port == "" {
			bad("listen."+e.key, "%q has no port", e.addr)
		} else if other, dup := seen[e.addr]; dup && port != "0" {
			bad("listen."+e.key, "%q is also listen.%s", e.addr, other)
		}
		seen[e.addr] = e.key
	}

	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		bad("tls", "set both cert and key, or neither for a self-signed certificate")
	}
	c.validateACME(bad)

	positive := func(key string, v int64) {
		if v <= 0 {
			bad(key, "must be positive, not %d", v)
		}
	}
	positiveDuration := func(key string, d duration) {
		if d.Duration <= 0 {
			bad(key, "must be a positive duration like \"5m\"")
		}
	}
	if len(c.Auth.LoginDelays) == 0 {
		bad("auth.login_delays", "needs at least one entry (\"0s\" for no delay)")
	}
	positive("auth.guess_limit", int64(c.Auth.GuessLimit))
	positiveDuration("auth.guess_window", c.Auth.GuessWindow)
	if c.Auth.HashSlots < 0 {
		bad("auth.hash_slots", "%d is negative (0 = one per core)", c.Auth.HashSlots)
	}

	positive("smtp.max_message_bytes", c.SMTP.MaxMessageBytes)
	positive("smtp.max_recipients", int64(c.SMTP.MaxRecipients))
	positive("smtp.max_connections", int64(c.SMTP.MaxConnections))
	positive("smtp.max_connections_per_ip", int64(c.SMTP.MaxConnectionsPerIP))
	positiveDuration("smtp.read_timeout", c.SMTP.ReadTimeout)
	positiveDuration("smtp.data_timeout", c.SMTP.DataTimeout)
	if c.SMTP.MaxLineLength < 1000 {
		// RFC 5321 §4.5.3.1.6: text lines up to 1000 octets must be accepted.
		bad("smtp.max_line_length", "must be at least 1000 (RFC 5321 §4.5.3.1.6), not %d", c.SMTP.MaxLineLength)
	}
	for _, n := range c.SMTP.TrustedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			bad("smtp.trusted_networks", "%q is not a CIDR like \"192.0.2.0/24\"", n)
		}
	}

	d := &c.Delivery
	if d.Resolver != "" {
		if _, _, err := net.SplitHostPort(d.Resolver); err != nil {
			bad("delivery.resolver", "%q is not host:port", d.Resolver)
		}
	}
	// [delivery] resolver is the old name of [dns] resolver (inbound
	// checks use the resolver too now): either may be set, or both alike.
	switch dn := &c.DNS; {
	case dn.Resolver == "":
		dn.Resolver = d.Resolver
	case d.Resolver != "" && d.Resolver != dn.Resolver:
		bad("delivery.resolver", "%q differs from dns.resolver %q; set only dns.resolver", d.Resolver, dn.Resolver)
	}
	if r := c.DNS.Resolver; r != "" {
		if _, _, err := net.SplitHostPort(r); err != nil {
			bad("dns.resolver", "%q is not host:port", r)
		}
	}
	if c.DNS.MinTTL.Duration < 0 {
		bad("dns.min_ttl", "must not be negative")
	}
	if c.DNS.MaxTTL.Duration <= 0 || c.DNS.MaxTTL.Duration < c.DNS.MinTTL.Duration {
		bad("dns.max_ttl", "must be positive and at least dns.min_ttl")
	}
	if c.DNS.NegativeMaxTTL.Duration <= 0 {
		bad("dns.negative_max_ttl", "must be positive")
	}
	positive("dns.max_entries", int64(c.DNS.MaxEntries))
	if d.RemotePort < 1 || d.RemotePort > 65535 {
		bad("delivery.remote_port", "%d is not a port", d.RemotePort)
	}
	positive("delivery.concurrency", int64(d.Concurrency))
	positive("delivery.per_domain_concurrency", int64(d.PerDomainConcurrency))
	positiveDuration("delivery.retry_initial", d.RetryInitial)
	positiveDuration("delivery.retry_max", d.RetryMax)
	positiveDuration("delivery.lifetime", d.Lifetime)
	if d.RetryMax.Duration < d.RetryInitial.Duration {
		bad("delivery.retry_max", "must not be less than retry_initial")
	}
	if d.DelayWarning.Duration < 0 {
		bad("delivery.delay_warning", "must not be negative")
	}
	if strings.ContainsAny(d.RelayHost, " \t\r\n/@") {
		bad("delivery.relay_host", "%q is not host or host:port", d.RelayHost)
	}
	if d.RelayTLS != "starttls" && d.RelayTLS != "implicit" {
		bad("delivery.relay_tls", "must be \"starttls\" or \"implicit\", not %q", d.RelayTLS)
	}
	if d.RelayUsername != "" && d.RelayHost == "" {
		bad("delivery.relay_username", "set without relay_host")
	}

	positive("pop3.max_connections", int64(c.POP3.MaxConnections))
	positive("imap.max_connections", int64(c.IMAP.MaxConnections))
	positive("imap.max_connections_per_user", int64(c.IMAP.MaxConnectionsPerUser))
	if c.Quota.DefaultMaxBytes < 0 {
		bad("quota.default_max_bytes", "must not be negative")
	}
	if c.Quota.DefaultMaxMessages < 0 {
		bad("quota.default_max_messages", "must not be negative")
	}
	if !httpd.ValidMTASTSMode(c.MTASTS.Mode) {
		bad("mta_sts.mode", "must be \"testing\", \"enforce\" or \"none\", not %q", c.MTASTS.Mode)
	}
	for _, mx := range c.MTASTS.MX {
		// RFC 8461 §3.2: a host name, or "*." and one more label's worth.
		if name := strings.TrimPrefix(mx, "*."); name == "" || strings.ContainsAny(name, " \t\r\n@/:*;") || !strings.Contains(name, ".") {
			bad("mta_sts.mx", "%q is not an MX host name like \"mx2.example.com\" or \"*.example.net\"", mx)
		}
	}
	if c.MTASTS.MaxAge <= 0 || c.MTASTS.MaxAge > httpd.MaxMTASTSMaxAge {
		bad("mta_sts.max_age", "must be 1 to %d seconds (RFC 8461 §3.2), not %d", httpd.MaxMTASTSMaxAge, c.MTASTS.MaxAge)
	}

	positiveDuration("backup.interval", c.Backup.Interval)
	positive("backup.keep", int64(c.Backup.Keep))
	c.Spam.validate(bad)
	c.Sieve.validate(bad)
	if len(problems) > 0 {
		// One line, so the CLI's one-line error rule holds.
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// parseLogLevel maps log_level to a slog.Level.
func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not debug, info, warn or error", s)
}

// duration is a time.Duration written in the config as a string that
// time.ParseDuration accepts ("5m", "120h"); "" is zero.
type duration struct{ time.Duration }

// delay is a duration where zero means no wait, not "off": it is
// written "0s".
type delay struct{ duration }

func (d delay) MarshalText() ([]byte, error) {
	if d.Duration == 0 {
		return []byte("0s"), nil
	}
	return d.duration.MarshalText()
}

// durations wraps ds for the config.
func durations(ds []time.Duration) []delay {
	out := make([]delay, len(ds))
	for i, d := range ds {
		out[i] = delay{duration{d}}
	}
	return out
}

// unwrapDurations is the inverse of durations.
func unwrapDurations(ds []delay) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Duration
	}
	return out
}

func (d *duration) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q (examples: \"90s\", \"5m\", \"120h\")", text)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the shortest form: "5m", not time.Duration's "5m0s".
func (d duration) MarshalText() ([]byte, error) {
	if d.Duration == 0 {
		return []byte{}, nil
	}
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return []byte(s), nil
}

// logPostmaster reports at start-up where postmaster@ and abuse@ mail goes
// (RFC 5321 §4.5.1: every SMTP server MUST accept it), with a warning when
// nowhere: no postmaster in the config and no user yet.
func logPostmaster(ctx context.Context, st *store.Store, log *slog.Logger) {
	pm, err := st.Postmaster(ctx)
	switch {
	case err != nil:
		log.Warn("cannot tell who receives postmaster mail", "err", err)
	case pm == "":
		log.Warn("no postmaster: mail to postmaster@ and abuse@ of the local domains has nowhere to go; " +
			"set postmaster in the config, or add a user (the first user created is the postmaster)")
	default:
		log.Info("postmaster", "address", pm)
	}
}
