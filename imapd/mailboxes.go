package imapd

import (
	"errors"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/mailserver/mailserver/store"
)

var errUseAttr = &imap.Error{Type: imap.StatusResponseTypeNo, Code: "USEATTR", Text: "Unsupported special-use attribute"}

// Create implements imapserver.Session (RFC 9051 §6.3.4, RFC 6154 §3 for
// the USE parameter). Missing parent levels are created too.
func (s *session) Create(name string, options *imap.CreateOptions) error {
	// RFC 9051 §6.3.4: a trailing delimiter says the client means to
	// create children; the name itself is created without it.
	name = strings.TrimSuffix(name, string(store.Delimiter))
	if store.IsInbox(name) {
		return errExists
	}
	var use string
	if options != nil && len(options.SpecialUse) > 0 {
		if len(options.SpecialUse) > 1 || !slices.Contains(store.SpecialUses, string(options.SpecialUse[0])) {
			return errUseAttr
		}
		use = string(options.SpecialUse[0])
	}
	if _, err := store.CanonicalMailboxName(name); err != nil {
		return errBadName
	}
	_, err := s.srv.opts.Store.CreateMailbox(s.ctx, s.user.ID, name, use)
	return s.fail("create", err)
}

// Delete implements imapserver.Session (RFC 9051 §6.3.5). Children stay:
// their parent then lists as \NonExistent (\Noselect).
func (s *session) Delete(name string) error {
	if store.IsInbox(name) {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot, Text: "INBOX cannot be deleted"}
	}
	return s.fail("delete", s.srv.opts.Store.DeleteMailbox(s.ctx, s.user.ID, name, false))
}

// Rename implements imapserver.Session (RFC 9051 §6.3.6; renaming INBOX
// moves its messages to the new name and leaves INBOX empty).
func (s *session) Rename(oldName, newName string, options *imap.RenameOptions) error {
	if _, err := store.CanonicalMailboxName(newName); err != nil {
		return errBadName
	}
	return s.fail("rename", s.srv.opts.Store.RenameMailbox(s.ctx, s.user.ID, oldName, newName))
}

// Subscribe implements imapserver.Session (RFC 9051 §6.3.7).
func (s *session) Subscribe(name string) error {
	return s.fail("subscribe", s.srv.opts.Store.Subscribe(s.ctx, s.user.ID, name))
}

// Unsubscribe implements imapserver.Session (RFC 9051 §6.3.8): a name may
// be unsubscribed whether or not its mailbox exists. A name that is not
// subscribed gets OK, as from Dovecot: RFC 9051 leaves it to the server,
// and Thunderbird unsubscribes after every RENAME and delete to Trash, so
// a NO there is only noise (the store reports it as ErrNotFound).
func (s *session) Unsubscribe(name string) error {
	err := s.srv.opts.Store.Unsubscribe(s.ctx, s.user.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return s.fail("unsubscribe", err)
}

// Status implements imapserver.Session (RFC 9051 §6.3.11).
func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	mb, err := s.srv.opts.Store.MailboxByName(s.ctx, s.user.ID, name)
	if err != nil {
		return nil, s.fail("status", err)
	}
	return s.statusData(mb, options)
}

func (s *session) statusData(mb *store.Mailbox, options *imap.StatusOptions) (*imap.StatusData, error) {
	data := &imap.StatusData{Mailbox: mb.Name, UIDNext: imap.UID(mb.UIDNext), UIDValidity: mb.UIDValidity}
	// RECENT: the messages no session has been told of (RFC 3501 §6.3.10;
	// the library sends it to IMAP4rev1 sessions only).
	num, unseen, deleted, size, recent := mb.Messages, mb.Unseen, mb.Deleted, mb.Size, mb.Recent
	data.NumMessages, data.NumUnseen, data.NumDeleted, data.Size, data.NumRecent = &num, &unseen, &deleted, &size, &recent
	if options.AppendLimit {
		limit := s.AppendLimit()
		data.AppendLimit = &limit
	}
	if options.DeletedStorage {
		var n int64
		if mb.Deleted > 0 {
			msgs, err := s.srv.opts.Store.ListMessages(s.ctx, s.user.ID, mb.ID, 1, 0)
			if err != nil {
				return nil, s.fail("status", err)
			}
			for i := range msgs {
				if msgs[i].HasFlag(store.FlagDeleted) {
					n += msgs[i].Size
				}
			}
		}
		data.DeletedStorage = &n
	}
	return data, nil
}
