package webmail

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/mailserver/mailserver/httpd/webmail/compose"
)

// composePage is the compose page's data.
type composePage struct {
	Mode       string // "new", "reply", "reply-all", "forward", "draft"
	Identities []string
	F          *composeForm
	// Attachments are the source's attachments (the draft's or the
	// forwarded message's), each with a keep checkbox.
	Attachments []draftAttachment
	Error       string
	Notice      string
	MaxBytes    int64
	SendingOff  bool
}

type draftAttachment struct {
	Index int
	Name  string
	Size  string
	Kept  bool
}

func (p *composePage) PageTitle() string {
	switch p.Mode {
	case "reply", "reply-all":
		return "Reply"
	case "forward":
		return "Forward"
	}
	return "Compose"
}

func (p *composePage) PageNav() string { return "compose" }

// MaxText is the size limit for people.
func (p *composePage) MaxText() string { return sizeText(p.MaxBytes) }

// maxMessageBytes is the limit sending applies (0: none known).
func (h *Handler) maxMessageBytes() int64 {
	if h.o.Submitter == nil {
		return 0
	}
	return h.o.Submitter.MaxMessageBytes()
}

// serveCompose shows the compose form, prefilled for a reply, a forward
// or a saved draft.
func (h *Handler) serveCompose(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx := r.Context()
	ids, err := h.identities(ctx, s)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	q := r.URL.Query()
	p := &composePage{Mode: "new", Identities: ids, F: &composeForm{From: ids[0]},
		MaxBytes: h.maxMessageBytes(), SendingOff: h.o.Submitter == nil}
	if q.Get("saved") != "" {
		p.Notice = "Draft saved."
	}
	num := func(name string, bits int) uint64 {
		n, _ := strconv.ParseUint(q.Get(name), 10, bits)
		return n
	}
	mode := q.Get("mode")
	switch {
	case q.Has("draft"):
		err = h.prefillDraft(r, s, p, uint32(num("draft", 32)))
	case mode == "reply" || mode == "reply-all":
		err = h.prefillReply(r, s, p, num("mailbox", 64), uint32(num("uid", 32)), mode == "reply-all")
	case mode == "forward" || mode == "forward-attachment":
		asAttachment := mode == "forward-attachment" || q.Get("as") == "attachment"
		err = h.prefillForward(r, s, p, num("mailbox", 64), uint32(num("uid", 32)), asAttachment)
	default:
		if to := q.Get("to"); to != "" {
			if l, perr := compose.ParseAddressList("To", to); perr == nil {
				p.F.To = compose.FormatAddressList(l)
			}
		}
		p.F.Subject = q.Get("subject")
	}
	if errors.Is(err, errNoMessage) && q.Has("draft") {
		// A draft sent or deleted meanwhile (in another window): an empty
		// form says so.
		p = &composePage{Mode: "new", Identities: ids, F: &composeForm{From: ids[0]}, MaxBytes: p.MaxBytes, SendingOff: p.SendingOff,
			Error: "This draft no longer exists: it was sent or deleted (perhaps in another window)."}
		h.renderStatus(w, r, s, http.StatusNotFound, "compose", p)
		return
	}
	if errors.Is(err, errNoMessage) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, s, "compose", p)
}

