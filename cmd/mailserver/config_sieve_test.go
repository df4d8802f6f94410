package main

import (
	"strings"
	"testing"

	"github.com/mailserver/mailserver/queue/sieve"
)

// TestSieveConfig: [sieve] limits reach the queue's options, defaults are
// the sieve package's, and a limit that is not positive is refused with
// its key.
func TestSieveConfig(t *testing.T) {
	cfg := defaultConfig()
	if l := cfg.Sieve.limits(); l.MaxActions != sieve.DefaultMaxActions || l.MaxRedirects != sieve.DefaultMaxRedirects || l.MaxNesting != sieve.DefaultMaxNesting {
		t.Fatalf("default limits %+v", l)
	}
	if err := decodeConfig("[sieve]\nmax_actions = 7\nmax_redirects = 2\nmax_nesting = 5", &cfg); err != nil {
		t.Fatal(err)
	}
	if l := cfg.Sieve.queueSieve(nil).Limits; l.MaxActions != 7 || l.MaxRedirects != 2 || l.MaxNesting != 5 {
		t.Fatalf("limits %+v", l)
	}
	for _, key := range []string{"max_actions", "max_redirects", "max_nesting"} {
		cfg := defaultConfig()
		cfg.Hostname = "mail.example.test"
		if err := decodeConfig("[sieve]\n"+key+" = 0", &cfg); err != nil {
			t.Fatal(err)
		}
		if err := cfg.validate(); err == nil || !strings.HasPrefix(err.Error(), "sieve."+key+":") {
			t.Errorf("%s = 0: validate = %v", key, err)
		}
	}
}
