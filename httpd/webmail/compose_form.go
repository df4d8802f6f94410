package webmail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mailserver/mailserver/httpd/webmail/compose"
)

// Form field limits (the request body as a whole is bounded by the CSRF
// middleware: MaxFormBytes, or MaxUploadBytes for multipart).
const (
	maxSubject     = 998 // RFC 5322 §2.1.1 line limit
	maxAttachments = 100
)

// draftReplyField is the header field a draft keeps its reply context in
// (the replied message, for \Answered when it is sent); it is not sent.
const draftReplyField = "X-Webmail-Reply"

// draftRawPrefix starts the header fields in which a draft keeps an
// address field that does not parse yet (base64 of the text as typed),
// e.g. X-Webmail-Raw-To.
const draftRawPrefix = "X-Webmail-Raw-"

// composeForm is the compose form as posted (or prefilled).
type composeForm struct {
	From, To, Cc, Bcc string
	Subject, Body     string
	Flowed            bool
	// Draft is the UID of the draft being edited in Drafts (0: none).
	Draft uint32
	// The message replied to: its mailbox and UID (for \Answered),
	// and the ids for In-Reply-To and References.
	ReplyMailbox uint64
	ReplyUID     uint32
	InReplyTo    string
	References   string
	// The message forwarded, whose attachments (or itself, FwdMode
	// "attachment") come along until the first draft holds them.
	FwdMailbox uint64
	FwdUID     uint32
	FwdMode    string // "inline" or "attachment"
	// Keep lists the indexes of the source's attachments (the draft's,
	// else the forwarded message's) to keep; nil when the form did not
	// say (a prefilled form keeps all).
	Keep []int
	// Uploads are the files attached with this post.
	Uploads []*multipart.FileHeader
}

// readComposeForm reads the posted form (the CSRF middleware parsed it,
// or the script sent the token as a header and it is parsed here).
func readComposeForm(r *http.Request) (*composeForm, error) {
	if r.MultipartForm == nil && r.PostForm == nil {
		var err error
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			err = r.ParseMultipartForm(maxMultipartMemory)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			return nil, err
		}
	}
	v := r.PostFormValue
	f := &composeForm{
		From: strings.TrimSpace(v("from")), To: v("to"), Cc: v("cc"), Bcc: v("bcc"),
		Subject: v("subject"), Body: v("body"), Flowed: v("flowed") != "",
		InReplyTo: strings.Trim(strings.TrimSpace(v("in_reply_to")), "<>"), References: v("references"),
		FwdMode: v("fwd_mode"),
	}
	if len(f.Subject) > maxSubject {
		return nil, errors.New("the subject is too long")
	}
	num := func(name string, bits int) uint64 {
		n, _ := strconv.ParseUint(v(name), 10, bits)
		return n
	}
	f.Draft = uint32(num("draft", 32))
	f.ReplyMailbox, f.ReplyUID = num("reply_mailbox", 64), uint32(num("reply_uid", 32))
	f.FwdMailbox, f.FwdUID = num("fwd_mailbox", 64), uint32(num("fwd_uid", 32))
	if r.PostForm.Has("keep_present") {
		f.Keep = []int{}
		for _, k := range r.PostForm["keep"] {
			if i, err := strconv.Atoi(k); err == nil && i >= 0 {
				f.Keep = append(f.Keep, i)
			}
		}
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["attach"] {
			if fh.Filename == "" && fh.Size == 0 {
				continue // an empty file input
			}
			f.Uploads = append(f.Uploads, fh)
		}
	}
	if len(f.Uploads) > maxAttachments {
		return nil, fmt.Errorf("at most %d attachments", maxAttachments)
	}
	return f, nil
}

