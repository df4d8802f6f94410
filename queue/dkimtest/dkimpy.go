// Package dkimtest checks DKIM signatures with verifiers nobody here
// wrote, for tests: Python's dkimpy (Debian python3-dkim) and OpenDKIM.
package dkimtest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// Python is the interpreter that has Debian's python3-dkim (and
// python3-nacl for Ed25519): the system one, not a pyenv python3 that may
// come first in PATH.
const Python = "/usr/bin/python3"

//go:embed verify.py
var verifyPy string

// Result is one DKIM-Signature field's verification by dkimpy.
type Result struct {
	Domain    string `json:"d"`
	Selector  string `json:"s"`
	Algorithm string `json:"a"`
	OK        bool   `json:"ok"`
	Error     string `json:"error"`
}

// Dkimpy verifies every DKIM-Signature of msg with dkimpy, whose DNS
// lookups are answered from records (TXT name without the final dot →
// text). The test fails if dkimpy cannot run.
func Dkimpy(t testing.TB, msg []byte, records map[string]string) []Result {
	t.Helper()
	dir := t.TempDir()
	msgPath := filepath.Join(dir, "msg.eml")
	dnsPath := filepath.Join(dir, "dns.json")
	scriptPath := filepath.Join(dir, "verify.py")
	js, err := json.Marshal(records)
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range map[string][]byte{msgPath: msg, dnsPath: js, scriptPath: []byte(verifyPy)} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(Python, scriptPath, msgPath, dnsPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dkimpy (install python3-dkim and python3-nacl): %v\n%s", err, stderr.String())
	}
	var rs []Result
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("dkimpy output %q: %v", out, err)
	}
	return rs
}

// RequireBoth fails the test unless rs holds exactly one passing
// ed25519-sha256 and one passing rsa-sha256 signature of domain.
func RequireBoth(t testing.TB, rs []Result, domain string) {
	t.Helper()
	var ed, rsa int
	for _, r := range rs {
		if !r.OK || !strings.EqualFold(r.Domain, domain) {
			t.Errorf("dkimpy: signature d=%s s=%s a=%s did not verify: %s", r.Domain, r.Selector, r.Algorithm, r.Error)
			continue
		}
		switch r.Algorithm {
		case "ed25519-sha256":
			ed++
		case "rsa-sha256":
			rsa++
		}
	}
	if ed != 1 || rsa != 1 || len(rs) != 2 {
		t.Fatalf("dkimpy: want one passing ed25519-sha256 and one rsa-sha256 signature of %s, got %+v", domain, rs)
	}
}

// Records maps the keys' TXT record names to their text, as published.
func Records(keys []store.DKIMKey) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		m[strings.ToLower(k.DNSName())] = k.DNSRecord()
	}
	return m
}
