package webmail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	gomail "github.com/emersion/go-message/mail"

	"github.com/mailserver/mailserver/store"
)

// fakeSubmitter stands in for cmd's submitter: the identities and the
// sender rule from the store, a size limit, and it records what it sent.
type fakeSubmitter struct {
	st  *store.Store
	max int64
	mu  sync.Mutex
	out []*Outgoing
}

func (f *fakeSubmitter) Identities(ctx context.Context, userID uint64, address string) ([]string, error) {
	u, err := f.st.UserByAddress(ctx, address)
	if err != nil {
		return nil, err
	}
	return f.st.SendAsAddresses(ctx, u)
}

func (f *fakeSubmitter) Submit(ctx context.Context, m *Outgoing) error {
	u, err := f.st.UserByAddress(ctx, m.UserAddress)
	if err != nil {
		return err
	}
	if ok, _ := f.st.MaySendAs(ctx, u, m.From); !ok {
		return ErrSenderNotAllowed
	}
	if int64(len(m.Message)) > f.max {
		return ErrMessageTooLarge
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = append(f.out, m)
	return nil
}

func (f *fakeSubmitter) MaxMessageBytes() int64 { return f.max }

func (f *fakeSubmitter) sent() []*Outgoing {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Outgoing(nil), f.out...)
}

func newComposeEnv(t *testing.T, max int64) (*testEnv, *fakeSubmitter) {
	t.Helper()
	sub := &fakeSubmitter{max: max}
	e := newTestEnv(t, func(o *Options) { o.Submitter = sub })
	sub.st = e.st
	if err := e.st.AddAlias(context.Background(), "sales@example.test", []string{"alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	return e, sub
}

// file is an upload for postMultipart.
type file struct {
	name, ctype string
	data        []byte
}

// postMultipart posts a multipart form (the compose form) with files in
// the field attach; header adds request headers.
func (c *client) postMultipart(path string, form url.Values, files []file, header map[string]string) (*http.Response, string) {
	c.e.t.Helper()
	if _, ok := form["csrf"]; !ok && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="attach"; filename=%q`, f.name)}
		if f.ctype != "" {
			h["Content-Type"] = []string{f.ctype}
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			c.e.t.Fatal(err)
		}
		pw.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest("POST", c.e.srv.URL+path, &buf)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// messages returns the bytes and flags of a user's mailbox's messages.
func (e *testEnv) messages(u *store.User, name string) ([][]byte, []store.Message) {
	e.t.Helper()
	ctx := context.Background()
	mb := e.mailbox(u, name)
	msgs, err := e.st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var raws [][]byte
	for _, m := range msgs {
		b, err := e.st.ReadBodyBytes(m.BodyID)
		if err != nil {
			e.t.Fatal(err)
		}
		raws = append(raws, b)
	}
	return raws, msgs
}

// parts parses a message into its text and attachments with go-message.
func parts(t *testing.T, raw []byte) (gomail.Header, string, map[string][]byte) {
	t.Helper()
	mr, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	text, atts := "", map[string][]byte{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p.Body)
		switch h := p.Header.(type) {
		case *gomail.InlineHeader:
			text = string(b)
		case *gomail.AttachmentHeader:
			name, _ := h.Filename()
			atts[name] = b
		}
	}
	return mr.Header, text, atts
}

func formValues(v ...string) url.Values {
	f := url.Values{"keep_present": {"1"}}
	for i := 0; i+1 < len(v); i += 2 {
		f.Set(v[i], v[i+1])
	}
	return f
}

func TestComposeNeedsSessionAndCSRF(t *testing.T) {
	e, sub := newComposeEnv(t, 1<<20)
	anon := e.client()
	if r, _ := anon.get("/webmail/compose"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/webmail/login" {
		t.Errorf("compose page without session: %s %s", r.Status, r.Header.Get("Location"))
	}
	for _, p := range []string{"/webmail/compose/send", "/webmail/compose/save"} {
		if r, _ := anon.post(p, formValues("to", "bob@example.test", "from", "alice@example.test")); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without session: %s", p, r.Status)
		}
	}
	c := e.client().mustLogin("alice@example.test")
	for _, p := range []string{"/webmail/compose/send", "/webmail/compose/save"} {
		form := formValues("to", "bob@example.test", "from", "alice@example.test", "csrf", "wrong")
		if r, _ := c.postMultipart(p, form, nil, nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s with a wrong CSRF token: %s", p, r.Status)
		}
	}
	if len(sub.sent()) != 0 {
		t.Error("sent without session or token")
	}
	if raws, _ := e.messages(e.alice, "Drafts"); len(raws) != 0 {
		t.Error("draft saved without token")
	}
	// The page has the DOM hooks and a label for every control.
	r, body := c.get("/webmail/compose")
	if r.StatusCode != 200 {
		t.Fatalf("compose page: %s", r.Status)
	}
	for _, id := range []string{"compose-form", "compose-to", "compose-subject", "compose-body", "compose-attach", "compose-send", "compose-from", "compose-cc", "compose-bcc"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("no #%s", id)
		}
	}
	for _, m := range regexp.MustCompile(`<(?:input|select|textarea)[^>]*\bid="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `for="`+m[1]+`"`) {
			t.Errorf("control #%s has no label", m[1])
		}
	}
	if !strings.Contains(body, `<option value="sales@example.test">`) {
		t.Error("the alias is not offered as an identity")
	}
}

