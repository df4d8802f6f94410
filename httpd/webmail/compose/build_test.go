package compose

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
)

var testDate = time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)

func addr(name, a string) *mail.Address { return &mail.Address{Name: name, Address: a} }

// readBack parses a built message with go-message and returns the header,
// the text and the attachments.
func readBack(t *testing.T, raw []byte) (gomail.Header, string, []Attachment) {
	t.Helper()
	mr, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("CreateReader: %v\n%s", err, raw)
	}
	var text string
	var atts []Attachment
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart: %v", err)
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatal(err)
		}
		switch h := p.Header.(type) {
		case *gomail.InlineHeader:
			text = string(b)
		case *gomail.AttachmentHeader:
			name, err := h.Filename()
			if err != nil {
				t.Fatalf("filename: %v", err)
			}
			ct, _, _ := h.ContentType()
			atts = append(atts, Attachment{Filename: name, ContentType: ct, Data: b})
		}
	}
	return mr.Header, text, atts
}

func TestBuildPlainASCII(t *testing.T) {
	b, err := Build(&Message{
		From:     addr("Alice", "alice@example.org"),
		To:       []*mail.Address{addr("", "bob@example.net")},
		Cc:       []*mail.Address{addr("Carol C.", "carol@example.net")},
		Bcc:      []*mail.Address{addr("", "dave@example.com"), addr("", "BOB@example.net")},
		Subject:  "Hello",
		Text:     "line one\nline two\n",
		Date:     testDate,
		Hostname: "mail.example.org",
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := string(b.Bytes)
	if strings.Contains(strings.ToLower(raw), "bcc:") || strings.Contains(raw, "dave@") {
		t.Errorf("Bcc leaked into the header:\n%s", raw)
	}
	if strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Errorf("bare LF in %q", raw)
	}
	for _, want := range []string{"MIME-Version: 1.0\r\n", "Content-Transfer-Encoding: 7bit\r\n", "Date: Wed, 02 Dec 2026 10:30:00 +0000\r\n",
		"text/plain; charset=utf-8", "\r\n\r\nline one\r\nline two\r\n"} {
		if !strings.Contains(raw, want) {
			t.Errorf("missing %q in\n%s", want, raw)
		}
	}
	if got, want := strings.Join(b.Recipients, ","), "bob@example.net,carol@example.net,dave@example.com"; got != want {
		t.Errorf("recipients %s, want %s", got, want)
	}
	if b.From != "alice@example.org" || !strings.HasSuffix(b.MessageID, "@mail.example.org") {
		t.Errorf("From %q, Message-ID %q", b.From, b.MessageID)
	}
	h, text, atts := readBack(t, b.Bytes)
	if id, _ := h.MessageID(); id != b.MessageID {
		t.Errorf("Message-ID %q, want %q", id, b.MessageID)
	}
	if cc, _ := h.AddressList("Cc"); len(cc) != 1 || cc[0].Name != "Carol C." {
		t.Errorf("Cc %v", cc)
	}
	if text != "line one\r\nline two\r\n" || len(atts) != 0 {
		t.Errorf("text %q, %d attachments", text, len(atts))
	}
	withBcc := string(b.WithBcc())
	if !strings.HasPrefix(withBcc, "Bcc: dave@example.com, BOB@example.net\r\n") && !strings.HasPrefix(withBcc, "Bcc: <dave@example.com>, <BOB@example.net>\r\n") {
		t.Errorf("WithBcc starts %q", withBcc[:60])
	}
}

func TestBuildNonASCII(t *testing.T) {
	subject := "Grüße aus Köln — ein recht langer Betreff, der gefaltet werden muss, damit er passt"
	body := "Liebe Grüße,\n" + strings.Repeat("sehr lange Zeile ", 10) + "\n-- \nAlice\n"
	b, err := Build(&Message{
		From: addr("Jürgen Müller", "juergen@example.org"), To: []*mail.Address{addr("Zoë", "zoe@example.net")},
		Subject: subject, Text: body, Date: testDate,
	})
	if err != nil {
		t.Fatal(err)
	}
	hdr := string(b.Bytes[:bytes.Index(b.Bytes, []byte("\r\n\r\n"))])
	if !isASCII(hdr) {
		t.Errorf("header is not ASCII:\n%s", hdr)
	}
	for _, l := range strings.Split(hdr, "\r\n") {
		if len(l) > 78 {
			t.Errorf("header line of %d octets: %q", len(l), l)
		}
	}
	if !strings.Contains(hdr, "Content-Transfer-Encoding: quoted-printable") {
		t.Errorf("not quoted-printable:\n%s", hdr)
	}
	h, text, _ := readBack(t, b.Bytes)
	if s, _ := h.Subject(); s != subject {
		t.Errorf("subject %q", s)
	}
	if f, _ := h.AddressList("From"); len(f) != 1 || f[0].Name != "Jürgen Müller" {
		t.Errorf("From %v", f)
	}
	if text != normalizeText(body) {
		t.Errorf("text %q, want %q", text, normalizeText(body))
	}
}

func TestBuildAttachmentsByteIdentical(t *testing.T) {
	bin := make([]byte, 100_003)
	rand.Read(bin)
	long := strings.Repeat("très long nom de fichier ", 6) + ".pdf"
	in := []Attachment{
		{Filename: "photo.jpg", Data: bin},
		{Filename: `C:\fakepath\Übersicht 2026.xlsx`, ContentType: "application/octet-stream", Data: []byte("PK\x03\x04")},
		{Filename: long, Data: []byte("%PDF-1.4\n")},
		{Filename: "notes.txt", ContentType: "text/plain; charset=iso-8859-1", Data: []byte("no final newline\r\nand bare\nLF")},
	}
	b, err := Build(&Message{From: addr("", "a@example.org"), To: []*mail.Address{addr("", "b@example.org")},
		Subject: "files", Text: "see attached", Attachments: in, Date: testDate})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes, []byte("filename*=utf-8''%C3%9Cbersicht%202026.xlsx")) {
		t.Errorf("no RFC 2231 filename in\n%s", b.Bytes[:2000])
	}
	_, text, atts := readBack(t, b.Bytes)
	if text != "see attached\r\n" {
		t.Errorf("text %q", text)
	}
	if len(atts) != len(in) {
		t.Fatalf("%d attachments, want %d", len(atts), len(in))
	}
	wantNames := []string{"photo.jpg", "Übersicht 2026.xlsx", long, "notes.txt"}
	wantTypes := []string{"image/jpeg", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf", "text/plain"}
	for i, a := range atts {
		if a.Filename != wantNames[i] || a.ContentType != wantTypes[i] {
			t.Errorf("attachment %d: %q %q, want %q %q", i, a.Filename, a.ContentType, wantNames[i], wantTypes[i])
		}
		if !bytes.Equal(a.Data, in[i].Data) {
			t.Errorf("attachment %d: %d octets differ from the %d uploaded", i, len(a.Data), len(in[i].Data))
		}
	}
	for _, l := range bytes.Split(b.Bytes, []byte("\r\n")) {
		if len(l) > 998 {
			t.Fatalf("line of %d octets", len(l))
		}
	}
}

func TestBuildRefusals(t *testing.T) {
	ok := addr("", "a@example.org")
	cases := map[string]*Message{
		"no from":     {To: []*mail.Address{ok}},
		"bad from":    {From: addr("", "nobody"), To: []*mail.Address{ok}},
		"no rcpt":     {From: ok},
		"bad rcpt":    {From: ok, To: []*mail.Address{addr("", "x@-bad-.org")}},
		"bad extra":   {From: ok, To: []*mail.Address{ok}, ExtraHeader: []Field{{"X-A", "v\r\nBcc: x@y.z"}}},
		"many rcpts":  {From: ok, To: manyAddrs(MaxRecipients + 1)},
		"space local": {From: ok, To: []*mail.Address{addr("", "a b@example.org")}},
	}
	for name, m := range cases {
		if _, err := Build(m); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	if _, err := Build(&Message{AllowNoRcpt: true, AllowNoSender: true, Text: "draft"}); err != nil {
		t.Errorf("an empty draft: %v", err)
	}
}

func manyAddrs(n int) []*mail.Address {
	var l []*mail.Address
	for i := range n {
		l = append(l, addr("", "u"+itoa(i)+"@example.org"))
	}
	return l
}

func TestParseAddressList(t *testing.T) {
	l, err := ParseAddressList("To", `"Doe, Jane" <jane@example.org>; bob@example.net,, Zoë <zoe@exämple.de>`)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 3 || l[0].Name != "Doe, Jane" || l[1].Address != "bob@example.net" || l[2].Address != "zoe@exämple.de" {
		t.Errorf("parsed %v", l)
	}
	if got := FormatAddressList(l); got != `"Doe, Jane" <jane@example.org>, bob@example.net, Zoë <zoe@exämple.de>` {
		t.Errorf("formatted %q", got)
	}
	for _, bad := range []string{"bob", "bob@", "@example.org", "a@b", "<a@example.org", "a@exa mple.org", "a@example..org"} {
		if _, err := ParseAddressList("To", bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if !strings.Contains(err.Error(), "To:") {
			t.Errorf("%q: error %q does not name the field", bad, err)
		}
	}
	if l, err := ParseAddressList("Cc", "  "); err != nil || len(l) != 0 {
		t.Errorf("empty field: %v %v", l, err)
	}
}

func TestFlowed(t *testing.T) {
	text := "Short line.\n" + strings.Repeat("word ", 40) + "end\n From the start\nFrom here\n> quoted line that is long " + strings.Repeat("x ", 50) + "\n-- \nsig\n"
	b, err := Build(&Message{From: addr("", "a@example.org"), To: []*mail.Address{addr("", "b@example.org")}, Text: text, Flowed: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes, []byte("format=flowed")) {
		t.Fatalf("no format=flowed:\n%s", b.Bytes)
	}
	_, body, _ := readBack(t, b.Bytes)
	for _, l := range strings.Split(body, "\r\n") {
		if len(l) > 78 && !strings.HasPrefix(l, ">") {
			t.Errorf("flowed line of %d: %q", len(l), l)
		}
	}
	if !strings.Contains(body, "\r\n  From the start\r\n") || !strings.Contains(body, "\r\n From here\r\n") || !strings.Contains(body, "\r\n-- \r\nsig") {
		t.Errorf("stuffing or signature wrong:\n%s", body)
	}
	want := strings.TrimRight(strings.ReplaceAll(text, "x \n", "x\n"), "\n") + "\n"
	if got := unflow(body); got != want {
		t.Errorf("unflowed\n%q\nwant\n%q", got, want)
	}
}

func TestParseDraftRoundTrip(t *testing.T) {
	m := &Message{
		From: addr("Alice", "alice@example.org"), To: []*mail.Address{addr("Bob", "bob@example.net")},
		Bcc: []*mail.Address{addr("", "secret@example.com")}, Subject: "Entwurf ✓", Text: "Hallo\n" + strings.Repeat("lang ", 30) + "\n",
		Flowed: true, InReplyTo: "orig@example.net", References: []string{"a@x", "orig@example.net"},
		Attachments: []Attachment{{Filename: "ä.bin", Data: []byte{0, 1, 2, 255}}},
		ExtraHeader: []Field{{"X-Webmail-Reply", "INBOX 42"}}, AllowNoRcpt: true,
	}
	b, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	got, o, err := ParseDraft(b.WithBcc())
	if err != nil {
		t.Fatal(err)
	}
	if got.From.Address != "alice@example.org" || len(got.To) != 1 || len(got.Bcc) != 1 || got.Bcc[0].Address != "secret@example.com" ||
		got.Subject != m.Subject || got.InReplyTo != m.InReplyTo || len(got.References) != 2 || !got.Flowed {
		t.Errorf("draft read back as %+v", got)
	}
	if got.Text != strings.ReplaceAll(normalizeLF(m.Text), " \n", "\n") {
		t.Errorf("text %q, want %q", got.Text, m.Text)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Filename != "ä.bin" || !bytes.Equal(got.Attachments[0].Data, []byte{0, 1, 2, 255}) {
		t.Errorf("attachments %+v", got.Attachments)
	}
	if v := o.Header.Get("X-Webmail-Reply"); v != "INBOX 42" {
		t.Errorf("extra field %q", v)
	}
}

func normalizeLF(s string) string { return strings.ReplaceAll(normalizeText(s), "\r\n", "\n") }

func TestCleanFilenameAndParam(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd": "passwd", `C:\Users\x\a.doc`: "a.doc", "a\r\nb.txt": "ab.txt", "": "attachment", "..": "attachment",
		strings.Repeat("é", 200): strings.Repeat("é", 127),
	} {
		if got := CleanFilename(in); got != want {
			t.Errorf("CleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
	if got := param("filename", "a b.txt"); got != `; filename="a b.txt"` {
		t.Errorf("param %q", got)
	}
	p := param("filename", strings.Repeat("€", 30))
	if !strings.Contains(p, "filename*0*=utf-8''") || !strings.Contains(p, "filename*1*=") {
		t.Errorf("no continuations: %q", p)
	}
}
