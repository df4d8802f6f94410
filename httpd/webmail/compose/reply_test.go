package compose

import (
	"bytes"
	"net/mail"
	"strings"
	"testing"
)

const original = "From: Alice Example <alice@example.org>\r\n" +
	"To: Me <me@example.net>, Bob <bob@example.com>\r\n" +
	"Cc: Carol <carol@example.com>, me-alias@example.net, ALICE@example.org\r\n" +
	"Subject: Plans for =?utf-8?q?M=C3=A4rz?=\r\n" +
	"Date: Tue, 01 Dec 2026 09:00:00 +0100\r\n" +
	"Message-ID: <m2@example.org>\r\n" +
	"References: <m0@example.org> <m1@example.org>\r\n" +
	"In-Reply-To: <m1@example.org>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n" +
	"--c\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHallo,\r\nbis M=E4rz.\r\n\r\n> older\r\n" +
	"--c\r\nContent-Type: text/html\r\n\r\n<p>Hallo</p>\r\n--c--\r\n" +
	"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"dot.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n" +
	"--b--\r\n"

func own(a string) bool {
	a = strings.ToLower(a)
	return a == "me@example.net" || a == "me-alias@example.net"
}

func addrs(l []*mail.Address) string {
	var s []string
	for _, a := range l {
		s = append(s, a.Address)
	}
	return strings.Join(s, ",")
}

func TestReply(t *testing.T) {
	o, err := ParseOriginal([]byte(original))
	if err != nil {
		t.Fatal(err)
	}
	if o.Text != "Hallo,\nbis März.\n\n> older\n" {
		t.Errorf("text %q", o.Text)
	}
	if len(o.Attachments) != 1 || o.Attachments[0].Filename != "dot.png" || !bytes.HasPrefix(o.Attachments[0].Data, []byte("\x89PNG")) {
		t.Errorf("attachments %+v", o.Attachments)
	}
	r := Reply(o, own, false)
	if addrs(r.To) != "alice@example.org" || len(r.Cc) != 0 {
		t.Errorf("reply to %s cc %s", addrs(r.To), addrs(r.Cc))
	}
	if r.Subject != "Re: Plans for März" || r.InReplyTo != "m2@example.org" ||
		strings.Join(r.References, " ") != "m0@example.org m1@example.org m2@example.org" {
		t.Errorf("reply %q %q %v", r.Subject, r.InReplyTo, r.References)
	}
	wantText := "\n\nOn Tue, 01 Dec 2026 09:00:00 +0100, Alice Example <alice@example.org> wrote:\n> Hallo,\n> bis März.\n>\n>> older\n"
	if r.Text != wantText {
		t.Errorf("quoted %q\nwant %q", r.Text, wantText)
	}
	all := Reply(o, own, true)
	if addrs(all.To) != "alice@example.org" || addrs(all.Cc) != "bob@example.com,carol@example.com" {
		t.Errorf("reply-all to %s cc %s", addrs(all.To), addrs(all.Cc))
	}
	// Re: is not doubled.
	o.Header.Set("Subject", "RE: again")
	if s := Reply(o, own, false).Subject; s != "RE: again" {
		t.Errorf("subject %q", s)
	}
}

func TestReplyToAndOwnMessage(t *testing.T) {
	o, _ := ParseOriginal([]byte("From: a@example.org\r\nReply-To: list@example.org\r\nTo: me@example.net\r\nSubject: x\r\nMessage-ID: <x@y>\r\nIn-Reply-To: <p@y>\r\n\r\nbody\r\n"))
	r := Reply(o, own, true)
	if addrs(r.To) != "list@example.org" || len(r.Cc) != 0 {
		t.Errorf("Reply-To: to %s cc %s", addrs(r.To), addrs(r.Cc))
	}
	if strings.Join(r.References, " ") != "p@y x@y" {
		t.Errorf("references from In-Reply-To: %v", r.References)
	}
	// A message in Sent: the reply goes to its recipients again.
	sent, _ := ParseOriginal([]byte("From: me@example.net\r\nTo: bob@example.com\r\nCc: carol@example.com\r\nSubject: mine\r\n\r\nhi\r\n"))
	r = Reply(sent, own, true)
	if addrs(r.To) != "bob@example.com" || addrs(r.Cc) != "carol@example.com" || r.InReplyTo != "" {
		t.Errorf("own message: to %s cc %s", addrs(r.To), addrs(r.Cc))
	}
}

