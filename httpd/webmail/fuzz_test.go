package webmail

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// FuzzParseMessage: any input splits into parts without panicking, every
// part's path is unique, and the shown body is one of the parts.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte(strings.ReplaceAll(attachmentMail, "\n", "\r\n")))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/alternative; boundary=y\r\n\r\n--y\r\n\r\na\r\n--y--\r\n--x--\r\n"))
	f.Add([]byte("Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C1=C2=\r\n"))
	f.Add([]byte("Content-Disposition: attachment; filename*0*=utf-8''a%20; filename*1=b.txt\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		pm, err := parseMessage(raw)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		body := pm.Body == nil
		for _, p := range pm.Parts {
			if seen[p.Path] {
				t.Fatalf("part %s twice", p.Path)
			}
			seen[p.Path] = true
			if p == pm.Body {
				body = true
			}
			if !utf8.ValidString(p.Filename) || strings.ContainsAny(p.Filename, "/\\\r\n") {
				t.Fatalf("unsafe file name %q", p.Filename)
			}
			_ = p.text()
		}
		if !body {
			t.Fatal("shown body is not a part")
		}
		if len(pm.Parts) > maxParts {
			t.Fatalf("%d parts", len(pm.Parts))
		}
	})
}

// FuzzSanitize: whatever the HTML, the output, parsed as a browser
// would, has no element or attribute that could run script, and no
// remote source unless asked for.
func FuzzSanitize(f *testing.F) {
	for _, tc := range hostileHTML {
		f.Add(tc.html, false)
	}
	f.Add(`<img src="cid:a"><a href="cid:b">x</a>`, true)
	pol := newSanitizer()
	badElem := map[string]bool{"script": true, "style": true, "iframe": true, "frame": true, "object": true, "embed": true,
		"form": true, "input": true, "button": true, "meta": true, "base": true, "link": true, "svg": true, "math": true}
	f.Fuzz(func(t *testing.T, src string, remote bool) {
		out := sanitizeHTML(pol, src, &parsedMessage{}, remote).HTML
		ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
		nodes, err := html.ParseFragment(strings.NewReader(out), ctx)
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if badElem[strings.ToLower(n.Data)] {
					t.Fatalf("element %s in\n%s", n.Data, out)
				}
				for _, a := range n.Attr {
					k, v := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
					if strings.HasPrefix(k, "on") || k == "formaction" || k == "srcset" {
						t.Fatalf("attribute %s in\n%s", k, out)
					}
					if strings.Contains(v, "javascript:") || strings.Contains(v, "vbscript:") || strings.Contains(v, "expression(") {
						t.Fatalf("script in %s=%q", k, a.Val)
					}
					if k == "style" && strings.Contains(v, "url(") {
						t.Fatalf("url() in style %q", a.Val)
					}
					if k == "src" && !remote && (strings.HasPrefix(v, "http") || strings.HasPrefix(v, "//")) {
						t.Fatalf("remote source %q", a.Val)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		for _, n := range nodes {
			walk(n)
		}
	})
}

// FuzzEnvelope: header sections of any shape give an envelope.
func FuzzEnvelope(f *testing.F) {
	f.Add([]byte("From: =?utf-8?q?=C3=A9?= <a@b>\r\nSubject: x\r\nReferences: <a@b> <c@d>\r\n\r\n"))
	f.Add([]byte("From: broken <<<\r\nDate: yesterday\r\nContent-Type: ;;;\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := parseEnvelope(bytes.NewReader(raw))
		if err == nil && e == nil {
			t.Fatal("nil envelope without error")
		}
	})
}

// FuzzAuthResults: any Authentication-Results value gives a verdict of a
// known class.
func FuzzAuthResults(f *testing.F) {
	f.Add("mail.example.test; spf=pass smtp.mailfrom=a; dkim=fail header.d=b; dmarc=none")
	f.Add("mail.example.test (comment); none")
	f.Fuzz(func(t *testing.T, v string) {
		raw := "Authentication-Results: " + strings.ReplaceAll(strings.ReplaceAll(v, "\r", ""), "\n", "") + "\r\n\r\n"
		h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		authVerdictOf(h, "mail.example.test")
	})
}

// FuzzSelection: the selection parser never panics and keeps its bound.
func FuzzSelection(f *testing.F) {
	f.Add("1,2,3", uint64(1))
	f.Add("5:7,5:8,9", uint64(0))
	f.Fuzz(func(t *testing.T, v string, box uint64) {
		sel, err := parseSelection([]string{v}, box)
		if err != nil {
			return
		}
		n := 0
		for _, s := range sel {
			if s.mailbox == 0 {
				t.Fatal("mailbox 0 selected")
			}
			n += len(s.uids)
		}
		if n > maxSelection {
			t.Fatalf("%d selected", n)
		}
	})
}
