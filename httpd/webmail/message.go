package webmail

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"github.com/mailserver/mailserver/store"
)

// routesMessage registers the message view and what it links to.
func (h *Handler) routesMessage(mux *http.ServeMux) {
	mux.HandleFunc("GET /webmail/message/{mbox}/{uid}", h.requireUser(h.serveMessage))
	mux.HandleFunc("GET /webmail/message/{mbox}/{uid}/frame", h.requireUser(h.serveFrame))
	mux.HandleFunc("GET /webmail/message/{mbox}/{uid}/part/{part}", h.requireUser(h.servePart))
	mux.HandleFunc("GET /webmail/message/{mbox}/{uid}/raw", h.requireUser(h.serveRaw))
}

// openedMessage is a message of the session's user, read and parsed.
type openedMessage struct {
	Mailbox *store.Mailbox
	Msg     store.Message
	Raw     []byte
	Parsed  *parsedMessage
}

// openMessage reads the message the path names (mailbox ID and UID),
// which must be the session user's: the mailbox is looked up under the
// user's ID, so another user's IDs are simply not found (404).
func (h *Handler) openMessage(w http.ResponseWriter, r *http.Request, s *Session) (*openedMessage, bool) {
	mb, ok := h.mailboxParam(w, r, s)
	if !ok {
		return nil, false
	}
	uid, err := strconv.ParseUint(r.PathValue("uid"), 10, 32)
	if err != nil || uid == 0 {
		http.NotFound(w, r)
		return nil, false
	}
	release := h.o.Store.HoldBodies()
	defer release()
	msgs, err := h.o.Store.GetMessages(r.Context(), s.UserID, mb.ID, []uint32{uint32(uid)})
	if err != nil {
		h.serverError(w, r, err)
		return nil, false
	}
	if len(msgs) == 0 {
		http.NotFound(w, r)
		return nil, false
	}
	raw, err := h.o.Store.ReadBodyBytes(msgs[0].BodyID)
	if errors.Is(err, store.ErrNoSuchMessage) {
		http.NotFound(w, r) // expunged meanwhile
		return nil, false
	}
	if err != nil {
		h.serverError(w, r, err)
		return nil, false
	}
	pm, err := parseMessage(raw)
	if err != nil {
		pm = &parsedMessage{}
	}
	return &openedMessage{Mailbox: mb, Msg: msgs[0], Raw: raw, Parsed: pm}, true
}

// attachmentView is one attachment's entry.
type attachmentView struct {
	Path, Name, Type string
	Size             int64
	URL              string
}

// messageData is the message view's data.
type messageData struct {
	Mailbox     *store.Mailbox
	Folders     []folder
	UID         uint32
	Subject     string
	From, To    string
	Cc, ReplyTo string
	Date        time.Time
	Seen        bool
	Flagged     bool
	Auth        authVerdict
	FrameURL    string
	HasBody     bool
	Remote      bool // the HTML has remote images
	ShowRemote  bool
	RemoteURL   string
	Attachments []attachmentView
	Headers     string // the full header section, when asked for
	HeadersURL  string
	RawURL      string
	Base        string // this message's URL
	Truncated   bool
}

func (d *messageData) PageTitle() string {
	if d.Subject == "" {
		return "(no subject)"
	}
	return d.Subject
}

// messageURL is the view's URL of a message.
func messageURL(mailboxID uint64, uid uint32) string {
	return fmt.Sprintf("/webmail/message/%d/%d", mailboxID, uid)
}

