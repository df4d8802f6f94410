package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestComposeSpamProfile: docker-compose.yml has rspamd and redis in the
// "spam" profile (off by default), rspamd's mounted configuration binds
// the ports the README's [spam] URLs name and points at the redis service.
func TestComposeSpamProfile(t *testing.T) {
	var cf struct {
		Services map[string]struct {
			Profiles []string `yaml:"profiles"`
			Volumes  []mount  `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(repoFile(t, "docker-compose.yml"), &cf); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rspamd", "redis"} {
		if !slices.Contains(cf.Services[name].Profiles, "spam") {
			t.Errorf("service %s is not in the spam profile", name)
		}
	}
	if len(cf.Services["mailserver"].Profiles) != 0 {
		t.Error("the mailserver service must run without a profile")
	}
	var conf strings.Builder
	for _, m := range cf.Services["rspamd"].Volumes {
		if m.Type != "bind" {
			continue
		}
		dir := filepath.Join("..", "..", m.Source)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("rspamd mount %s: %v", m.Source, err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			conf.WriteString(filepath.Base(m.Target) + "/" + e.Name() + ": " + string(b) + "\n")
		}
	}
	for _, want := range []string{`override.d/worker-normal.inc: # `, `bind_socket = "*:11333"`, `bind_socket = "*:11334"`, `servers = "redis:6379"`} {
		if !strings.Contains(conf.String(), want) {
			t.Errorf("rspamd's configuration lacks %q:\n%s", want, conf.String())
		}
	}
	readme := string(repoFile(t, "README.md"))
	for _, want := range []string{`rspamd_url = "http://rspamd:11333"`, "--profile spam"} {
		if !strings.Contains(readme, want) && !strings.Contains(string(repoFile(t, "docker-compose.yml")), want) {
			t.Errorf("neither README nor docker-compose.yml says %q", want)
		}
	}
}
