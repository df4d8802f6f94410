package webmail

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mailserver/mailserver/httpd/webmail/compose"
	"github.com/mailserver/mailserver/store"
)

// sendMessage sends the form through the Submitter (the submission path),
// then appends the sent copy, with its Bcc, to Sent (\Seen), flags the
// message replied to \Answered (RFC 9051 §2.3.2) or forwarded $Forwarded
// (RFC 5550 §5.9), and removes the draft. Mistakes the user can fix show
// the form again with the reason: 403 for a From that is not theirs, 413
// over the size limit, 422 for addresses.
func (h *Handler) sendMessage(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx := r.Context()
	f, err := readComposeForm(r)
	if err != nil {
		h.formReadError(w, r, s, err)
		return
	}
	if h.o.Submitter == nil {
		h.composeError(w, r, s, f, http.StatusServiceUnavailable, "Sending is not available on this server.")
		return
	}
	ids, err := h.identities(ctx, s)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	m, err := h.message(ctx, s, f, ids, false)
	var fe *formError
	switch {
	case errors.Is(err, ErrSenderNotAllowed):
		h.log.Warn("webmail: sender refused", "user", s.Address, "from", f.From)
		h.composeError(w, r, s, f, http.StatusForbidden, "You may not send as "+f.From+".")
		return
	case errors.As(err, &fe):
		h.composeError(w, r, s, f, http.StatusUnprocessableEntity, fe.msg)
		return
	case err != nil:
		h.serverError(w, r, err)
		return
	}
	built, err := compose.Build(m)
	if errors.Is(err, compose.ErrNoRecipients) {
		h.composeError(w, r, s, f, http.StatusUnprocessableEntity, "Add at least one recipient.")
		return
	}
	if err != nil {
		h.composeError(w, r, s, f, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if max := h.o.Submitter.MaxMessageBytes(); max > 0 && int64(len(built.Bytes)) > max {
		h.composeError(w, r, s, f, http.StatusRequestEntityTooLarge, tooLargeText(int64(len(built.Bytes)), max))
		return
	}
	err = h.o.Submitter.Submit(ctx, &Outgoing{
		UserID: s.UserID, UserAddress: s.Address, From: built.From,
		Recipients: built.Recipients, Message: built.Bytes, SMTPUTF8: built.SMTPUTF8,
	})
	var re *RecipientsError
	switch {
	case errors.Is(err, ErrSenderNotAllowed):
		h.composeError(w, r, s, f, http.StatusForbidden, "You may not send as "+built.From+".")
		return
	case errors.Is(err, ErrMessageTooLarge):
		h.composeError(w, r, s, f, http.StatusRequestEntityTooLarge, tooLargeText(int64(len(built.Bytes)), h.o.Submitter.MaxMessageBytes()))
		return
	case errors.As(err, &re):
		h.composeError(w, r, s, f, http.StatusUnprocessableEntity, "Not sent: "+re.Error()+".")
		return
	case err != nil:
		h.log.Warn("webmail: send failed", "user", s.Address, "err", err)
		h.composeError(w, r, s, f, http.StatusServiceUnavailable, "The message could not be sent now; try again later.")
		return
	}
	h.log.Info("webmail: message sent", "user", s.Address, "from", built.From, "rcpts", len(built.Recipients), "size", len(built.Bytes))

	// The message is sent: what follows only records it, and a failure
	// must not make the user send it again.
	var notes []string
	if sent, err := h.specialMailbox(ctx, s.UserID, `\Sent`, "Sent"); err != nil {
		h.log.Warn("webmail: no Sent mailbox", "user", s.Address, "err", err)
		notes = append(notes, "the copy in Sent could not be saved")
	} else if _, err := h.o.Store.Append(ctx, s.UserID, sent.Name, store.NewBody(built.WithBcc()),
		store.AppendOptions{Flags: []string{`\Seen`}}); err != nil {
		h.log.Warn("webmail: sent copy not saved", "user", s.Address, "err", err)
		notes = append(notes, "the copy in Sent could not be saved")
	}
	if f.ReplyUID != 0 {
		h.flagOriginal(r, s, f.ReplyMailbox, f.ReplyUID, `\Answered`)
	}
	if f.FwdUID != 0 {
		h.flagOriginal(r, s, f.FwdMailbox, f.FwdUID, "$Forwarded")
	}
	if f.Draft != 0 {
		if drafts, err := h.specialMailbox(ctx, s.UserID, `\Drafts`, "Drafts"); err == nil {
			if err := h.deleteDraft(ctx, s.UserID, drafts.ID, f.Draft); err != nil {
				h.log.Warn("webmail: draft not removed", "user", s.Address, "err", err)
			}
		}
	}
	target := "/webmail/?sent=1"
	if len(notes) > 0 {
		target = "/webmail/?sent=partial"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// flagOriginal adds flag to the user's message uid in mailbox mboxID; a
// message that is gone (or not the user's) is left alone.
func (h *Handler) flagOriginal(r *http.Request, s *Session, mboxID uint64, uid uint32, flag string) {
	ctx := r.Context()
	mb, err := h.o.Store.MailboxByID(ctx, s.UserID, mboxID)
	if err != nil {
		return
	}
	if _, err := h.o.Store.StoreFlags(ctx, s.UserID, mb.ID, []uint32{uid}, store.FlagsAdd, []string{flag}, store.StoreFlagsOptions{}); err != nil {
		h.log.Warn("webmail: flag not set", "user", s.Address, "flag", flag, "err", err)
	}
}

// tooLargeText says how large the message is and what the limit is.
func tooLargeText(size, max int64) string {
	return fmt.Sprintf("The message is %s with its attachments; the server sends at most %s. Remove an attachment or send it separately.",
		sizeText(size), sizeText(max))
}