// references parses the References form field: message ids, with or
// without <>, separated by white space.
func (f *composeForm) references() []string {
	var out []string
	for _, id := range strings.Fields(f.References) {
		if id = strings.Trim(id, "<>"); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// formError is a mistake in the form the user can fix; the page shows it.
type formError struct{ msg string }

func (e *formError) Error() string { return e.msg }

// sourceAttachments are the attachments the form carries over: the
// draft's, else the forwarded message's (inline: its attachments; as an
// attachment: itself). The mailbox and message must be the user's.
func (h *Handler) sourceAttachments(ctx context.Context, s *Session, f *composeForm) ([]compose.Attachment, error) {
	if f.Draft != 0 {
		drafts, err := h.specialMailbox(ctx, s.UserID, `\Drafts`, "Drafts")
		if err != nil {
			return nil, err
		}
		m, err := h.userMessage(ctx, s.UserID, drafts.ID, f.Draft)
		if errors.Is(err, errNoMessage) {
			return nil, nil // deleted meanwhile: nothing to carry
		}
		if err != nil {
			return nil, err
		}
		_, o, err := compose.ParseDraft(m.Raw)
		if err != nil {
			return nil, nil
		}
		return o.Attachments, nil
	}
	if f.FwdUID != 0 {
		m, err := h.userMessage(ctx, s.UserID, f.FwdMailbox, f.FwdUID)
		if errors.Is(err, errNoMessage) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		o, err := compose.ParseOriginal(m.Raw)
		if err != nil {
			return nil, nil
		}
		return compose.Forward(o, m.Raw, f.FwdMode == "attachment").Attachments, nil
	}
	return nil, nil
}

// message turns the form into a compose.Message: addresses parsed, the
// From checked against the identities, attachments from the source
// (those kept) and the uploads. draft relaxes what a draft may lack.
func (h *Handler) message(ctx context.Context, s *Session, f *composeForm, ids []string, draft bool) (*compose.Message, error) {
	m := &compose.Message{
		Subject: f.Subject, Text: f.Body, Flowed: f.Flowed,
		InReplyTo: f.InReplyTo, References: f.references(), Hostname: h.o.Hostname,
		AllowNoRcpt: draft, AllowNoSender: draft,
	}
	var err error
	for _, fl := range []struct {
		name, value string
		dst         *[]*compose.Address
	}{{"To", f.To, &m.To}, {"Cc", f.Cc, &m.Cc}, {"Bcc", f.Bcc, &m.Bcc}} {
		if *fl.dst, err = compose.ParseAddressList(fl.name, fl.value); err != nil {
			if draft {
				// A draft keeps the field as typed, to show it again
				// (draftRawPrefix); it is not sent.
				*fl.dst = nil
				m.ExtraHeader = append(m.ExtraHeader, compose.Field{Key: draftRawPrefix + fl.name,
					Value: base64.StdEncoding.EncodeToString([]byte(fl.value))})
				continue
			}
			return nil, &formError{err.Error()}
		}
	}
	if f.From != "" {
		from := chooseIdentity(ids, f.From)
		if from == "" {
			return nil, ErrSenderNotAllowed
		}
		m.From = &compose.Address{Address: from}
	} else if !draft {
		return nil, &formError{"choose the address to send from"}
	}
	if f.ReplyUID != 0 {
		if draft {
			m.ExtraHeader = append(m.ExtraHeader, compose.Field{Key: draftReplyField,
				Value: strconv.FormatUint(f.ReplyMailbox, 10) + " " + strconv.FormatUint(uint64(f.ReplyUID), 10)})
		}
	}
	src, err := h.sourceAttachments(ctx, s, f)
	if err != nil {
		return nil, err
	}
	for i, a := range src {
		if f.Keep == nil || slices.Contains(f.Keep, i) {
			m.Attachments = append(m.Attachments, a)
		}
	}
	for _, fh := range f.Uploads {
		data, err := readUpload(fh)
		if err != nil {
			return nil, err
		}
		m.Attachments = append(m.Attachments, compose.Attachment{
			Filename: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data})
	}
	return m, nil
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	file, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("upload %q: %w", fh.Filename, err)
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return nil, fmt.Errorf("upload %q: %w", fh.Filename, err)
	}
	return data, nil
}
