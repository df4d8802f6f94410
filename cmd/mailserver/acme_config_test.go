package main

import (
	"strings"
	"testing"
)

// TestValidateACME: each bad [tls] acme* setting is reported with its key;
// a complete one passes.
func TestValidateACME(t *testing.T) {
	const on = "[tls]\nacme = true\nacme_email = \"postmaster@example.test\"\n"
	for _, tc := range []struct {
		hostname, toml, key string
	}{
		{"mail.example.test", "[tls]\nacme = true", "tls.acme_email"},
		{"mail.example.test", on + "cert = \"c.pem\"\nkey = \"k.pem\"", "tls.acme"},
		{"mail.example.test", on + "acme_directory = \"http://ca.example/dir\"", "tls.acme_directory"},
		{"mail.example.test", on + "acme_names = [\"auto config\"]", "tls.acme_names"},
		{"mail.example.test", on + "acme_names = [\"-x\"]", "tls.acme_names"},
		{"mail.example.test", on + "acme_names = [\"\"]", "tls.acme_names"},
		{"localhost", on, "tls.acme"},
		{"192.0.2.1", on, "tls.acme"},
		{"mail.example.test", "[listen]\nhttp = \"\"\nhttps = \"\"\n" + on, "tls.acme"},
	} {
		cfg := defaultConfig()
		cfg.Hostname = tc.hostname
		if err := decodeConfig(tc.toml, &cfg); err != nil {
			t.Errorf("%q: decode: %v", tc.toml, err)
			continue
		}
		err := cfg.validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.key+":") {
			t.Errorf("%s %q: validate = %v, want an error naming %s", tc.hostname, tc.toml, err, tc.key)
		}
	}
	cfg := defaultConfig()
	cfg.Hostname = "mail.example.test"
	if err := decodeConfig(on+"acme_names = [\"autoconfig\", \"mail.sub\"]\n[listen]\nhttps = \"\"", &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatalf("valid ACME config: %v", err)
	}
}
