package main

import (
	"bufio"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// No Docker engine runs in CI, so these tests check docker-compose.yml and
// the Dockerfile against the configuration defaults instead.

// composeFile is the subset of the compose format checked here.
type composeFile struct {
	Services map[string]struct {
		Build       any         `yaml:"build"`
		Environment yaml.Node   `yaml:"environment"`
		Ports       []yaml.Node `yaml:"ports"`
		Volumes     []yaml.Node `yaml:"volumes"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

// mount is one entry of a service's volumes, in short or long syntax.
type mount struct {
	Type     string `yaml:"type"`
	Source   string `yaml:"source"`
	Target   string `yaml:"target"`
	ReadOnly bool   `yaml:"read_only"`
}

// port is one entry of a service's ports, in short or long syntax.
type port struct {
	Target    int    `yaml:"target"`
	Published string `yaml:"published"`
}

func repoFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// defaultPorts are the container ports of the default listeners. A
// listener bound to loopback by default (metrics) cannot be published.
func defaultPorts(t *testing.T) map[int]string {
	t.Helper()
	ports := map[int]string{}
	for _, l := range defaultConfig().Listen.entries() {
		host, p, err := net.SplitHostPort(l.addr)
		if err != nil {
			t.Fatalf("default listen.%s %q: %v", l.key, l.addr, err)
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatal(err)
		}
		ports[n] = l.key
	}
	return ports
}

// containerDataDir is where the default data_dir ends up in the image:
// relative to the final stage's WORKDIR.
func containerDataDir(t *testing.T) string {
	t.Helper()
	workdir := "/"
	sc := bufio.NewScanner(strings.NewReader(string(repoFile(t, "Dockerfile"))))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			workdir = "/"
		case "WORKDIR":
			if path.IsAbs(f[1]) {
				workdir = f[1]
			} else {
				workdir = path.Join(workdir, f[1])
			}
		}
	}
	return path.Join(workdir, defaultConfig().DataDir)
}

func TestComposePublishesDefaultPorts(t *testing.T) {
	var cf composeFile
	if err := yaml.Unmarshal(repoFile(t, "docker-compose.yml"), &cf); err != nil {
		t.Fatal(err)
	}
	svc, ok := cf.Services["mailserver"]
	if !ok {
		t.Fatalf("no service mailserver in docker-compose.yml")
	}
	if svc.Build == nil {
		t.Error("service mailserver does not build the image from the repository")
	}

	published := map[int]bool{}
	for _, n := range svc.Ports {
		var p port
		switch n.Kind {
		case yaml.ScalarNode:
			// [HOST_IP:][HOST:]CONTAINER[/PROTO]
			s, _, _ := strings.Cut(n.Value, "/")
			parts := strings.Split(s, ":")
			target, err := strconv.Atoi(parts[len(parts)-1])
			if err != nil {
				t.Fatalf("port %q: %v", n.Value, err)
			}
			p.Target = target
			if len(parts) > 1 {
				p.Published = parts[len(parts)-2]
			}
		case yaml.MappingNode:
			if err := n.Decode(&p); err != nil {
				t.Fatal(err)
			}
		}
		if p.Published == "" {
			t.Errorf("container port %d has no fixed host port", p.Target)
		}
		published[p.Target] = true
	}
	for p, key := range defaultPorts(t) {
		if !published[p] {
			t.Errorf("default port %d ([listen] %s) is not published", p, key)
		}
	}

	// Dockerfile EXPOSE documents the same ports.
	var exposed []int
	for _, line := range strings.Split(string(repoFile(t, "Dockerfile")), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.EqualFold(f[0], "EXPOSE") {
			for _, p := range f[1:] {
				n, _ := strconv.Atoi(strings.TrimSuffix(p, "/tcp"))
				exposed = append(exposed, n)
			}
		}
	}
	for p, key := range defaultPorts(t) {
		if !slices.Contains(exposed, p) {
			t.Errorf("Dockerfile does not EXPOSE %d ([listen] %s)", p, key)
		}
	}
}

func TestComposeMountsDataAndConfig(t *testing.T) {
	var cf composeFile
	if err := yaml.Unmarshal(repoFile(t, "docker-compose.yml"), &cf); err != nil {
		t.Fatal(err)
	}
	svc := cf.Services["mailserver"]
	var mounts []mount
	for _, n := range svc.Volumes {
		var m mount
		switch n.Kind {
		case yaml.ScalarNode: // SOURCE:TARGET[:MODE]
			parts := strings.Split(n.Value, ":")
			if len(parts) < 2 {
				t.Fatalf("volume %q", n.Value)
			}
			m.Source, m.Target = parts[0], parts[1]
			m.ReadOnly = len(parts) > 2 && strings.Contains(parts[2], "ro")
			m.Type = "volume"
			if strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") {
				m.Type = "bind"
			}
		case yaml.MappingNode:
			if err := n.Decode(&m); err != nil {
				t.Fatal(err)
			}
		}
		mounts = append(mounts, m)
	}

	dataDir := containerDataDir(t)
	i := slices.IndexFunc(mounts, func(m mount) bool { return m.Target == dataDir })
	switch {
	case i < 0:
		t.Errorf("nothing is mounted at the container's data_dir %s; mounts %+v", dataDir, mounts)
	case mounts[i].Type != "volume":
		t.Errorf("data_dir %s is a %s mount, want a named volume", dataDir, mounts[i].Type)
	default:
		if _, ok := cf.Volumes[mounts[i].Source]; !ok {
			t.Errorf("volume %q is not declared under top-level volumes", mounts[i].Source)
		}
	}

	var env map[string]string
	switch svc.Environment.Kind {
	case yaml.MappingNode:
		if err := svc.Environment.Decode(&env); err != nil {
			t.Fatal(err)
		}
	case yaml.SequenceNode:
		var list []string
		if err := svc.Environment.Decode(&list); err != nil {
			t.Fatal(err)
		}
		env = map[string]string{}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	cfgPath := env["MAILSERVER_CONFIG"]
	if cfgPath == "" {
		t.Fatalf("MAILSERVER_CONFIG is not set; environment %v", env)
	}
	i = slices.IndexFunc(mounts, func(m mount) bool { return m.Target == cfgPath })
	if i < 0 {
		t.Fatalf("MAILSERVER_CONFIG=%s is not mounted; mounts %+v", cfgPath, mounts)
	}
	if !mounts[i].ReadOnly || mounts[i].Type != "bind" {
		t.Errorf("config mount %+v, want a read-only bind mount", mounts[i])
	}
}