func TestComposeSendWithAttachmentAndSentCopy(t *testing.T) {
	e, sub := newComposeEnv(t, 1<<20)
	c := e.client().mustLogin("alice@example.test")
	bin := make([]byte, 70_001)
	rand.Read(bin)
	form := formValues("from", "sales@example.test", "to", "Bob <bob@example.test>", "cc", "carol@remote.test",
		"bcc", "secret@remote.test", "subject", "Grüße", "body", "Hallo Bob,\nanbei.\n")
	r, body := c.postMultipart("/webmail/compose/send", form, []file{{"Bericht ü.bin", "application/octet-stream", bin}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %s\n%s", r.Status, body)
	}
	sent := sub.sent()
	if len(sent) != 1 {
		t.Fatalf("%d submitted", len(sent))
	}
	m := sent[0]
	if m.From != "sales@example.test" || m.UserID != e.alice.ID || strings.Join(m.Recipients, ",") != "bob@example.test,carol@remote.test,secret@remote.test" {
		t.Errorf("envelope %s %v", m.From, m.Recipients)
	}
	if bytes.Contains(bytes.ToLower(m.Message), []byte("bcc:")) || bytes.Contains(m.Message, []byte("secret@")) {
		t.Error("Bcc in the message sent")
	}
	h, text, atts := parts(t, m.Message)
	if s, _ := h.Subject(); s != "Grüße" || text != "Hallo Bob,\r\nanbei.\r\n" {
		t.Errorf("subject %q text %q", s, text)
	}
	if !bytes.Equal(atts["Bericht ü.bin"], bin) {
		t.Errorf("attachment not byte-identical: %d attachments", len(atts))
	}
	// The sent copy, with the Bcc, \Seen.
	raws, msgs := e.messages(e.alice, "Sent")
	if len(raws) != 1 || !msgs[0].HasFlag(`\Seen`) || !bytes.Contains(raws[0], []byte("Bcc: <secret@remote.test>")) {
		t.Fatalf("Sent: %d messages", len(raws))
	}
	if _, _, a := parts(t, raws[0]); !bytes.Equal(a["Bericht ü.bin"], bin) {
		t.Error("sent copy's attachment differs")
	}
}

func TestComposeSenderRules(t *testing.T) {
	e, sub := newComposeEnv(t, 1<<20)
	c := e.client().mustLogin("alice@example.test")
	for _, from := range []string{"bob@example.test", "postmaster@example.test", "someone@remote.test"} {
		r, body := c.postMultipart("/webmail/compose/send", formValues("from", from, "to", "bob@example.test", "body", "x"), nil, nil)
		if r.StatusCode != http.StatusForbidden || !strings.Contains(body, "You may not send as "+from) {
			t.Errorf("from %s: %s", from, r.Status)
		}
	}
	if len(sub.sent()) != 0 {
		t.Errorf("sent as someone else: %d", len(sub.sent()))
	}
	// A +tag of an identity is the identity.
	if r, body := c.postMultipart("/webmail/compose/send", formValues("from", "Alice+news@example.test", "to", "bob@example.test", "body", "x"), nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("from a +tag: %s\n%s", r.Status, body)
	}
	// Bad addresses are shown with the form kept.
	r, body := c.postMultipart("/webmail/compose/send", formValues("from", "alice@example.test", "to", "bob@, ann@example.org", "subject", "keep me", "body", "x"), nil, nil)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not an address") || !strings.Contains(body, `value="keep me"`) {
		t.Errorf("bad address: %s\n%s", r.Status, body)
	}
	if r, _ := c.postMultipart("/webmail/compose/send", formValues("from", "alice@example.test", "body", "x"), nil, nil); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("no recipient: %s", r.Status)
	}
}

