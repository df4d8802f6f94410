package webmail

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// composeStore is what compose needs of the store beyond Store's other
// parts: APPEND, for drafts and the sent copy.
type composeStore interface {
	Append(ctx context.Context, userID uint64, mailbox string, body *store.Body, opts store.AppendOptions) (*store.AppendResult, error)
}

// routesCompose registers compose, reply, forward, drafts and sending.
//
//	GET  /webmail/compose              the form: ?mode=reply|reply-all|forward
//	                                   &mailbox=ID&uid=N (&as=attachment),
//	                                   ?draft=UID (a draft in Drafts), ?to=
//	POST /webmail/compose/save         save as draft (JSON for the script)
//	POST /webmail/compose/send         send, then the sent copy and flags
func (h *Handler) routesCompose(mux *http.ServeMux) {
	mux.HandleFunc("GET /webmail/compose", h.requireUser(h.serveCompose))
	mux.HandleFunc("POST /webmail/compose/save", h.requireUser(h.saveDraft))
	mux.HandleFunc("POST /webmail/compose/send", h.requireUser(h.sendMessage))
}

// specialMailbox is the user's mailbox with the special use (`\Drafts`,
// `\Sent`), else the one named fallback, created when missing (with the
// special use) so that a draft or a sent copy always has a place.
func (h *Handler) specialMailbox(ctx context.Context, userID uint64, use, fallback string) (*store.Mailbox, error) {
	mbs, err := h.o.Store.Mailboxes(ctx, userID)
	if err != nil {
		return nil, err
	}
	for i := range mbs {
		if mbs[i].SpecialUse == use {
			return &mbs[i], nil
		}
	}
	for i := range mbs {
		if strings.EqualFold(mbs[i].Name, fallback) {
			return &mbs[i], nil
		}
	}
	mb, err := h.o.Store.CreateMailbox(ctx, userID, fallback, use)
	if errors.Is(err, store.ErrExists) {
		return h.o.Store.MailboxByName(ctx, userID, fallback)
	}
	return mb, err
}

// storedMessage is one of the user's messages with its bytes.
type storedMessage struct {
	Mailbox *store.Mailbox
	Message store.Message
	Raw     []byte
}

// errNoMessage: the mailbox or message is not the user's (or gone).
var errNoMessage = errors.New("no such message")

// userMessage reads message uid of the user's mailbox mboxID; another
// user's mailbox is errNoMessage, as a missing one is (isolation).
func (h *Handler) userMessage(ctx context.Context, userID, mboxID uint64, uid uint32) (*storedMessage, error) {
	if mboxID == 0 || uid == 0 {
		return nil, errNoMessage
	}
	mb, err := h.o.Store.MailboxByID(ctx, userID, mboxID)
	if errors.Is(err, store.ErrNoSuchMailbox) || errors.Is(err, store.ErrNotFound) {
		return nil, errNoMessage
	}
	if err != nil {
		return nil, err
	}
	msgs, err := h.o.Store.GetMessages(ctx, userID, mb.ID, []uint32{uid})
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 || msgs[0].UID != uid {
		return nil, errNoMessage
	}
	raw, err := h.o.Store.ReadBodyBytes(msgs[0].BodyID)
	if err != nil {
		return nil, fmt.Errorf("message %d/%d: %w", mboxID, uid, err)
	}
	return &storedMessage{Mailbox: mb, Message: msgs[0], Raw: raw}, nil
}

// identities are the addresses the user may send as, their own first.
func (h *Handler) identities(ctx context.Context, s *Session) ([]string, error) {
	if h.o.Submitter == nil {
		return []string{s.Address}, nil
	}
	ids, err := h.o.Submitter.Identities(ctx, s.UserID, s.Address)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		ids = []string{s.Address}
	}
	return ids, nil
}

// identityMatcher reports whether an address is one of ids, also with a
// +tag (as store.MaySendAs accepts it).
func identityMatcher(ids []string) func(string) bool {
	set := map[string]bool{}
	for _, id := range ids {
		set[strings.ToLower(id)] = true
	}
	return func(a string) bool {
		a = strings.ToLower(a)
		if set[a] {
			return true
		}
		at := strings.LastIndexByte(a, '@')
		if at < 0 {
			return false
		}
		if plus := strings.IndexByte(a[:at], '+'); plus > 0 {
			return set[a[:plus]+a[at:]]
		}
		return false
	}
}

// chooseIdentity is the identity in ids that a is (case and +tag aside),
// "" if none.
func chooseIdentity(ids []string, a string) string {
	match := identityMatcher(ids)
	if !match(a) {
		return ""
	}
	for _, id := range ids {
		if identityMatcher([]string{id})(a) {
			return id
		}
	}
	return ""
}
