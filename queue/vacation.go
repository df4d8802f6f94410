package queue

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailserver/mailserver/queue/sieve"
	"github.com/mailserver/mailserver/store"
)

// Vacation replies (RFC 5230, RFC 3834). The sieve package reports that a
// script called vacation; whether a reply goes out depends on the
// delivery, and is decided here: vacationBlocked for the message and its
// sender, vacationAddressed for the recipient, the store's vacation memory
// (store/vacation.go) for the period.

// vacationHeader is the part of a message's header the vacation rules read.
type vacationHeader struct {
	h textproto.MIMEHeader
}

// parseVacationHeader reads a message's header section (at most 1 MiB,
// readHeader). A header that cannot be parsed gives an empty one: the
// message then looks unaddressed, so nobody gets a reply.
func parseVacationHeader(msg []byte) vacationHeader {
	hdr, err := readHeader(bytes.NewReader(msg))
	if err != nil {
		return vacationHeader{}
	}
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(hdr, '\r', '\n'))))
	h, err := r.ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return vacationHeader{}
	}
	return vacationHeader{h: h}
}

// listHeaders mark mail sent by a mailing list (RFC 2369, RFC 2919).
var listHeaders = []string{"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive"}

// vacationBlocked returns why no vacation reply may go to this message
// and sender, or "" when one may. RFC 5230 §4.5 and RFC 3834 §2.
func vacationBlocked(h vacationHeader, sender string) string {
	if sender == "" {
		return "null sender" // RFC 5230 §4.5, RFC 3834 §2
	}
	local := strings.ToLower(sender)
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	// RFC 3834 §2: owner-*, *-request and MAILER-DAEMON style senders
	// are list managers and mail systems; Pigeonhole adds LISTSERV and
	// majordomo, Mailman's envelope senders end in -bounces.
	switch {
	case local == "mailer-daemon", local == "listserv", local == "majordomo",
		strings.HasPrefix(local, "owner-"), strings.HasSuffix(local, "-owner"),
		strings.HasSuffix(local, "-request"), strings.HasSuffix(local, "-bounces"):
		return "sender is a mail system or list address"
	}
	// RFC 3834 §5: Auto-Submitted other than "no" is automatic mail.
	for _, v := range h.h.Values("Auto-Submitted") {
		kw, _, _ := strings.Cut(v, ";")
		if kw = strings.ToLower(strings.TrimSpace(stripComments(kw))); kw != "no" {
			return "Auto-Submitted: " + kw
		}
	}
	for _, f := range listHeaders {
		if len(h.h.Values(f)) > 0 {
			return "mailing list (" + f + ")"
		}
	}
	// RFC 3834 §3.1.8: Precedence is not standard but widely used.
	for _, v := range h.h.Values("Precedence") {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "bulk", "list", "junk":
			return "Precedence: " + strings.TrimSpace(v)
		}
	}
	// Microsoft's equivalent of Auto-Submitted for out-of-office replies.
	for _, v := range h.h.Values("X-Auto-Response-Suppress") {
		for _, p := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(p)) {
			case "all", "oof":
				return "X-Auto-Response-Suppress: " + strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// stripComments removes (comments) from a structured field value.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, c := range s {
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// recipientFields are where the recipient must be named for a vacation
// reply (RFC 5230 §4.5).
var recipientFields = []string{"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"}

// maxVacationAddresses bounds the addresses checked per message.
const maxVacationAddresses = 100

// recipientAddresses lists the addresses of the recipient fields, lower
// case, at most maxVacationAddresses.
func (h vacationHeader) recipientAddresses() []string {
	var out []string
	for _, f := range recipientFields {
		for _, v := range h.h.Values(f) {
			for _, a := range headerAddresses(v) {
				if len(out) == maxVacationAddresses {
					return out
				}
				out = append(out, strings.ToLower(a))
			}
		}
	}
	return out
}

// headerAddresses returns the addresses of an address-list field value;
// for a value net/mail cannot parse, the words that contain an '@'.
func headerAddresses(v string) []string {
	var out []string
	p := mail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: ignoreCharset}}
	if list, err := p.ParseList(v); err == nil {
		for _, a := range list {
			out = append(out, a.Address)
		}
		return out
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == '<' || r == '>' || r == ' ' || r == '\t' || r == '"' || r == '(' || r == ')'
	}) {
		if strings.Contains(w, "@") {
			out = append(out, w)
		}
	}
	return out
}

// vacationReply is what a reply needs besides the original message.
type vacationReply struct {
	From     string // the From field value (an address, or "Name <addr>")
	To       string // the envelope sender replied to
	Subject  string // :subject, or "" for "Auto: " + the original's
	Reason   string
	Mime     bool // Reason is a MIME entity (RFC 5230 §4.4)
	Hostname string
	Now      time.Time
}