func TestForwardInline(t *testing.T) {
	o, _ := ParseOriginal([]byte(original))
	f := Forward(o, []byte(original), false)
	if f.Subject != "Fwd: Plans for März" || len(f.Attachments) != 1 {
		t.Errorf("forward %q %d attachments", f.Subject, len(f.Attachments))
	}
	for _, want := range []string{"-------- Forwarded Message --------\n", "Subject: Plans for März\n", "From: Alice Example <alice@example.org>\n",
		"To: Me <me@example.net>, Bob <bob@example.com>\n", "\nHallo,\nbis März.\n"} {
		if !strings.Contains(f.Text, want) {
			t.Errorf("forward text lacks %q:\n%s", want, f.Text)
		}
	}
	f.From, f.To = addr("", "me@example.net"), []*mail.Address{addr("", "z@example.com")}
	b, err := Build(f)
	if err != nil {
		t.Fatal(err)
	}
	_, _, atts := readBack(t, b.Bytes)
	if len(atts) != 1 || atts[0].Filename != "dot.png" || atts[0].ContentType != "image/png" {
		t.Errorf("carried attachments %+v", atts)
	}
}

func TestHTMLOnlyOriginal(t *testing.T) {
	o, err := ParseOriginal([]byte("From: a@example.org\r\nContent-Type: text/html\r\n\r\n<html><head><title>t</title><style>p{}</style></head><body><p>One  two</p><script>alert(1)</script><div>three<br>four</div></body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Text != "One two\nthree\nfour\n" {
		t.Errorf("text %q", o.Text)
	}
}

func TestForwardUnfitMessage(t *testing.T) {
	raw := []byte("Subject: bare\n\nlf only\n")
	o, err := ParseOriginal(raw)
	if err != nil {
		t.Fatal(err)
	}
	f := Forward(o, raw, true)
	f.From, f.To = addr("", "me@example.net"), []*mail.Address{addr("", "z@example.com")}
	b, err := Build(f)
	if err != nil {
		t.Fatal(err)
	}
	_, _, atts := readBack(t, b.Bytes)
	if len(atts) != 1 || atts[0].ContentType != "application/octet-stream" || !bytes.Equal(atts[0].Data, raw) {
		t.Errorf("unfit message attached as %+v", atts)
	}
}

// TestHTMLTextKeepsWordsApart: the text quoted from an HTML original keeps
// the whitespace between inline elements and between table cells, which
// the browser test saw run together ("Seed order:tomatoes", "TaskWho").
func TestHTMLTextKeepsWordsApart(t *testing.T) {
	for in, want := range map[string]string{
		`<p>Seed order: <b>tomatoes</b> and <i>beans</i></p>`:                                "Seed order: tomatoes and beans",
		`<p>Seed order:<b> tomatoes</b></p>`:                                                 "Seed order: tomatoes",
		`<span>a</span> <span>b</span>`:                                                      "a b",
		`<table><tr><th>Task</th><th>Who</th></tr><tr><td>Sow</td><td>Ann</td></tr></table>`: "Task Who\nSow Ann",
		`<p>one</p><p>two</p>`:                                                               "one\ntwo",
		`<p>x&nbsp;y <style>p{}</style>z</p>`:                                                "x y z", // a no-break space quotes as a space
	} {
		if got := htmlText(in); got != want {
			t.Errorf("htmlText(%q) = %q, want %q", in, got, want)
		}
	}
}
