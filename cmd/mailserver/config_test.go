package main

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDurationText(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		text string
	}{
		{0, ""},
		{90 * time.Second, "1m30s"},
		{5 * time.Minute, "5m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{120 * time.Hour, "120h"},
		{1500 * time.Millisecond, "1.5s"},
	} {
		b, err := duration{tc.d}.MarshalText()
		if err != nil || string(b) != tc.text {
			t.Errorf("MarshalText(%v) = %q, %v; want %q", tc.d, b, err, tc.text)
		}
		var back duration
		if err := back.UnmarshalText(b); err != nil || back.Duration != tc.d {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back.Duration, err, tc.d)
		}
	}
	var d duration
	if err := d.UnmarshalText([]byte("5 minutes")); err == nil {
		t.Error("UnmarshalText accepted \"5 minutes\"")
	}
}

func TestDefaultConfigValid(t *testing.T) {
	cfg := defaultConfig()
	cfg.Hostname = "mail.example.test"
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
}

// TestValidateNamesKey: each bad value is reported with its key.
func TestValidateNamesKey(t *testing.T) {
	for _, tc := range []struct {
		toml string
		key  string
	}{
		{`log_level = "loud"`, "log_level"},
		{`domains = ["a@b"]`, "domains"},
		{`public_ips = ["mail.example.com"]`, "public_ips"},
		{`public_ips = ["192.168.1.10"]`, "public_ips"},
		{`public_ips = ["127.0.0.1"]`, "public_ips"},
		{`public_ips = ["fe80::1%eth0"]`, "public_ips"},
		{`public_ips = ["::ffff:192.0.2.10"]`, "public_ips"},
		{"[listen]\nsmtp = \"25\"", "listen.smtp"},
		{"[listen]\nimap = \":1143\"\nimaps = \":1143\"", "listen.imaps"},
		{"[tls]\ncert = \"c.pem\"", "tls"},
		{"[auth]\nguess_limit = 0", "auth.guess_limit"},
		{"[smtp]\ntrusted_networks = [\"10.0.0.1\"]", "smtp.trusted_networks"},
		{"[smtp]\nmax_line_length = 998", "smtp.max_line_length"},
		{"[smtp]\nread_timeout = \"\"", "smtp.read_timeout"},
		{"[delivery]\nremote_port = 0", "delivery.remote_port"},
		{"[delivery]\nrelay_tls = \"ssl\"", "delivery.relay_tls"},
		{"[delivery]\nretry_initial = \"2h\"", "delivery.retry_max"},
		{"[delivery]\nresolver = \"8.8.8.8\"", "delivery.resolver"},
		{"[imap]\nmax_connections_per_user = -1", "imap.max_connections_per_user"},
		{"[quota]\ndefault_max_bytes = -1", "quota.default_max_bytes"},
	} {
		cfg := defaultConfig()
		cfg.Hostname = "mail.example.test"
		if err := decodeConfig(tc.toml, &cfg); err != nil {
			t.Errorf("%q: decode: %v", tc.toml, err)
			continue
		}
		err := cfg.validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.key+":") {
			t.Errorf("%q: validate = %v, want an error naming %s", tc.toml, err, tc.key)
		}
	}
}

func TestDecodeRejectsUnknownAndBadTypes(t *testing.T) {
	for _, tc := range []struct{ toml, want string }{
		{"hostnme = \"x\"", "hostnme"},
		{"[smtp]\nmax_recipents = 3", "smtp.max_recipents"},
		{"[imapd]\nmax_connections = 3", "imapd"},
		{"[auth]\nguess_window = \"5 min\"", "5 min"},
		{"[smtp]\nmax_recipients = \"ten\"", "max_recipients"},
	} {
		cfg := defaultConfig()
		err := decodeConfig(tc.toml, &cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error naming %q", tc.toml, err, tc.want)
		}
	}
}

func TestParseArgsInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		pos   []string
		stdin bool
	}{
		{[]string{"a@x", "--password-stdin"}, []string{"a@x"}, true},
		{[]string{"--password-stdin", "a@x"}, []string{"a@x"}, true},
		{[]string{"a@x", "b@x"}, []string{"a@x", "b@x"}, false},
		{[]string{"--", "--password-stdin"}, []string{"--password-stdin"}, false},
		{[]string{"a@x", "--", "-b"}, []string{"a@x", "-b"}, false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		stdin := fs.Bool("password-stdin", false, "")
		pos, err := parseArgs(fs, "", tc.args)
		if err != nil || !reflect.DeepEqual(pos, tc.pos) || *stdin != tc.stdin {
			t.Errorf("%q: pos %q stdin %v err %v; want %q %v", tc.args, pos, *stdin, err, tc.pos, tc.stdin)
		}
	}
}

func TestSocketPathLimit(t *testing.T) {
	if err := checkSocketPath("/" + strings.Repeat("d", maxSocketPath-1)); err != nil {
		t.Errorf("path of %d bytes refused: %v", maxSocketPath, err)
	}
	err := checkSocketPath("/" + strings.Repeat("d", maxSocketPath))
	if err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Errorf("over-long path: %v, want an error pointing to data_dir", err)
	}
}
