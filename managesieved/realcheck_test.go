package managesieved

import (
	"strings"
	"testing"

	"github.com/mailserver/mailserver/queue/sieve"
)

// TestRealChecker: with the language package as the checker (as cmd
// wires it), a syntax error comes back with the parser's line and
// column, and the SIEVE capability lists what the parser accepts.
func TestRealChecker(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Check = func(b []byte) error { _, err := sieve.Parse(b, sieve.Limits{}); return err }
		o.Extensions = sieve.Extensions()
	})
	c := dialRaw(t, e.addr)
	caps := c.capabilities()
	for _, ext := range []string{"fileinto", "vacation", "imap4flags", "variables", "relational"} {
		if !strings.Contains(" "+caps["SIEVE"]+" ", " "+ext+" ") {
			t.Errorf("SIEVE capability %q lacks %s", caps["SIEVE"], ext)
		}
	}
	c.login(alice, password)
	c.cmd(putLiteral("ok", vacationScript), "OK")
	c.cmd(putLiteral("bad", "require \"fileinto\";\r\nif true {\r\n  fileinto \"x\"\r\n}\r\n"), `NO "line 4, column 1:`)
	c.cmd(putLiteral("noreq", "fileinto \"x\";\r\n"), `NO "line 1, column 1:`)
	c.cmd(`CHECKSCRIPT "vacation \"x\";"`, `NO "line 1`)
}
