package webmail

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// playwrightCore finds playwright-core (package.json at the top level;
// `npm ci` installs it), or WEBMAIL_NODE_MODULES/playwright-core.
func playwrightCore(t *testing.T) string {
	t.Helper()
	dirs := []string{os.Getenv("WEBMAIL_NODE_MODULES")}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, filepath.Join(d, "node_modules"))
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, "playwright-core", "index.mjs")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("playwright-core is needed: run `npm ci` at the top of the repository (Debian packages nodejs, npm, chromium)")
	return ""
}

// TestComposeScriptInChromium checks the compose page's script in a real
// browser: the draft saves itself, the page's address follows it so a
// reload shows it, an attached file is saved into the draft at once, and
// sending sends it with the attachment and removes the draft.
func TestComposeScriptInChromium(t *testing.T) {
	core := playwrightCore(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed (Debian package nodejs)")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil && os.Getenv("WEBMAIL_CHROMIUM") == "" {
		t.Fatal("chromium is needed (Debian package chromium)")
	}
	e, sub := newComposeEnv(t, 1<<20)
	c := e.client().mustLogin("alice@example.test")
	var session string
	for _, ck := range c.hc.Jar.Cookies(mustURL(t, e.srv.URL+"/webmail/")) {
		if ck.Name == sessionCookie {
			session = ck.Value
		}
	}
	content := "attached from the browser, line 1\nline 2\n"
	cmd := exec.Command(node, "testdata/compose-browser.mjs")
	cmd.Env = append(os.Environ(), "PLAYWRIGHT_CORE="+core, "WEBMAIL_URL="+e.srv.URL,
		"WEBMAIL_SESSION="+session, "WEBMAIL_FILE="+content)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "ok") {
		t.Fatalf("browser: %v\n%s", err, out.String())
	}
	sent := sub.sent()
	if len(sent) != 1 {
		t.Fatalf("%d sent", len(sent))
	}
	h, text, atts := parts(t, sent[0].Message)
	if s, _ := h.Subject(); s != "Browser draft" || text != "Typed in Chromium.\r\n" || string(atts["notes ü.txt"]) != content {
		t.Errorf("sent %q %q %v", s, text, atts)
	}
	if raws, _ := e.messages(e.alice, "Drafts"); len(raws) != 0 {
		t.Errorf("%d drafts left after sending", len(raws))
	}
	if raws, _ := e.messages(e.alice, "Sent"); len(raws) != 1 {
		t.Errorf("%d in Sent", len(raws))
	}
}
