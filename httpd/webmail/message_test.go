package webmail

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
	"testing"
)

const attachmentMail = `From: =?utf-8?q?J=C3=BCrgen?= <juergen@example.org>
To: alice@example.test
Subject: Report
Authentication-Results: mail.example.test;
	spf=pass smtp.mailfrom=example.org;
	dkim=pass header.d=example.org;
	dmarc=pass header.from=example.org
Authentication-Results: evil.test; dkim=fail header.d=example.org
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

plain version
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>html <b>version</b> <img src="cid:logo@example.org"></p>
--rel
Content-Type: image/png
Content-ID: <logo@example.org>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--alt--
--outer
Content-Type: application/pdf; name="=?utf-8?q?Bericht_M=C3=A4rz.pdf?="
Content-Disposition: attachment; filename*=utf-8''Bericht%20M%C3%A4rz.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCg==
--outer
Content-Type: text/csv; charset=iso-8859-1
Content-Disposition: attachment; filename="=?iso-8859-1?q?d=E9penses.csv?="

a;b
--outer--
`

func TestMessageView(t *testing.T) {
	e := newTestEnv(t)
	uid := e.deliver(e.alice, "INBOX", attachmentMail)
	inbox := e.mailbox(e.alice, "INBOX")
	c := e.client().mustLogin("alice@example.test")
	base := fmt.Sprintf("/webmail/message/%d/%d", inbox.ID, uid)
	r, page := c.get(base)
	if r.StatusCode != 200 {
		t.Fatal(r.Status)
	}
	for _, want := range []string{`id="message-view"`, `id="message-frame"`, "Jürgen &lt;juergen@example.org&gt;", "<h1 id=\"message-subject\">Report</h1>",
		`<span class="verdict pass" title="DKIM signature">DKIM: pass</span>`, `SPF: pass`, `DMARC: pass (example.org)`,
		"Bericht März.pdf", "dépenses.csv", `data-action="reply"`, `data-action="reply-all"`, `data-action="forward"`,
		`data-action="delete"`, `data-action="move"`, `data-action="mark-unread"`, `data-action="flag"`} {
		if !strings.Contains(page, want) {
			t.Errorf("view lacks %q", want)
		}
	}
	if strings.Contains(page, "DKIM: fail") {
		t.Error("another server's Authentication-Results believed")
	}
	// Opening marks it read.
	if e.mailbox(e.alice, "INBOX").Unseen != 0 {
		t.Error("opening did not mark read")
	}
	// The frame shows the HTML alternative with the cid image inline.
	_, frame := c.get(base + "/frame")
	if !strings.Contains(frame, "html <b>version</b>") || !strings.Contains(frame, `src="data:image/png;base64,iVBORw0KGgo="`) || strings.Contains(frame, "plain version") {
		t.Errorf("frame:\n%s", frame)
	}
	// The attachment: right bytes, type, name; never inline.
	r, body := c.get(base + "/part/2")
	if r.StatusCode != 200 || body != "%PDF-1.4\n%äüöß\n" {
		t.Fatalf("attachment: %s %q", r.Status, body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	disp, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != "Bericht März.pdf" {
		t.Errorf("Content-Disposition %q: %v %v", r.Header.Get("Content-Disposition"), params, err)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	r, body = c.get(base + "/part/3")
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=iso-8859-1" || body != "a;b" {
		t.Errorf("csv: %q %q", ct, body)
	}
	if r, _ := c.get(base + "/part/9"); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing part: %s", r.Status)
	}
	// Source and headers.
	r, raw := c.get(base + "/raw")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") || !strings.Contains(raw, "Content-Type: multipart/mixed;") {
		t.Errorf("raw: %q", r.Header.Get("Content-Type"))
	}
	_, page = c.get(base + "?headers=1")
	if !strings.Contains(page, "Authentication-Results: evil.test; dkim=fail") {
		t.Error("full headers not shown")
	}
	if r, _ := c.get(fmt.Sprintf("/webmail/message/%d/999", inbox.ID)); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing message: %s", r.Status)
	}
}

func TestContentDispositionFilename(t *testing.T) {
	for _, name := range []string{"plain.txt", "Bericht März.pdf", `quote"and\back.txt`, "日本語.doc", "100%.txt"} {
		_, params, err := mime.ParseMediaType(contentDisposition(name))
		if err != nil || params["filename"] != name {
			t.Errorf("%q: %v %v", name, params, err)
		}
	}
	if got := safeFilename("../../etc/passwd"); got != "passwd" {
		t.Errorf("path kept: %q", got)
	}
	if got := safeFilename("a\r\nb.txt"); got != "ab.txt" {
		t.Errorf("control characters kept: %q", got)
	}
}

func TestLinkify(t *testing.T) {
	got := string(linkify(`see https://example.org/a?b=1&c=<2> and "http://x.test/p". <script>`))
	want := `see <a href="https://example.org/a?b=1&amp;c=" target="_blank" rel="noopener noreferrer nofollow">https://example.org/a?b=1&amp;c=</a>&lt;2&gt; and &#34;<a href="http://x.test/p" target="_blank" rel="noopener noreferrer nofollow">http://x.test/p</a>&#34;. &lt;script&gt;`
	if got != want {
		t.Errorf("linkify:\n%s\nwant\n%s", got, want)
	}
	if got := string(linkify("javascript:alert(1) and mailto:x@y")); strings.Contains(got, "<a") {
		t.Errorf("non-web link made clickable: %s", got)
	}
}
