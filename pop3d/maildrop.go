package pop3d

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/mailserver/mailserver/store"
)

// maildrop is the user's INBOX as it was when the session entered
// TRANSACTION: message numbers are indexes into msgs + 1 and stay fixed for
// the session (RFC 1939 §7); mail delivered later shows in the next session.
type maildrop struct {
	st          Store
	userID      uint64
	mailboxID   uint64
	uidValidity uint32
	msgs        []message
}

// message is one message of the maildrop.
type message struct {
	uid    uint32
	bodyID uint64
	stored int64 // Message.Size: the stored body's octets
	// pad is what sending adds after the body: 2 for the CRLF that ends a
	// body without one, 0 otherwise; -1 until looked at.
	pad     int8
	deleted bool // marked by DELE
}

// loadMaildrop snapshots the user's INBOX.
func loadMaildrop(ctx context.Context, st Store, userID uint64) (*maildrop, error) {
	mb, err := st.MailboxByName(ctx, userID, "INBOX")
	if err != nil {
		return nil, fmt.Errorf("INBOX: %w", err)
	}
	list, err := st.ListMessages(ctx, userID, mb.ID, 1, 0)
	if err != nil {
		return nil, fmt.Errorf("list INBOX: %w", err)
	}
	d := &maildrop{st: st, userID: userID, mailboxID: mb.ID, uidValidity: mb.UIDValidity, msgs: make([]message, len(list))}
	for i, m := range list {
		d.msgs[i] = message{uid: m.UID, bodyID: m.BodyID, stored: m.Size, pad: -1}
	}
	return d, nil
}

// lookup parses a message-number argument and returns the message, which
// must exist and not be marked as deleted (RFC 1939 §5).
func (d *maildrop) lookup(arg string) (int, *message, error) {
	n, err := strconv.ParseUint(arg, 10, 32)
	if err != nil || n == 0 || n > uint64(len(d.msgs)) {
		return 0, nil, errorf("", "no such message")
	}
	m := &d.msgs[n-1]
	if m.deleted {
		return 0, nil, errorf("", "message %d already deleted", n)
	}
	return int(n), m, nil
}

// size is the exact size of m as RETR sends it, without the byte-stuffing
// dots: the stored body plus the CRLF added to a body that lacks a final
// one (see the package documentation).
func (d *maildrop) size(m *message) (int64, error) {
	if m.pad < 0 {
		pad, err := d.padding(m)
		if err != nil {
			return 0, err
		}
		m.pad = pad
	}
	return m.stored + int64(m.pad), nil
}

// padding reads the last two octets of m's body.
func (d *maildrop) padding(m *message) (int8, error) {
	if m.stored == 0 {
		return 0, nil
	}
	if m.stored < 2 {
		return 2, nil
	}
	r, err := d.st.OpenBody(m.bodyID)
	if errors.Is(err, store.ErrNoSuchMessage) {
		// Expunged meanwhile by another protocol: RETR will say so.
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open body %d: %w", m.bodyID, err)
	}
	defer r.Close() // the reader pins the body (store: a body outlives its readers)
	var tail [2]byte
	if _, err := r.ReadAt(tail[:], m.stored-2); err != nil && err != io.EOF {
		if errors.Is(err, store.ErrNoSuchMessage) {
			return 0, nil
		}
		return 0, fmt.Errorf("read body %d: %w", m.bodyID, err)
	}
	if tail == [2]byte{'\r', '\n'} {
		return 0, nil
	}
	return 2, nil
}

// totals counts the messages not marked as deleted and their sizes.
func (d *maildrop) totals() (count int, octets int64, err error) {
	for i := range d.msgs {
		m := &d.msgs[i]
		if m.deleted {
			continue
		}
		sz, err := d.size(m)
		if err != nil {
			return 0, 0, err
		}
		count++
		octets += sz
	}
	return count, octets, nil
}

// uidl is the unique-id of m (RFC 1939 §7: 1 to 70 characters in
// 0x21-0x7E): INBOX's UIDVALIDITY and the message's UID. Both are stable
// across sessions and restarts, and a UID is never reused while the
// UIDVALIDITY stays.
func (d *maildrop) uidl(m *message) string {
	return strconv.FormatUint(uint64(d.uidValidity), 10) + "." + strconv.FormatUint(uint64(m.uid), 10)
}

// marked lists the UIDs marked as deleted, ascending.
func (d *maildrop) marked() []uint32 {
	var uids []uint32
	for _, m := range d.msgs {
		if m.deleted {
			uids = append(uids, m.uid)
		}
	}
	return uids
}
