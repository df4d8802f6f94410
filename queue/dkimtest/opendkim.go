package dkimtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// OpenDKIM is the OpenDKIM filter binary (Debian opendkim); its test mode
// (-t FILE) verifies one message read from a file, with TXT answers from
// the TestDNSData configuration setting instead of DNS.
const OpenDKIM = "/usr/sbin/opendkim"

// openDKIMResult matches one dkim= result of the Authentication-Results
// field that opendkim -vvv shows it would add.
var openDKIMResult = regexp.MustCompile(`dkim=(\w+)[^;]*?header\.d=(\S+) [^;]*?header\.a=(\S+)`)

// OpenDKIMVerify verifies msg with OpenDKIM and returns one Result per
// signature (Error holds the result word when it is not "pass"). The
// records' text must not need spaces: OpenDKIM's flat-file data set cuts
// at the first one, so "; " becomes ";" (RFC 6376 §3.2 allows both).
func OpenDKIMVerify(t testing.TB, msg []byte, records map[string]string) []Result {
	t.Helper()
	dir := t.TempDir()
	var dnsData strings.Builder
	for name, text := range records {
		dnsData.WriteString(name + " " + strings.ReplaceAll(text, "; ", ";") + "\n")
	}
	conf := "Mode v\nSyslog no\nAlwaysAddARHeader yes\nTestDNSData file:" + filepath.Join(dir, "dns") + "\n"
	for name, b := range map[string]string{"dns": dnsData.String(), "msg.eml": string(msg), "opendkim.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(OpenDKIM, "-vvv", "-x", filepath.Join(dir, "opendkim.conf"), "-t", filepath.Join(dir, "msg.eml")).CombinedOutput()
	if err != nil {
		t.Fatalf("opendkim (Debian opendkim): %v\n%s", err, out)
	}
	_, ar, ok := strings.Cut(string(out), "hname='Authentication-Results' hvalue='")
	if !ok {
		t.Fatalf("opendkim added no Authentication-Results:\n%s", out)
	}
	ar, _, _ = strings.Cut(ar, "'")
	var rs []Result
	for _, m := range openDKIMResult.FindAllStringSubmatch(ar, -1) {
		r := Result{Domain: m[2], Algorithm: m[3], OK: m[1] == "pass"}
		if !r.OK {
			r.Error = m[1]
		}
		rs = append(rs, r)
	}
	return rs
}
