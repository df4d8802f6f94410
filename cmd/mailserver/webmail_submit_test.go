package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/mailserver/mailserver/httpd/webmail"
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/queue/dkimtest"
	"github.com/mailserver/mailserver/store"
)

type submitEnv struct {
	st         *store.Store
	s          *submitter
	alice, bob *store.User
}

func newSubmitEnv(t *testing.T) *submitEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	e := &submitEnv{st: st}
	if e.alice, err = st.AddUser(ctx, "alice@example.test", "pw-alice-123"); err != nil {
		t.Fatal(err)
	}
	if e.bob, err = st.AddUser(ctx, "bob@example.test", "pw-bob-123"); err != nil {
		t.Fatal(err)
	}
	if err := st.AddAlias(ctx, "sales@example.test", []string{"alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	q := queue.New(st, queue.Options{Hostname: "mx.example.test", DKIM: st})
	e.s = &submitter{st: st, q: q, log: slog.New(slog.DiscardHandler), hostname: "mx.example.test",
		maxBytes: 64 << 10, maxRcpts: 5, now: time.Now}
	return e
}

func (e *submitEnv) msg(from string, to []string, header string) *webmail.Outgoing {
	raw := "From: " + from + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: test\r\n" + header +
		"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\nMessage-ID: <t1@example.test>\r\n\r\nHello Bob.\r\n"
	return &webmail.Outgoing{UserID: e.alice.ID, UserAddress: e.alice.Address, From: from, Recipients: to, Message: []byte(raw)}
}

func (e *submitEnv) inbox(t *testing.T, u *store.User) [][]byte {
	t.Helper()
	ctx := context.Background()
	mb, err := e.st.MailboxByName(ctx, u.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := e.st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := e.st.ReadBodyBytes(m.BodyID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestWebmailSubmitDeliversAndSigns(t *testing.T) {
	e := newSubmitEnv(t)
	ctx := context.Background()
	if err := e.s.Submit(ctx, e.msg("alice@example.test", []string{"bob@example.test", "carol@remote.test"}, "")); err != nil {
		t.Fatal(err)
	}
	got := e.inbox(t, e.bob)
	if len(got) != 1 || !bytes.Contains(got[0], []byte("(authenticated as alice@example.test)")) ||
		!bytes.HasPrefix(got[0], []byte("Return-Path: <alice@example.test>\r\n")) {
		t.Fatalf("bob's INBOX: %q", got)
	}
	qs, err := e.st.QueueList(ctx)
	if err != nil || len(qs) != 1 {
		t.Fatalf("queue: %v %v", qs, err)
	}
	if qs[0].Meta["auth"] != "alice@example.test" || qs[0].Recipients[0].Address != "carol@remote.test" || qs[0].Sender != "alice@example.test" {
		t.Errorf("queued %+v", qs[0])
	}
	body, err := e.st.ReadBodyBytes(qs[0].BodyID)
	if err != nil {
		t.Fatal(err)
	}
	// The submission path signs what leaves (queue/dkim.go); dkimpy, not
	// our code, checks the signatures.
	keys, err := e.st.DKIMKeys(ctx, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, body, dkimtest.Records(keys)), "example.test")

	// An alias that delivers to alice is one of her identities.
	if err := e.s.Submit(ctx, e.msg("sales@example.test", []string{"bob@example.test"}, "")); err != nil {
		t.Errorf("as an alias: %v", err)
	}
	ids, err := e.s.Identities(ctx, e.alice.ID, e.alice.Address)
	if err != nil || strings.Join(ids, " ") != "alice@example.test sales@example.test" {
		t.Errorf("identities %v %v", ids, err)
	}
}

func TestWebmailSubmitRefusals(t *testing.T) {
	e := newSubmitEnv(t)
	ctx := context.Background()
	to := []string{"bob@example.test"}
	big := e.msg("alice@example.test", to, "")
	big.Message = append(big.Message, bytes.Repeat([]byte("x"), 64<<10)...)
	other := e.msg("alice@example.test", to, "")
	other.UserID = e.bob.ID
	headerFrom := e.msg("alice@example.test", to, "")
	headerFrom.Message = bytes.Replace(headerFrom.Message, []byte("From: alice@"), []byte("From: bob@"), 1)
	for name, c := range map[string]struct {
		m    *webmail.Outgoing
		want error
	}{
		"envelope as bob":      {e.msg("bob@example.test", to, ""), webmail.ErrSenderNotAllowed},
		"header as bob":        {headerFrom, webmail.ErrSenderNotAllowed},
		"two From":             {e.msg("alice@example.test", to, "From: alice@example.test\r\n"), webmail.ErrSenderNotAllowed},
		"Sender as bob":        {e.msg("alice@example.test", to, "Sender: bob@example.test\r\n"), webmail.ErrSenderNotAllowed},
		"From list, no Sender": {e.msg("alice@example.test, sales@example.test", to, ""), webmail.ErrSenderNotAllowed},
		"catch-all style":      {e.msg("whoever@example.test", to, ""), webmail.ErrSenderNotAllowed},
		"too large":            {big, webmail.ErrMessageTooLarge},
	} {
		if err := e.s.Submit(ctx, c.m); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	var re *webmail.RecipientsError
	if err := e.s.Submit(ctx, e.msg("alice@example.test", []string{"bob@example.test", "nobody@example.test"}, "")); !errors.As(err, &re) ||
		len(re.Refused) != 1 || re.Refused[0].Address != "nobody@example.test" {
		t.Errorf("unknown local recipient: %v", err)
	}
	if err := e.s.Submit(ctx, e.msg("alice@example.test", strings.Split("a@x.test,b@x.test,c@x.test,d@x.test,e@x.test,f@x.test", ","), "")); !errors.As(err, &re) {
		t.Errorf("too many recipients: %v", err)
	}
	if err := e.s.Submit(ctx, other); err == nil || errors.Is(err, webmail.ErrSenderNotAllowed) {
		t.Errorf("a session whose user ID is not the address's: %v", err)
	}
	if got := e.inbox(t, e.bob); len(got) != 0 {
		t.Errorf("refused messages were delivered: %d", len(got))
	}
	if qs, _ := e.st.QueueList(ctx); len(qs) != 0 {
		t.Errorf("refused messages were queued: %d", len(qs))
	}
}

// TestWebmailSendThroughSubmitter is the whole way: the webmail's compose
// form, posted over HTTP, through this submitter and the real queue: the
// local recipient gets the attachment byte for byte, the remote one is
// queued DKIM-signed (checked by dkimpy), the sent copy is in Sent.
func TestWebmailSendThroughSubmitter(t *testing.T) {
	e := newSubmitEnv(t)
	ctx := context.Background()
	h, err := webmail.New(webmail.Options{Store: e.st, Submitter: e.s, Hostname: "mx.example.test", InsecureCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Close(); srv.Close() })
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	token := func(body string) string {
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no CSRF token in\n%s", body)
		}
		return m[1]
	}
	get := func(path string) string {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	resp, err := hc.PostForm(srv.URL+"/webmail/login", url.Values{"csrf": {token(get("/webmail/login"))},
		"address": {"alice@example.test"}, "password": {"pw-alice-123"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	page := get("/webmail/compose")
	attachment := make([]byte, 30_000)
	for i := range attachment {
		attachment[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": token(page), "from": "sales@example.test", "to": "Bob <bob@example.test>, carol@remote.test",
		"subject": "Angebot für Carol", "body": "Grüße,\nim Anhang.\n", "keep_present": "1"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("attach", "Angebot 2026.pdf")
	fw.Write(attachment)
	mw.Close()
	resp, err = hc.Post(srv.URL+"/webmail/compose/send", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %s\n%s", resp.Status, b)
	}
	got := e.inbox(t, e.bob)
	if len(got) != 1 {
		t.Fatalf("bob has %d messages", len(got))
	}
	mr, err := mail.CreateReader(bytes.NewReader(got[0]))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := mr.Header.Subject(); s != "Angebot für Carol" {
		t.Errorf("subject %q", s)
	}
	found := false
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := ah.Filename()
			data, _ := io.ReadAll(p.Body)
			found = name == "Angebot 2026.pdf" && bytes.Equal(data, attachment)
		}
	}
	if !found {
		t.Error("bob's copy lacks the attachment, byte for byte")
	}
	qs, _ := e.st.QueueList(ctx)
	if len(qs) != 1 {
		t.Fatalf("queue: %d entries", len(qs))
	}
	body, _ := e.st.ReadBodyBytes(qs[0].BodyID)
	keys, _ := e.st.DKIMKeys(ctx, "example.test")
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, body, dkimtest.Records(keys)), "example.test")
	mb, _ := e.st.MailboxByName(ctx, e.alice.ID, "Sent")
	if mb.Messages != 1 {
		t.Errorf("Sent holds %d", mb.Messages)
	}
	// Sending as bob through the form is refused by the page and, were
	// the page fooled, by the submitter.
	page = get("/webmail/compose")
	resp, _ = hc.PostForm(srv.URL+"/webmail/compose/send", url.Values{"csrf": {token(page)}, "from": {"bob@example.test"},
		"to": {"carol@remote.test"}, "body": {"x"}, "keep_present": {"1"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("as bob: %s", resp.Status)
	}
}