func TestComposeSizeLimit(t *testing.T) {
	e, sub := newComposeEnv(t, 20_000)
	c := e.client().mustLogin("alice@example.test")
	big := bytes.Repeat([]byte("0123456789"), 2_000) // 20,000 octets, more in base64
	r, body := c.postMultipart("/webmail/compose/send", formValues("from", "alice@example.test", "to", "bob@example.test", "body", "x"),
		[]file{{"big.bin", "", big}}, nil)
	if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(html.UnescapeString(body), "the server sends at most 20 KB") {
		t.Errorf("over the limit: %s\n%s", r.Status, body)
	}
	if len(sub.sent()) != 0 {
		t.Error("a message over the limit was sent")
	}
	// Over the upload limit itself, the request is refused before reading.
	e2 := newTestEnv(t, func(o *Options) { o.Submitter = &fakeSubmitter{max: 1000}; o.MaxUploadBytes = 5000 })
	c2 := e2.client().mustLogin("alice@example.test")
	if r, _ := c2.postMultipart("/webmail/compose/send", formValues("from", "alice@example.test", "to", "bob@example.test"),
		[]file{{"big.bin", "", big}}, nil); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over the upload limit: %s", r.Status)
	}
}

func TestComposeReplyAnswersOriginal(t *testing.T) {
	e, sub := newComposeEnv(t, 1<<20)
	uid := e.deliver(e.alice, "INBOX", "From: Carol <carol@remote.test>\nTo: sales@example.test, dave@remote.test\nCc: alice@example.test\n"+
		"Subject: Question\nMessage-ID: <q1@remote.test>\nDate: Tue, 01 Dec 2026 09:00:00 +0000\n\nHow much?\n")
	inbox := e.mailbox(e.alice, "INBOX")
	c := e.client().mustLogin("alice@example.test")
	r, body := c.get(fmt.Sprintf("/webmail/compose?mode=reply-all&mailbox=%d&uid=%d", inbox.ID, uid))
	if r.StatusCode != 200 {
		t.Fatalf("reply page: %s", r.Status)
	}
	for _, want := range []string{`value="Carol &lt;carol@remote.test&gt;"`, `value="dave@remote.test"`, `value="Re: Question"`,
		`name="in_reply_to" value="q1@remote.test"`, `&gt; How much?`, `<option value="sales@example.test" selected>`} {
		if !strings.Contains(body, want) {
			t.Errorf("reply form lacks %s", want)
		}
	}
	form := formValues("from", "sales@example.test", "to", "carol@remote.test", "subject", "Re: Question", "body", "Ten.\n\n> How much?\n",
		"in_reply_to", "q1@remote.test", "references", "q1@remote.test",
		"reply_mailbox", fmt.Sprint(inbox.ID), "reply_uid", fmt.Sprint(uid))
	if r, body := c.postMultipart("/webmail/compose/send", form, nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send reply: %s\n%s", r.Status, body)
	}
	h, _, _ := parts(t, sub.sent()[0].Message)
	if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) != 1 || irt[0] != "q1@remote.test" {
		t.Errorf("In-Reply-To %v", irt)
	}
	_, msgs := e.messages(e.alice, "INBOX")
	if !msgs[0].HasFlag(`\Answered`) {
		t.Errorf("original flags %v", msgs[0].Flags)
	}
}

func TestComposeIsolation(t *testing.T) {
	e, sub := newComposeEnv(t, 1<<20)
	uid := e.deliver(e.bob, "INBOX", "From: x@remote.test\nSubject: bob's secret\n\nsecret text\n")
	bobInbox := e.mailbox(e.bob, "INBOX")
	c := e.client().mustLogin("alice@example.test")
	for _, q := range []string{"mode=reply", "mode=forward", "mode=forward-attachment"} {
		if r, body := c.get(fmt.Sprintf("/webmail/compose?%s&mailbox=%d&uid=%d", q, bobInbox.ID, uid)); r.StatusCode != http.StatusNotFound || strings.Contains(body, "secret") {
			t.Errorf("%s of bob's message: %s", q, r.Status)
		}
	}
	duid := e.deliver(e.bob, "Drafts", "From: bob@example.test\nSubject: bob's draft\n\nsecret draft\n")
	if r, _ := c.get(fmt.Sprintf("/webmail/compose?draft=%d", duid)); r.StatusCode != http.StatusNotFound {
		t.Errorf("bob's draft UID in alice's Drafts: %s", r.Status)
	}
	// Forwarding or replying to bob's message by forged fields carries
	// nothing of it and flags nothing.
	form := formValues("from", "alice@example.test", "to", "eve@remote.test", "body", "x",
		"fwd_mailbox", fmt.Sprint(bobInbox.ID), "fwd_uid", fmt.Sprint(uid), "fwd_mode", "attachment",
		"reply_mailbox", fmt.Sprint(bobInbox.ID), "reply_uid", fmt.Sprint(uid), "draft", fmt.Sprint(duid))
	if r, body := c.postMultipart("/webmail/compose/send", form, nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %s\n%s", r.Status, body)
	}
	if m := sub.sent()[0].Message; bytes.Contains(m, []byte("secret")) {
		t.Errorf("bob's mail leaked:\n%s", m)
	}
	_, msgs := e.messages(e.bob, "INBOX")
	if msgs[0].HasFlag(`\Answered`) || msgs[0].HasFlag("$Forwarded") {
		t.Errorf("bob's message flagged: %v", msgs[0].Flags)
	}
	if raws, _ := e.messages(e.bob, "Drafts"); len(raws) != 1 {
		t.Errorf("bob's draft removed by alice's send: %d left", len(raws))
	}
}

