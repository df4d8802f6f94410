package compose

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"os/exec"
	"strings"
	"testing"
)

// pyView is what testdata/pyparse.py reports.
type pyView struct {
	Subject     string   `json:"subject"`
	From        []string `json:"from"`
	FromName    []string `json:"from_name"`
	To          []string `json:"to"`
	Cc          []string `json:"cc"`
	HasBcc      bool     `json:"has_bcc"`
	MessageID   string   `json:"message_id"`
	InReplyTo   string   `json:"in_reply_to"`
	References  string   `json:"references"`
	Date        string   `json:"date"`
	Defects     []string `json:"defects"`
	Text        string   `json:"text"`
	Attachments []struct {
		Filename     string   `json:"filename"`
		Type         string   `json:"type"`
		SHA256       string   `json:"sha256"`
		InnerSubject string   `json:"inner_subject"`
		Defects      []string `json:"defects"`
	} `json:"attachments"`
}

// pyParse runs Python's email package on raw.
func pyParse(t *testing.T, raw []byte) *pyView {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed (Debian package python3)")
	}
	cmd := exec.Command(py, "testdata/pyparse.py")
	cmd.Stdin = bytes.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyparse: %v\n%s", err, stderr.String())
	}
	var v pyView
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("pyparse output %q: %v", out, err)
	}
	return &v
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func TestPythonParsesBuiltMessage(t *testing.T) {
	bin := make([]byte, 50_000)
	rand.Read(bin)
	subject := "Réunion: ordre du jour — 2026 « important » " + strings.Repeat("long ", 12)
	text := "Bonjour à tous,\n\nvoici l'ordre du jour.\n" + strings.Repeat("très ", 40) + "\n"
	b, err := Build(&Message{
		From: addr("Élodie Dupont", "elodie@example.org"),
		To:   []*mail.Address{addr("Bob, the builder", "bob@example.net"), addr("", "carol@example.net")},
		Cc:   []*mail.Address{addr("Zoë", "zoe@example.com")}, Bcc: []*mail.Address{addr("", "hidden@example.com")},
		Subject: subject, Text: text, Flowed: true,
		InReplyTo: "parent@example.net", References: []string{"root@example.net", "parent@example.net"},
		Attachments: []Attachment{
			{Filename: "données é.bin", Data: bin},
			{Filename: strings.Repeat("überlanger-name-", 8) + ".txt", Data: []byte("x\r\ny")},
		},
		Date: testDate, Hostname: "mail.example.org",
	})
	if err != nil {
		t.Fatal(err)
	}
	v := pyParse(t, b.Bytes)
	if len(v.Defects) > 0 {
		t.Errorf("defects %v", v.Defects)
	}
	if v.Subject != oneLine(subject) {
		t.Errorf("subject %q, want %q", v.Subject, oneLine(subject))
	}
	if strings.Join(v.From, ",") != "elodie@example.org" || v.FromName[0] != "Élodie Dupont" ||
		strings.Join(v.To, ",") != "bob@example.net,carol@example.net" || strings.Join(v.Cc, ",") != "zoe@example.com" || v.HasBcc {
		t.Errorf("addresses %+v", v)
	}
	if v.MessageID != "<"+b.MessageID+">" || v.InReplyTo != "<parent@example.net>" || v.References != "<root@example.net> <parent@example.net>" {
		t.Errorf("ids %q %q %q", v.MessageID, v.InReplyTo, v.References)
	}
	if v.Date != "Wed, 02 Dec 2026 10:30:00 +0000" {
		t.Errorf("date %q", v.Date)
	}
	// Python does not undo format=flowed: compare after doing it here.
	if got, want := unflow(v.Text), strings.ReplaceAll(text, " \n", "\n"); got != want {
		t.Errorf("text %q, want %q", got, want)
	}
	if len(v.Attachments) != 2 {
		t.Fatalf("attachments %+v", v.Attachments)
	}
	if a := v.Attachments[0]; a.Filename != "données é.bin" || a.SHA256 != sum(bin) || a.Type != "application/octet-stream" || len(a.Defects) > 0 {
		t.Errorf("attachment 0: %+v", a)
	}
	if a := v.Attachments[1]; a.Filename != strings.Repeat("überlanger-name-", 8)+".txt" || a.SHA256 != sum([]byte("x\r\ny")) {
		t.Errorf("attachment 1: %+v", a)
	}
	// The sender's copy keeps the Bcc.
	if v := pyParse(t, b.WithBcc()); !v.HasBcc {
		t.Error("WithBcc: no Bcc for Python")
	}
}

func TestPythonParsesForwardAsAttachment(t *testing.T) {
	orig := []byte("From: Alice <alice@example.org>\r\nTo: me@example.net\r\nSubject: Original ü\r\nMessage-ID: <o@example.org>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n")
	o, err := ParseOriginal(orig)
	if err != nil {
		t.Fatal(err)
	}
	m := Forward(o, orig, true)
	m.From, m.To = addr("", "me@example.net"), []*mail.Address{addr("", "x@example.com")}
	b, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b.Bytes, []byte("Content-Type: message/rfc822")) || !bytes.Contains(b.Bytes, []byte("Content-Transfer-Encoding: 8bit")) {
		t.Errorf("not message/rfc822 8bit:\n%s", b.Bytes)
	}
	v := pyParse(t, b.Bytes)
	if v.Subject != "Fwd: Original ü" || len(v.Attachments) != 1 {
		t.Fatalf("%+v", v)
	}
	if a := v.Attachments[0]; a.Type != "message/rfc822" || a.InnerSubject != "Original ü" || a.Filename != "Original ü.eml" {
		t.Errorf("forwarded part %+v", a)
	}
}
