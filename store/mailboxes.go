package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Delimiter separates the levels of a mailbox name.
const Delimiter = '/'

// Limits on mailbox names.
const (
	maxMailboxName  = 512
	maxMailboxDepth = 16
)

// Mailbox is a folder and its counters.
type Mailbox struct {
	ID            uint64
	Name          string
	UIDValidity   uint32
	UIDNext       uint32
	HighestModSeq uint64
	SpecialUse    string // RFC 6154 attribute, e.g. `\Sent`; "" if none
	Messages      uint32
	Unseen        uint32
	Deleted       uint32
	Size          int64
	Subscribed    bool
	// Keywords: every keyword the mailbox's messages have used
	// (keywords.go), at most MaxMailboxKeywords.
	Keywords []string
	// Recent: messages no session has claimed as \Recent (recent.go).
	Recent uint32
}

type mailboxRecord struct {
	ID            uint64   `json:"id"`
	Name          string   `json:"name"`
	UIDValidity   uint32   `json:"uidvalidity"`
	UIDNext       uint32   `json:"uidnext"`
	HighestModSeq uint64   `json:"highestmodseq"`
	SpecialUse    string   `json:"special_use,omitempty"`
	Messages      uint32   `json:"messages"`
	Unseen        uint32   `json:"unseen"`
	Deleted       uint32   `json:"deleted"`
	Size          int64    `json:"size"`
	Keywords      []string `json:"keywords,omitempty"`
	RecentUID     uint32   `json:"recent_uid,omitempty"` // recent.go
	Recent        uint32   `json:"recent,omitempty"`

	newKeywords []string // noted by this transaction, for its event
}

// IsInbox reports whether name is INBOX, in any case (RFC 9051 §5.1).
func IsInbox(name string) bool { return strings.EqualFold(name, "INBOX") }

// CanonicalMailboxName validates a mailbox name and returns it with an
// INBOX first level in upper case. Names are keys, never file paths: no
// empty levels, no control characters, valid UTF-8, no LIST wildcards, no
// leading '#' (namespace prefixes), bounded length and depth.
func CanonicalMailboxName(name string) (string, error) {
	if name == "" || len(name) > maxMailboxName || !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	levels := strings.Split(name, string(Delimiter))
	if len(levels) > maxMailboxDepth {
		return "", fmt.Errorf("%w: too deep: %q", ErrInvalidName, name)
	}
	for _, l := range levels {
		if l == "" {
			return "", fmt.Errorf("%w: empty level in %q", ErrInvalidName, name)
		}
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '*' || r == '%' || r == utf8.RuneError {
			return "", fmt.Errorf("%w: %q", ErrInvalidName, name)
		}
	}
	if name[0] == '#' {
		return "", fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	if IsInbox(levels[0]) {
		levels[0] = "INBOX"
		name = strings.Join(levels, string(Delimiter))
	}
	return name, nil
}

func account(tx *bolt.Tx, userID uint64) (*bolt.Bucket, error) {
	acct := tx.Bucket(bucketAccounts).Bucket(u64(userID))
	if acct == nil {
		return nil, fmt.Errorf("account %d: %w", userID, ErrNotFound)
	}
	return acct, nil
}

func msgBucketKey(mboxID uint64) []byte { return append([]byte("m"), u64(mboxID)...) }

func getMailboxByID(acct *bolt.Bucket, id uint64) (*mailboxRecord, error) {
	v := acct.Bucket([]byte("mboxes")).Get(u64(id))
	if v == nil {
		return nil, ErrNoSuchMailbox
	}
	var r mailboxRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("mailbox %d: %w", id, err)
	}
	return &r, nil
}

func getMailboxByName(acct *bolt.Bucket, name string) (*mailboxRecord, error) {
	canon, err := CanonicalMailboxName(name)
	if err != nil {
		return nil, err
	}
	v := acct.Bucket([]byte("mboxnames")).Get([]byte(canon))
	if v == nil {
		return nil, fmt.Errorf("%q: %w", name, ErrNoSuchMailbox)
	}
	return getMailboxByID(acct, be64(v))
}

