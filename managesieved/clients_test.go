package managesieved

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/queue/sieve"
)

// Client libraries nobody here wrote, over STARTTLS with plaintext
// logins on loopback turned off and the language package as checker (as
// cmd wires it): python3-sievelib and PEAR Net_Sieve (Roundcube's). Both
// upload, list, activate, download, rename or remove, and see a script
// with a syntax error refused with its line. sieve-connect runs against
// the real binary in cmd/mailserver (TestSieveCLIAndManageSieve).

func realCheckEnv(t *testing.T) *testEnv {
	return newEnv(t, func(o *Options) {
		o.AllowPlaintextOnLoopback = false
		o.Check = func(b []byte) error { _, err := sieve.Parse(b, sieve.Limits{}); return err }
		o.Extensions = sieve.Extensions()
	})
}

func runClient(t *testing.T, e *testEnv, tool, pkg, script string) {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s", tool, pkg)
	}
	host, port, _ := net.SplitHostPort(e.addr)
	out, err := exec.Command(bin, script, host, port, alice, password).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("%s %s: %v\n%s", tool, script, err, out)
	}
}

func TestPythonSievelib(t *testing.T) {
	e := realCheckEnv(t)
	if err := exec.Command("/usr/bin/python3", "-c", "import sievelib.managesieve").Run(); err != nil {
		t.Fatal("python3 cannot import sievelib: install the Debian package python3-sievelib")
	}
	runClient(t, e, "/usr/bin/python3", "python3-sievelib", "testdata/sievelib_client.py")
}

func TestPHPNetSieve(t *testing.T) {
	e := realCheckEnv(t)
	if err := exec.Command("php", "-r", "require_once 'Net/Sieve.php';").Run(); err != nil {
		t.Fatal("php cannot load Net/Sieve.php: install the Debian packages php-cli and php-net-sieve")
	}
	runClient(t, e, "php", "php-cli", "testdata/netsieve_client.php")
}
