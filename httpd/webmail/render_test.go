package webmail

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestEveryControlLabelled: on every page, each input, select and
// textarea (other than hidden fields) has a <label for> naming it.
func TestEveryControlLabelled(t *testing.T) {
	e := newTestEnv(t)
	uid := e.deliver(e.alice, "INBOX", attachmentMail)
	inbox := e.mailbox(e.alice, "INBOX")
	c := e.client()
	_, login := c.get("/webmail/login")
	c.mustLogin("alice@example.test")
	pages := map[string]string{"login": login}
	for _, p := range []string{"/webmail/", fmt.Sprintf("/webmail/message/%d/%d", inbox.ID, uid), "/webmail/folders",
		"/webmail/search", "/webmail/search?q=report"} {
		_, pages[p] = c.get(p)
	}
	control := regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idRe := regexp.MustCompile(`\bid="([^"]+)"`)
	for name, page := range pages {
		for _, m := range control.FindAllString(page, -1) {
			if strings.Contains(m, `type="hidden"`) {
				continue
			}
			id := idRe.FindStringSubmatch(m)
			if id == nil {
				t.Errorf("%s: control without id: %s", name, m)
				continue
			}
			if !strings.Contains(page, `<label for="`+id[1]+`"`) {
				t.Errorf("%s: no label for %s", name, m)
			}
		}
	}
}

func TestStaticAndPaths(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	r, body := c.get("/webmail/static/app.css")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, "@media") {
		t.Errorf("css: %s %q", r.Status, r.Header.Get("Content-Type"))
	}
	r, _ = c.get("/webmail/static/app.js")
	if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Content-Type"), "javascript") {
		t.Errorf("js: %s %q", r.Status, r.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/webmail/static/", "/webmail/static/../webmail.go", "/webmail/nothing", "/elsewhere"} {
		// 404, or the mux's redirect to the cleaned path (which is
		// then a 404 itself).
		if r, _ := c.get(p); r.StatusCode != http.StatusNotFound && r.StatusCode != http.StatusTemporaryRedirect {
			t.Errorf("%s: %s", p, r.Status)
		}
	}
	if r, _ := c.get("/webmail"); r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/webmail/" {
		t.Errorf("/webmail: %s %q", r.Status, r.Header.Get("Location"))
	}
	req, _ := http.NewRequest("DELETE", e.srv.URL+"/webmail/login", nil)
	if r, _ := c.do(req); r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %s", r.Status)
	}
}