func putMailbox(acct *bolt.Bucket, r *mailboxRecord) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return acct.Bucket([]byte("mboxes")).Put(u64(r.ID), v)
}

// nextUIDValidity issues a UIDVALIDITY never used before in this database
// (RFC 9051 §2.3.1.1: a re-created mailbox must get a new one).
func nextUIDValidity(tx *bolt.Tx) (uint32, error) {
	meta := tx.Bucket(bucketMeta)
	var last uint32
	if v := meta.Get([]byte("uidvalidity")); v != nil {
		last = be32(v)
	}
	next := last + 1
	if now := uint32(time.Now().Unix()); now > next {
		next = now
	}
	return next, meta.Put([]byte("uidvalidity"), u32(next))
}

func createMailbox(tx *bolt.Tx, acct *bolt.Bucket, userID uint64, name, specialUse string, ch *changes) (*mailboxRecord, error) {
	names := acct.Bucket([]byte("mboxnames"))
	if names.Get([]byte(name)) != nil {
		return nil, fmt.Errorf("%q: %w", name, ErrMailboxExists)
	}
	mboxes := acct.Bucket([]byte("mboxes"))
	id, err := mboxes.NextSequence()
	if err != nil {
		return nil, err
	}
	uv, err := nextUIDValidity(tx)
	if err != nil {
		return nil, err
	}
	r := &mailboxRecord{ID: id, Name: name, UIDValidity: uv, UIDNext: 1, HighestModSeq: 1, SpecialUse: specialUse}
	if err := putMailbox(acct, r); err != nil {
		return nil, err
	}
	if err := names.Put([]byte(name), u64(id)); err != nil {
		return nil, err
	}
	if _, err := acct.CreateBucket(msgBucketKey(id)); err != nil {
		return nil, err
	}
	ch.emit(Event{Kind: EventMailboxCreated, UserID: userID, MailboxID: id, Mailbox: name})
	return r, nil
}

func (r *mailboxRecord) mailbox(subscribed bool) Mailbox {
	return Mailbox{ID: r.ID, Name: r.Name, UIDValidity: r.UIDValidity, UIDNext: r.UIDNext,
		HighestModSeq: r.HighestModSeq, SpecialUse: r.SpecialUse, Messages: r.Messages,
		Unseen: r.Unseen, Deleted: r.Deleted, Size: r.Size, Subscribed: subscribed,
		Keywords: slices.Clone(r.Keywords), Recent: r.Recent}
}

// SpecialUses are the RFC 6154 attributes a mailbox may carry.
var SpecialUses = []string{`\All`, `\Archive`, `\Drafts`, `\Flagged`, `\Junk`, `\Sent`, `\Trash`}

