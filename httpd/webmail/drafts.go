package webmail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/mailserver/mailserver/httpd/webmail/compose"
	"github.com/mailserver/mailserver/store"
)

// draftFlags are the flags of a saved draft (RFC 9051 §2.3.2 \Draft; it
// is the user's own, so already \Seen).
var draftFlags = []string{`\Draft`, `\Seen`}

// saveDraft saves the form as a draft in Drafts, replacing the draft it
// was (APPEND the new version, then EXPUNGE the old one, so that a crash
// between the two leaves both, never neither). The script gets JSON
// {"draft": UID, "attachments": [...]}; a plain form post is redirected
// to the draft.
func (h *Handler) saveDraft(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx := r.Context()
	f, err := readComposeForm(r)
	if err != nil {
		h.formReadError(w, r, s, err)
		return
	}
	ids, err := h.identities(ctx, s)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	m, err := h.message(ctx, s, f, ids, true)
	if errors.Is(err, ErrSenderNotAllowed) {
		h.composeError(w, r, s, f, http.StatusForbidden, "You may not send as "+f.From+".")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	built, err := compose.Build(m)
	if err != nil {
		h.composeError(w, r, s, f, http.StatusUnprocessableEntity, err.Error())
		return
	}
	uid, err := h.replaceDraft(ctx, s.UserID, built.WithBcc(), f.Draft)
	if errors.Is(err, store.ErrOverQuota) {
		h.composeError(w, r, s, f, http.StatusInsufficientStorage, "Your mailbox is full: the draft could not be saved.")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if wantsJSON(r) {
		type att struct {
			Index int    `json:"index"`
			Name  string `json:"name"`
			Size  string `json:"size"`
		}
		out := struct {
			Draft       uint32 `json:"draft"`
			Attachments []att  `json:"attachments"`
		}{Draft: uid, Attachments: []att{}}
		for _, a := range draftAttachments(m.Attachments) {
			out.Attachments = append(out.Attachments, att{a.Index, a.Name, a.Size})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
		return
	}
	http.Redirect(w, r, "/webmail/compose?draft="+strconv.FormatUint(uint64(uid), 10)+"&saved=1", http.StatusSeeOther)
}

// wantsJSON: the request comes from the page's script.
func wantsJSON(r *http.Request) bool { return r.Header.Get("X-Requested-With") != "" }

// replaceDraft appends msg to the user's Drafts and then expunges the
// previous version old (0: none; one already gone is no error).
func (h *Handler) replaceDraft(ctx context.Context, userID uint64, msg []byte, old uint32) (uint32, error) {
	drafts, err := h.specialMailbox(ctx, userID, `\Drafts`, "Drafts")
	if err != nil {
		return 0, err
	}
	res, err := h.o.Store.Append(ctx, userID, drafts.Name, store.NewBody(msg), store.AppendOptions{Flags: draftFlags})
	if err != nil {
		return 0, fmt.Errorf("saving the draft: %w", err)
	}
	if old != 0 && old != res.UID {
		if err := h.deleteDraft(ctx, userID, drafts.ID, old); err != nil {
			return 0, err
		}
	}
	return res.UID, nil
}

// deleteDraft expunges draft uid from the Drafts mailbox mboxID.
func (h *Handler) deleteDraft(ctx context.Context, userID, mboxID uint64, uid uint32) error {
	if _, err := h.o.Store.Expunge(ctx, userID, mboxID, store.ExpungeOptions{UIDs: []uint32{uid}}); err != nil {
		return fmt.Errorf("removing the old draft: %w", err)
	}
	return nil
}

// formReadError answers a form that could not be read: 413 when it is
// over the upload limit, 400 otherwise.
func (h *Handler) formReadError(w http.ResponseWriter, r *http.Request, s *Session, err error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		h.composeError(w, r, s, &composeForm{}, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("The attachments are too large: a message may have at most %s.", sizeText(h.maxMessageBytes())))
		return
	}
	h.composeError(w, r, s, &composeForm{}, http.StatusBadRequest, "The form could not be read: "+err.Error())
}

// composeError shows the compose form again, as posted, with what went
// wrong; the script gets the text as a JSON error.
func (h *Handler) composeError(w http.ResponseWriter, r *http.Request, s *Session, f *composeForm, code int, msg string) {
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(struct {
			Error string `json:"error"`
		}{msg})
		return
	}
	ctx := r.Context()
	ids, err := h.identities(ctx, s)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(f.Uploads) > 0 {
		msg += " The files you attached with it were not kept: attach them again."
	}
	p := &composePage{Mode: "new", Identities: ids, F: f, Error: msg, MaxBytes: h.maxMessageBytes(), SendingOff: h.o.Submitter == nil}
	if f.Draft != 0 {
		p.Mode = "draft"
	}
	if chooseIdentity(ids, f.From) == "" {
		f.From = ids[0]
	}
	if src, err := h.sourceAttachments(ctx, s, f); err == nil {
		p.Attachments = draftAttachments(src)
		for i := range p.Attachments {
			p.Attachments[i].Kept = f.Keep == nil || containsInt(f.Keep, i)
		}
	}
	f.Uploads = nil
	h.renderStatus(w, r, s, code, "compose", p)
}

func containsInt(l []int, n int) bool {
	for _, x := range l {
		if x == n {
			return true
		}
	}
	return false
}