// saveJSON saves a draft the way the page's script does.
func saveJSON(t *testing.T, c *client, form url.Values, files []file) (uint32, []string) {
	t.Helper()
	r, body := c.postMultipart("/webmail/compose/save", form, files, map[string]string{"X-CSRF-Token": c.csrf, "X-Requested-With": "fetch"})
	if r.StatusCode != 200 {
		t.Fatalf("save: %s\n%s", r.Status, body)
	}
	var out struct {
		Draft       uint32
		Attachments []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("save answer %q: %v", body, err)
	}
	var names []string
	for _, a := range out.Attachments {
		names = append(names, a.Name)
	}
	return out.Draft, names
}

func TestDraftsReplaceAndSurviveReload(t *testing.T) {
	e, sub := newComposeEnv(t, 1<<20)
	c := e.client().mustLogin("alice@example.test")
	form := formValues("from", "alice@example.test", "to", "bob@", "subject", "Plan", "body", "first version")
	form.Del("csrf")
	uid1, names := saveJSON(t, c, form, []file{{"a.txt", "text/plain", []byte("file a")}})
	if uid1 == 0 || strings.Join(names, ",") != "a.txt" {
		t.Fatalf("first save: %d %v", uid1, names)
	}
	// An address being typed is kept as typed.
	if _, body := c.get(fmt.Sprintf("/webmail/compose?draft=%d", uid1)); !strings.Contains(body, `id="compose-to" name="to" value="bob@"`) {
		t.Error("the half-typed To was not kept in the draft")
	}
	form = formValues("from", "alice@example.test", "to", "bob@example.test", "bcc", "hidden@remote.test", "subject", "Plan",
		"body", "second version", "draft", fmt.Sprint(uid1), "keep", "0")
	uid2, names := saveJSON(t, c, form, []file{{"b.txt", "", []byte("file b")}})
	if uid2 == uid1 || strings.Join(names, ",") != "a.txt,b.txt" {
		t.Fatalf("second save: %d %v", uid2, names)
	}
	raws, msgs := e.messages(e.alice, "Drafts")
	if len(raws) != 1 || msgs[0].UID != uid2 || !msgs[0].HasFlag(`\Draft`) {
		t.Fatalf("Drafts holds %d messages (want only the new version)", len(raws))
	}
	if _, text, atts := parts(t, raws[0]); text != "second version\r\n" || string(atts["a.txt"]) != "file a" || string(atts["b.txt"]) != "file b" {
		t.Errorf("draft text %q, attachments %v", text, atts)
	}
	// A reload shows the draft.
	r, body := c.get(fmt.Sprintf("/webmail/compose?draft=%d", uid2))
	for _, want := range []string{"second version", `value="bob@example.test"`, `value="hidden@remote.test"`, `name="draft" value="` + fmt.Sprint(uid2), "a.txt", "b.txt"} {
		if !strings.Contains(body, want) {
			t.Errorf("reloaded draft (%s) lacks %s", r.Status, want)
		}
	}
	// Without the script: Save draft redirects to the draft.
	form = formValues("from", "alice@example.test", "to", "bob@example.test", "subject", "Plan", "body", "third", "draft", fmt.Sprint(uid2), "keep", "1")
	r, _ = c.postMultipart("/webmail/compose/save", form, nil, nil)
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/webmail/compose?draft=") {
		t.Fatalf("plain save: %s %s", r.Status, loc)
	}
	raws, msgs = e.messages(e.alice, "Drafts")
	if len(raws) != 1 {
		t.Fatalf("Drafts holds %d", len(raws))
	}
	if _, _, atts := parts(t, raws[0]); len(atts) != 1 || string(atts["b.txt"]) != "file b" {
		t.Errorf("kept only b.txt? %v", atts)
	}
	// Sending the draft removes it and sends its attachments.
	form.Set("draft", fmt.Sprint(msgs[0].UID))
	form.Set("keep", "0")
	if r, body := c.postMultipart("/webmail/compose/send", form, nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send draft: %s\n%s", r.Status, body)
	}
	if raws, _ := e.messages(e.alice, "Drafts"); len(raws) != 0 {
		t.Errorf("Drafts holds %d after sending", len(raws))
	}
	if _, _, atts := parts(t, sub.sent()[0].Message); string(atts["b.txt"]) != "file b" {
		t.Errorf("sent attachments %v", atts)
	}
}