// prefillDraft fills the form from a draft in Drafts.
func (h *Handler) prefillDraft(r *http.Request, s *Session, p *composePage, uid uint32) error {
	ctx := r.Context()
	drafts, err := h.specialMailbox(ctx, s.UserID, `\Drafts`, "Drafts")
	if err != nil {
		return err
	}
	m, err := h.userMessage(ctx, s.UserID, drafts.ID, uid)
	if err != nil {
		return err
	}
	d, o, err := compose.ParseDraft(m.Raw)
	if err != nil {
		return errNoMessage // not a message the form can edit
	}
	p.Mode = "draft"
	f := p.F
	f.Draft = uid
	if d.From != nil {
		if id := chooseIdentity(p.Identities, d.From.Address); id != "" {
			f.From = id
		}
	}
	f.To, f.Cc, f.Bcc = compose.FormatAddressList(d.To), compose.FormatAddressList(d.Cc), compose.FormatAddressList(d.Bcc)
	for name, dst := range map[string]*string{"To": &f.To, "Cc": &f.Cc, "Bcc": &f.Bcc} {
		if raw, err := base64.StdEncoding.DecodeString(o.Header.Get(draftRawPrefix + name)); err == nil && len(raw) > 0 {
			*dst = string(raw)
		}
	}
	f.Subject, f.Body, f.Flowed = d.Subject, d.Text, d.Flowed
	f.InReplyTo, f.References = d.InReplyTo, strings.Join(d.References, " ")
	if v := strings.Fields(o.Header.Get(draftReplyField)); len(v) == 2 {
		f.ReplyMailbox, _ = strconv.ParseUint(v[0], 10, 64)
		n, _ := strconv.ParseUint(v[1], 10, 32)
		f.ReplyUID = uint32(n)
	}
	p.Attachments = draftAttachments(d.Attachments)
	return nil
}

// prefillReply fills the form for a reply (to all) to a message of the
// user's: recipients, subject, ids and quoted text by compose.Reply, the
// From the identity the message was addressed to.
func (h *Handler) prefillReply(r *http.Request, s *Session, p *composePage, mbox uint64, uid uint32, all bool) error {
	m, err := h.userMessage(r.Context(), s.UserID, mbox, uid)
	if err != nil {
		return err
	}
	o, err := compose.ParseOriginal(m.Raw)
	if err != nil {
		return errNoMessage
	}
	rep := compose.Reply(o, identityMatcher(p.Identities), all)
	p.Mode = "reply"
	if all {
		p.Mode = "reply-all"
	}
	f := p.F
	f.To, f.Cc = compose.FormatAddressList(rep.To), compose.FormatAddressList(rep.Cc)
	f.Subject, f.Body = rep.Subject, rep.Text
	f.InReplyTo, f.References = rep.InReplyTo, strings.Join(rep.References, " ")
	f.ReplyMailbox, f.ReplyUID = m.Mailbox.ID, uid
	f.From = addressedIdentity(o, p.Identities)
	return nil
}

// prefillForward fills the form for forwarding a message of the user's.
func (h *Handler) prefillForward(r *http.Request, s *Session, p *composePage, mbox uint64, uid uint32, asAttachment bool) error {
	m, err := h.userMessage(r.Context(), s.UserID, mbox, uid)
	if err != nil {
		return err
	}
	o, err := compose.ParseOriginal(m.Raw)
	if err != nil {
		return errNoMessage
	}
	fwd := compose.Forward(o, m.Raw, asAttachment)
	p.Mode = "forward"
	f := p.F
	f.Subject, f.Body = fwd.Subject, fwd.Text
	f.FwdMailbox, f.FwdUID, f.FwdMode = m.Mailbox.ID, uid, "inline"
	if asAttachment {
		f.FwdMode = "attachment"
	}
	f.From = addressedIdentity(o, p.Identities)
	p.Attachments = draftAttachments(fwd.Attachments)
	return nil
}

// addressedIdentity is the identity a message was sent to (To, then Cc),
// else the user's own address: the From of a reply or a forward.
func addressedIdentity(o *compose.Original, ids []string) string {
	for _, k := range []string{"To", "Cc", "Delivered-To"} {
		l, _ := o.Header.AddressList(k)
		for _, a := range l {
			if id := chooseIdentity(ids, a.Address); id != "" {
				return id
			}
		}
	}
	return ids[0]
}

func draftAttachments(l []compose.Attachment) []draftAttachment {
	out := make([]draftAttachment, len(l))
	for i, a := range l {
		out[i] = draftAttachment{Index: i, Name: compose.CleanFilename(a.Filename), Size: sizeText(int64(len(a.Data))), Kept: true}
	}
	return out
}