// buildVacationReply writes the reply message (RFC 5230 §5, RFC 3834 §3).
func buildVacationReply(orig vacationHeader, v *vacationReply) []byte {
	var b bytes.Buffer
	field := func(name, value string) {
		b.WriteString(foldField(name + ": " + value))
	}
	field("From", v.From)
	field("To", "<"+v.To+">")
	subject := v.Subject
	if subject == "" {
		// RFC 5230 §4.5: "Auto: " and the original subject, kept as it
		// was written (encoded words stay valid after the prefix).
		if s := strings.TrimSpace(orig.h.Get("Subject")); s != "" {
			subject = "Auto: " + s
		} else {
			subject = "Automated reply"
		}
	} else {
		subject = encodeWord(subject)
	}
	field("Subject", subject)
	field("Date", v.Now.Format(time.RFC1123Z))
	field("Message-ID", "<"+randomToken(16)+"@"+v.Hostname+">")
	// RFC 5230 §4.6, RFC 5322 §3.6.4.
	if id := strings.TrimSpace(orig.h.Get("Message-Id")); id != "" && len(id) < 1000 {
		field("In-Reply-To", id)
		refs := strings.TrimSpace(orig.h.Get("References"))
		if refs == "" {
			refs = strings.TrimSpace(orig.h.Get("In-Reply-To"))
		}
		if refs != "" && len(refs) < 8000 {
			field("References", refs+" "+id)
		} else {
			field("References", id)
		}
	}
	b.WriteString("Auto-Submitted: auto-replied\r\n") // RFC 5230 §5, RFC 3834 §5
	b.WriteString("MIME-Version: 1.0\r\n")
	reason := strings.ReplaceAll(strings.ReplaceAll(v.Reason, "\r\n", "\n"), "\r", "\n")
	if v.Mime {
		// The reason is a MIME entity: its header fields become the
		// reply's content fields, the rest its body.
		head, body, ok := strings.Cut(reason, "\n\n")
		if !ok {
			head, body = reason, ""
		}
		if strings.HasPrefix(reason, "\n") {
			head, body = "", reason[1:]
		}
		hasType := false
		for _, l := range strings.Split(head, "\n") {
			if l == "" {
				continue
			}
			if n, _, _ := strings.Cut(l, ":"); strings.EqualFold(strings.TrimSpace(n), "Content-Type") {
				hasType = true
			}
			b.WriteString(l + "\r\n")
		}
		if !hasType {
			b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n")
		}
		b.WriteString("\r\n")
		b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
		if !strings.HasSuffix(body, "\n") {
			b.WriteString("\r\n")
		}
		return b.Bytes()
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	if isPlainASCII(reason) {
		b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
		b.WriteString(strings.ReplaceAll(reason, "\n", "\r\n"))
	} else {
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		w := quotedprintable.NewWriter(&b)
		_, _ = w.Write([]byte(strings.ReplaceAll(reason, "\n", "\r\n")))
		_ = w.Close()
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// isPlainASCII: 7-bit text with lines of at most 998 octets (RFC 5322 §2.1.1).
func isPlainASCII(s string) bool {
	line := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || c == 0 {
			return false
		}
		if c == '\n' {
			line = 0
			continue
		}
		if line++; line > 998 {
			return false
		}
	}
	return true
}

// encodeWord encodes a header text with RFC 2047 encoded words when it is
// not plain ASCII (line breaks become spaces).
func encodeWord(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < ' ' {
			if !utf8.ValidString(s) {
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

// foldField folds a "Name: value" line at spaces so that lines stay
// within 78 octets where the value allows (RFC 5322 §2.2.3), and ends it
// with CRLF. Line breaks inside the value become spaces.
func foldField(f string) string {
	f = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(f)
	var b strings.Builder
	for len(f) > 78 {
		cut := strings.LastIndexByte(f[:78], ' ')
		if cut <= 0 {
			cut = strings.IndexByte(f[78:], ' ')
			if cut < 0 {
				break
			}
			cut += 78
		}
		b.WriteString(f[:cut])
		b.WriteString("\r\n")
		f = f[cut:] // keeps the space: the continuation's whitespace
		if strings.TrimSpace(f) == "" {
			f = ""
		}
	}
	b.WriteString(f)
	b.WriteString("\r\n")
	return b.String()
}

// ignoreCharset lets the address parser read names in unknown charsets
// (only the addresses matter here).
func ignoreCharset(charset string, input io.Reader) (io.Reader, error) {
	return nil, fmt.Errorf("charset %s not needed", charset)
}

// vacationTask is a vacation action of one user's script.
type vacationTask struct {
	user    *store.User
	rcpt    string // the envelope recipient that reached the user
	action  *sieve.Vacation
	seconds bool // the script requires vacation-seconds
	script  string
}

// Vacation periods (RFC 5230 §4.1, RFC 6131 §2).
const (
	minVacationPeriod     = 24 * time.Hour // the least :days may mean
	defaultVacationPeriod = 7 * 24 * time.Hour
)

// maxOwnAddressChecks bounds the store lookups one reply decision makes.
const maxOwnAddressChecks = 20

// vacationSubmission decides whether t's vacation action replies to the
// message (RFC 5230 §4.5, RFC 3834 §2) and returns the reply routed to
// the sender, with the memory record that stores it at most once per
// period (store.VacationMemory), or nil when no reply is due.
func (q *Queue) vacationSubmission(ctx context.Context, env *Envelope, t *vacationTask, msg *filterMessage, now time.Time) (*store.Submission, error) {
	st := q.opts.Sieve.Store
	v := t.action
	skip := func(why string) (*store.Submission, error) {
		q.log.Debug("no vacation reply", "user", t.user.Address, "script", t.script, "sender", env.From, "reason", why)
		return nil, nil
	}
	h := msg.header()
	if why := vacationBlocked(h, env.From); why != "" {
		return skip(why)
	}
	if env.Spam || env.Junk {
		return skip("spam")
	}
	mine := func(addr string) (bool, error) {
		ok, err := st.MaySendAs(ctx, t.user, addr)
		if err != nil {
			return false, fmt.Errorf("queue: vacation: %w", err)
		}
		return ok, nil
	}
	// Never to ourselves (RFC 3834 §2).
	if ok, err := mine(env.From); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return skip("sender is the recipient")
	}
	// The recipient must be named in To, Cc, Bcc or Resent-*: the user's
	// own address, one that reached them, or one of :addresses
	// (RFC 5230 §4.5).
	own := map[string]bool{strings.ToLower(t.user.Address): true, strings.ToLower(t.rcpt): true}
	for _, a := range v.Addresses {
		own[strings.ToLower(strings.TrimSpace(a))] = true
	}
	addressed, checks := false, 0
	for _, a := range h.recipientAddresses() {
		if own[a] {
			addressed = true
			break
		}
		if checks < maxOwnAddressChecks {
			checks++
			ok, err := mine(a)
			if err != nil {
				return nil, err
			}
			if ok {
				addressed = true
				break
			}
		}
	}
	if !addressed {
		return skip("recipient not named in To, Cc or Bcc")
	}
	// From: the recipient, or :from if the user may send as it.
	from := t.user.Address
	if ok, err := mine(t.rcpt); err != nil {
		return nil, err
	} else if ok {
		from = t.rcpt
	}
	fromField := from
	if v.From != "" {
		a, err := mail.ParseAddress(v.From)
		ok := false
		if err == nil {
			if ok, err = mine(a.Address); err != nil {
				return nil, err
			}
		}
		if ok {
			from, fromField = a.Address, a.String()
		} else {
			q.log.Warn("vacation :from is not the user's address; replying from the user's own",
				"user", t.user.Address, "script", t.script, "from", v.From)
		}
	}
	if strings.EqualFold(from, env.From) {
		return skip("sender is the reply's From")
	}
	period := time.Duration(v.Seconds) * time.Second
	switch {
	case v.Seconds < 0:
		period = defaultVacationPeriod
	case !t.seconds && period < minVacationPeriod:
		period = minVacationPeriod // RFC 5230 §4.1: at least one day
	}
	reply := buildVacationReply(h, &vacationReply{
		From: fromField, To: env.From, Subject: v.Subject, Reason: v.Reason, Mime: v.Mime,
		Hostname: q.opts.Hostname, Now: now,
	})
	// The null reverse path (RFC 5230 §5, RFC 3834 §3.3); signed as this
	// server's own mail (dkim.go).
	p, err := q.prepare(ctx, &Envelope{Trusted: true, own: true, Body8Bit: !isPlainASCII(string(reply)),
		Recipients: []Recipient{{Address: env.From, Notify: []string{"NEVER"}}}}, store.NewBody(reply), now)
	if err != nil {
		return nil, fmt.Errorf("queue: vacation reply: %w", err)
	}
	if p.sub == nil {
		return skip("sender does not exist")
	}
	if period > 0 {
		// :seconds 0 replies every time (RFC 6131 §2); otherwise once per period.
		p.sub.Vacation = &store.VacationMemory{UserID: t.user.ID, Handle: v.Handle, Sender: env.From, Now: now, Until: now.Add(period)}
	}
	return p.sub, nil
}