// serveMessage is the message view: the header fields, the
// authentication verdict, the body in its frame, the attachments, and
// the full header section with ?headers=1. Opening a message marks it
// read, as a mail client does.
func (h *Handler) serveMessage(w http.ResponseWriter, r *http.Request, s *Session) {
	om, ok := h.openMessage(w, r, s)
	if !ok {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	// The page's own refresh (live updates) does not count as opening.
	if !om.Msg.HasFlag(`\Seen`) && !isFetch(r) {
		if _, err := h.o.Store.StoreFlags(ctx, s.UserID, om.Mailbox.ID, []uint32{om.Msg.UID}, store.FlagsAdd,
			[]string{`\Seen`}, store.StoreFlagsOptions{}); err != nil {
			h.log.Warn("webmail: mark read", "err", err)
		}
	}
	mh := mail.Header{Header: message.Header{Header: om.Parsed.Header}}
	env := envelopeOf(mh)
	base := messageURL(om.Mailbox.ID, om.Msg.UID)
	d := &messageData{
		Mailbox: om.Mailbox, UID: om.Msg.UID, Subject: env.Subject, Date: env.Date,
		From: addressText(mh, "From"), To: addressText(mh, "To"), Cc: addressText(mh, "Cc"),
		ReplyTo: addressText(mh, "Reply-To"),
		Seen:    true, Flagged: om.Msg.HasFlag(`\Flagged`),
		Auth:       authVerdictOf(om.Parsed.Header, h.o.Hostname),
		ShowRemote: q.Get("remote") == "1",
		Base:       base, RawURL: base + "/raw", HeadersURL: base + "?headers=1",
		Truncated: om.Parsed.Truncated,
	}
	if d.Date.IsZero() {
		d.Date = om.Msg.InternalDate
	}
	if b := om.Parsed.Body; b != nil {
		d.HasBody = true
		d.FrameURL = base + "/frame"
		if d.ShowRemote {
			d.FrameURL += "?remote=1"
		}
		if b.Type == "text/html" {
			d.Remote = sanitizeHTML(h.sanitizer, b.text(), om.Parsed, false).Remote
		}
		d.RemoteURL = base + "?remote=1"
	}
	for _, p := range om.Parsed.Parts {
		if !p.isAttachment() || p == om.Parsed.Body {
			continue
		}
		name := p.Filename
		if name == "" {
			name = "part-" + p.Path + extensionFor(p.Type)
		}
		d.Attachments = append(d.Attachments, attachmentView{Path: p.Path, Name: name, Type: p.Type,
			Size: int64(p.Size), URL: base + "/part/" + p.Path})
	}
	if q.Get("headers") == "1" {
		d.Headers = headerSection(om.Raw)
	}
	folders, err := h.folders(ctx, s.UserID, om.Mailbox.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Folders = folders
	h.render(w, r, s, "message", d)
}

// addressText is an address field for display, decoded.
func addressText(h mail.Header, key string) string {
	list, err := h.AddressList(key)
	if err != nil || len(list) == 0 {
		return decodeWords(h.Get(key))
	}
	parts := make([]string, len(list))
	for i, a := range list {
		if a.Name != "" {
			parts[i] = a.Name + " <" + a.Address + ">"
		} else {
			parts[i] = a.Address
		}
	}
	return strings.Join(parts, ", ")
}

// headerSection is the raw header section of a message, as text.
func headerSection(raw []byte) string {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = min(len(raw), maxHeaderBytes)
	}
	return strings.ToValidUTF8(string(raw[:end]), "\uFFFD")
}

// frameCSP is the message frame's policy: no script of any kind, no
// network access except (when asked) remote images, styles only inline
// (the message's own), sandboxed even when opened on its own.
func frameCSP(remote bool) string {
	img := "img-src data:"
	if remote {
		img += " https: http:"
	}
	return "default-src 'none'; style-src 'unsafe-inline'; " + img +
		"; font-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'; sandbox allow-popups allow-popups-to-escape-sandbox"
}

// frameTemplate wraps a message body for the frame.
var frameTemplate = template.Must(template.New("frame").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<style>body{margin:8px;font-family:system-ui,sans-serif;font-size:15px;line-height:1.4;color:#1a1a1a;background:#fff;overflow-wrap:anywhere}
pre{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:14px;margin:0}img{max-width:100%;height:auto}
blockquote{margin:0 0 0 8px;padding-left:8px;border-left:2px solid #ccc}</style>
</head><body>{{if .Plain}}<pre>{{.Plain}}</pre>{{else}}{{.HTML}}{{end}}</body></html>
`))

// serveFrame is the message body alone, for the sandboxed iframe of the
// view: text/plain escaped, text/html sanitised (sanitize.go), with its
// own strict CSP. Remote images only with ?remote=1.
func (h *Handler) serveFrame(w http.ResponseWriter, r *http.Request, s *Session) {
	om, ok := h.openMessage(w, r, s)
	if !ok {
		return
	}
	remote := r.URL.Query().Get("remote") == "1"
	var data struct {
		Plain template.HTML
		HTML  template.HTML
	}
	if b := om.Parsed.Body; b != nil {
		if b.Type == "text/html" {
			data.HTML = template.HTML(sanitizeHTML(h.sanitizer, b.text(), om.Parsed, remote).HTML)
		} else {
			data.Plain = linkify(b.text())
		}
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", frameCSP(remote))
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Referrer-Policy", "no-referrer")
	if err := frameTemplate.Execute(w, data); err != nil {
		h.log.Debug("webmail: write frame", "err", err)
	}
}

// urlInText finds web links in plain text.
var urlInText = regexp.MustCompile(`https?://[^\s<>"'()\[\]{}]+[^\s<>"'()\[\]{}.,;:!?]`)

// linkify escapes plain text for HTML and makes its http(s) links
// clickable (opened outside the frame, without referrer).
func linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range urlInText.FindAllStringIndex(text, -1) {
		b.WriteString(template.HTMLEscapeString(text[last:m[0]]))
		u := template.HTMLEscapeString(text[m[0]:m[1]])
		b.WriteString(`<a href="` + u + `" target="_blank" rel="noopener noreferrer nofollow">` + u + `</a>`)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String())
}

// servePart downloads one part: always as an attachment (never shown
// inline by the browser), with the sender's file name (RFC 6266, RFC 5987
// encoding) and its declared type, nosniff, sandboxed if opened.
func (h *Handler) servePart(w http.ResponseWriter, r *http.Request, s *Session) {
	om, ok := h.openMessage(w, r, s)
	if !ok {
		return
	}
	p := om.Parsed.part(r.PathValue("part"))
	if p == nil {
		http.NotFound(w, r)
		return
	}
	name := p.Filename
	if name == "" {
		name = "part-" + p.Path + extensionFor(p.Type)
	}
	ct := p.Type
	if _, _, err := mime.ParseMediaType(ct); err != nil || strings.ContainsAny(ct, "\r\n") {
		ct = "application/octet-stream"
	}
	if cs := p.Params["charset"]; strings.HasPrefix(ct, "text/") && cs != "" && isToken(cs) {
		ct += "; charset=" + cs
	}
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("Content-Disposition", contentDisposition(name))
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Content-Length", strconv.Itoa(len(p.Body)))
	allowSlowDownload(w, len(p.Body))
	w.Write(p.Body)
}

// allowSlowDownload gives a large download more than the server's write
// timeout (60 s for a whole response): a minute plus a second per 64 KiB,
// so a 25 MB attachment reaches a slow phone.
func allowSlowDownload(w http.ResponseWriter, n int) {
	d := time.Minute + time.Duration(n/(64<<10))*time.Second
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}

// serveRaw is the message's source as text (?download=1: as a .eml file).
func (h *Handler) serveRaw(w http.ResponseWriter, r *http.Request, s *Session) {
	om, ok := h.openMessage(w, r, s)
	if !ok {
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if r.URL.Query().Get("download") == "1" {
		hd.Set("Content-Type", "message/rfc822")
		hd.Set("Content-Disposition", contentDisposition(fmt.Sprintf("message-%d.eml", om.Msg.UID)))
	} else {
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		hd.Set("Content-Disposition", "inline")
	}
	hd.Set("Content-Length", strconv.Itoa(len(om.Raw)))
	allowSlowDownload(w, len(om.Raw))
	w.Write(om.Raw)
}

// contentDisposition is an attachment header for name (RFC 6266 §4.3):
// an ASCII fallback and the exact name in RFC 5987 encoding.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, rfc5987Escape(name))
}

// rfc5987Escape percent-encodes all but attr-char (RFC 5987 §3.2.1).
func rfc5987Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// isToken reports whether s is an RFC 2045 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return s != ""
}

// extensionFor is a file name extension for a type without a file name.
func extensionFor(ct string) string {
	if exts, err := mime.ExtensionsByType(ct); err == nil && len(exts) > 0 {
		return exts[0]
	}
	if ct == "message/rfc822" {
		return ".eml"
	}
	return ".bin"
}