// CreateMailbox creates a mailbox, and any missing parent levels (so the
// hierarchy always has real parents). specialUse is "" or one of SpecialUses.
func (s *Store) CreateMailbox(ctx context.Context, userID uint64, name, specialUse string) (*Mailbox, error) {
	canon, err := CanonicalMailboxName(name)
	if err != nil {
		return nil, err
	}
	if specialUse != "" {
		ok := false
		for _, su := range SpecialUses {
			if strings.EqualFold(su, specialUse) {
				specialUse, ok = su, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("store: unknown special use %q", specialUse)
		}
	}
	var out Mailbox
	err = s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		levels := strings.Split(canon, string(Delimiter))
		for i := 1; i < len(levels); i++ {
			parent := strings.Join(levels[:i], string(Delimiter))
			if acct.Bucket([]byte("mboxnames")).Get([]byte(parent)) == nil {
				if _, err := createMailbox(tx, acct, userID, parent, "", ch); err != nil {
					return err
				}
			}
		}
		r, err := createMailbox(tx, acct, userID, canon, specialUse, ch)
		if err != nil {
			return err
		}
		out = r.mailbox(false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Mailboxes lists a user's mailboxes sorted by name.
func (s *Store) Mailboxes(ctx context.Context, userID uint64) ([]Mailbox, error) {
	var out []Mailbox
	err := s.view(ctx, func(tx *bolt.Tx) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		subs := acct.Bucket([]byte("subs"))
		return acct.Bucket([]byte("mboxes")).ForEach(func(k, v []byte) error {
			var r mailboxRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("mailbox %d: %w", be64(k), err)
			}
			out = append(out, r.mailbox(subs.Get([]byte(r.Name)) != nil))
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// MailboxByName returns a mailbox and its counters (ErrNoSuchMailbox).
func (s *Store) MailboxByName(ctx context.Context, userID uint64, name string) (*Mailbox, error) {
	return s.mailbox(ctx, userID, func(acct *bolt.Bucket) (*mailboxRecord, error) {
		return getMailboxByName(acct, name)
	})
}

// MailboxByID returns a mailbox by ID (ErrNoSuchMailbox if deleted).
func (s *Store) MailboxByID(ctx context.Context, userID, mailboxID uint64) (*Mailbox, error) {
	return s.mailbox(ctx, userID, func(acct *bolt.Bucket) (*mailboxRecord, error) {
		return getMailboxByID(acct, mailboxID)
	})
}

func (s *Store) mailbox(ctx context.Context, userID uint64, find func(acct *bolt.Bucket) (*mailboxRecord, error)) (*Mailbox, error) {
	var out Mailbox
	err := s.view(ctx, func(tx *bolt.Tx) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		r, err := find(acct)
		if err != nil {
			return err
		}
		out = r.mailbox(acct.Bucket([]byte("subs")).Get([]byte(r.Name)) != nil)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteMailbox deletes a mailbox and its messages. With recursive, its
// children go too; without, they stay (RFC 9051 §6.3.4 lets the parent go
// while inferior names remain). INBOX cannot be deleted.
func (s *Store) DeleteMailbox(ctx context.Context, userID uint64, name string, recursive bool) error {
	canon, err := CanonicalMailboxName(name)
	if err != nil {
		return err
	}
	if canon == "INBOX" {
		return fmt.Errorf("INBOX: %w", ErrCannotDelete)
	}
	return s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		r, err := getMailboxByName(acct, canon)
		if err != nil {
			return err
		}
		victims := []*mailboxRecord{r}
		if recursive {
			children, err := childMailboxes(acct, canon)
			if err != nil {
				return err
			}
			victims = append(victims, children...)
		}
		for _, v := range victims {
			if err := dropMessages(tx, ch, acct, v.ID); err != nil {
				return err
			}
			if err := acct.DeleteBucket(msgBucketKey(v.ID)); err != nil {
				return err
			}
			if err := acct.Bucket([]byte("mboxes")).Delete(u64(v.ID)); err != nil {
				return err
			}
			if err := acct.Bucket([]byte("mboxnames")).Delete([]byte(v.Name)); err != nil {
				return err
			}
			ch.emit(Event{Kind: EventMailboxDeleted, UserID: userID, MailboxID: v.ID, Mailbox: v.Name})
		}
		return nil
	})
}

func childMailboxes(acct *bolt.Bucket, parent string) ([]*mailboxRecord, error) {
	var out []*mailboxRecord
	prefix := []byte(parent + string(Delimiter))
	c := acct.Bucket([]byte("mboxnames")).Cursor()
	for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
		r, err := getMailboxByID(acct, be64(v))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RenameMailbox renames a mailbox and its children (RFC 9051 §6.3.6).
// Renaming INBOX moves its messages to a new mailbox of the new name and
// leaves INBOX empty; INBOX's children stay where they are.
// Subscriptions follow the rename.
func (s *Store) RenameMailbox(ctx context.Context, userID uint64, oldName, newName string) error {
	from, err := CanonicalMailboxName(oldName)
	if err != nil {
		return err
	}
	to, err := CanonicalMailboxName(newName)
	if err != nil {
		return err
	}
	if to == "INBOX" || strings.HasPrefix(to, from+string(Delimiter)) {
		return fmt.Errorf("rename %q to %q: %w", from, to, ErrMailboxExists)
	}
	return s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		names := acct.Bucket([]byte("mboxnames"))
		subs := acct.Bucket([]byte("subs"))
		r, err := getMailboxByName(acct, from)
		if err != nil {
			return err
		}
		if names.Get([]byte(to)) != nil {
			return fmt.Errorf("%q: %w", to, ErrMailboxExists)
		}
		// Missing parents of the new name are created, as for CREATE.
		levels := strings.Split(to, string(Delimiter))
		for i := 1; i < len(levels); i++ {
			parent := strings.Join(levels[:i], string(Delimiter))
			if names.Get([]byte(parent)) == nil && parent != from {
				if _, err := createMailbox(tx, acct, userID, parent, "", ch); err != nil {
					return err
				}
			}
		}
		if from == "INBOX" {
			dst, err := createMailbox(tx, acct, userID, to, "", ch)
			if err != nil {
				return err
			}
			var uids []uint32
			c := acct.Bucket(msgBucketKey(r.ID)).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				uids = append(uids, be32(k))
			}
			if len(uids) == 0 {
				return nil
			}
			_, err = moveMessages(tx, acct, userID, r, dst, uids, ch)
			return err
		}
		children, err := childMailboxes(acct, from)
		if err != nil {
			return err
		}
		for _, m := range append([]*mailboxRecord{r}, children...) {
			old := m.Name
			m.Name = to + strings.TrimPrefix(old, from)
			if names.Get([]byte(m.Name)) != nil {
				return fmt.Errorf("%q: %w", m.Name, ErrMailboxExists)
			}
			if err := names.Delete([]byte(old)); err != nil {
				return err
			}
			if err := names.Put([]byte(m.Name), u64(m.ID)); err != nil {
				return err
			}
			if err := putMailbox(acct, m); err != nil {
				return err
			}
			if subs.Get([]byte(old)) != nil {
				if err := subs.Delete([]byte(old)); err != nil {
					return err
				}
				if err := subs.Put([]byte(m.Name), nil); err != nil {
					return err
				}
			}
			ch.emit(Event{Kind: EventMailboxRenamed, UserID: userID, MailboxID: m.ID, Mailbox: m.Name, OldName: old})
		}
		return nil
	})
}

// Subscribe adds name to the user's subscriptions (RFC 9051 §6.3.7). The
// mailbox must exist.
func (s *Store) Subscribe(ctx context.Context, userID uint64, name string) error {
	return s.setSubscribed(ctx, userID, name, true)
}

// Unsubscribe removes name from the subscriptions; the mailbox need not
// exist, and a name that is not subscribed is no error.
func (s *Store) Unsubscribe(ctx context.Context, userID uint64, name string) error {
	return s.setSubscribed(ctx, userID, name, false)
}

func (s *Store) setSubscribed(ctx context.Context, userID uint64, name string, on bool) error {
	canon, err := CanonicalMailboxName(name)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		subs := acct.Bucket([]byte("subs"))
		if !on {
			// RFC 9051 §6.3.8 leaves unsubscribing a name that is not
			// subscribed to the server; like Dovecot, it succeeds
			// (Thunderbird sends it after every RENAME and delete).
			return subs.Delete([]byte(canon))
		}
		if acct.Bucket([]byte("mboxnames")).Get([]byte(canon)) == nil {
			return fmt.Errorf("%q: %w", canon, ErrNoSuchMailbox)
		}
		return subs.Put([]byte(canon), nil)
	})
}

// Subscriptions lists the subscribed names, sorted; they may include names
// of mailboxes that no longer exist.
func (s *Store) Subscriptions(ctx context.Context, userID uint64) ([]string, error) {
	var out []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		return acct.Bucket([]byte("subs")).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}