func TestComposeForwardAsAttachment(t *testing.T) {
	e, sub := newComposeEnv(t, 1<<20)
	orig := "From: Carol <carol@remote.test>\r\nTo: alice@example.test\r\nSubject: Report\r\nMessage-ID: <r1@remote.test>\r\n\r\nThe report.\r\n"
	uid := e.deliver(e.alice, "INBOX", orig)
	inbox := e.mailbox(e.alice, "INBOX")
	c := e.client().mustLogin("alice@example.test")
	r, body := c.get(fmt.Sprintf("/webmail/compose?mode=forward-attachment&mailbox=%d&uid=%d", inbox.ID, uid))
	if r.StatusCode != 200 || !strings.Contains(body, `value="Fwd: Report"`) || !strings.Contains(body, "Report.eml") {
		t.Fatalf("forward page: %s", r.Status)
	}
	form := formValues("from", "alice@example.test", "to", "dave@remote.test", "subject", "Fwd: Report", "body", "FYI",
		"fwd_mailbox", fmt.Sprint(inbox.ID), "fwd_uid", fmt.Sprint(uid), "fwd_mode", "attachment", "keep", "0")
	if r, body := c.postMultipart("/webmail/compose/send", form, nil, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %s\n%s", r.Status, body)
	}
	_, _, atts := parts(t, sub.sent()[0].Message)
	if string(atts["Report.eml"]) != orig {
		t.Errorf("forwarded message %q", atts["Report.eml"])
	}
	_, msgs := e.messages(e.alice, "INBOX")
	if !msgs[0].HasFlag("$Forwarded") {
		t.Errorf("original flags %v", msgs[0].Flags)
	}
	// Inline: the text and a header block.
	r, body = c.get(fmt.Sprintf("/webmail/compose?mode=forward&mailbox=%d&uid=%d", inbox.ID, uid))
	if !strings.Contains(body, "-------- Forwarded Message --------") || !strings.Contains(body, "The report.") {
		t.Errorf("inline forward page: %s", r.Status)
	}
}

// TestComposeSendWithCurl posts the compose form with curl, a multipart
// encoder nobody here wrote.
func TestComposeSendWithCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is needed (Debian package curl)")
	}
	e, sub := newComposeEnv(t, 1<<20)
	c := e.client().mustLogin("alice@example.test")
	var session string
	for _, ck := range c.hc.Jar.Cookies(mustURL(t, e.srv.URL+"/webmail/")) {
		if ck.Name == sessionCookie {
			session = ck.Value
		}
	}
	dir := t.TempDir()
	img := make([]byte, 4096)
	rand.Read(img)
	path := filepath.Join(dir, "Ünïcode photo.png")
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(curl, "-sS", "-k", "-o", "/dev/null", "-w", "%{http_code}",
		"-b", sessionCookie+"="+session,
		"-F", "csrf="+c.csrf, "-F", "from=alice@example.test", "-F", "to=bob@example.test",
		"-F", "subject=via curl", "-F", "body=Hello from curl", "-F", "keep_present=1",
		"-F", "attach=@"+path+";type=image/png",
		e.srv.URL+"/webmail/compose/send")
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "303" {
		t.Fatalf("curl: %v %s", err, out)
	}
	sent := sub.sent()
	if len(sent) != 1 {
		t.Fatalf("%d sent", len(sent))
	}
	_, text, atts := parts(t, sent[0].Message)
	if text != "Hello from curl\r\n" || !bytes.Equal(atts["Ünïcode photo.png"], img) {
		t.Errorf("text %q, attachments %d", text, len(atts))
	}
	if !bytes.Contains(sent[0].Message, []byte("Content-Type: image/png")) {
		t.Error("the declared type was not kept")
	}
}
