package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Quota limits a user's mail. Zero fields mean the store's default
// (Options.DefaultQuota), whose zero fields mean unlimited.
type Quota struct {
	MaxBytes    int64 `json:"max_bytes,omitempty"`
	MaxMessages int64 `json:"max_messages,omitempty"`
}

// User is an account.
type User struct {
	ID      uint64
	Address string
	Quota   Quota
	Created time.Time
	// SpamToInbox delivers what the spam filter marks as spam to INBOX
	// (with the filter's header fields) rather than to Junk.
	SpamToInbox bool
	// Admin lets the user run the server from the webmail's
	// administration pages.
	Admin bool
}

type userRecord struct {
	ID      uint64    `json:"id"`
	Address string    `json:"address"`
	Hash    string    `json:"hash"`
	Quota   Quota     `json:"quota"`
	Created time.Time `json:"created"`
	// Absent in records written before the setting existed: false.
	SpamToInbox bool `json:"spam_to_inbox,omitempty"`
	// Absent in records written before the flag existed: not an admin.
	Admin bool `json:"admin,omitempty"`
}

func (r *userRecord) user() *User {
	return &User{ID: r.ID, Address: r.Address, Quota: r.Quota, Created: r.Created, SpamToInbox: r.SpamToInbox, Admin: r.Admin}
}

// Usage is what a user's mail occupies.
type Usage struct {
	Bytes    int64
	Messages int64
}

// defaultMailboxes are created with every account (RFC 6154 special use)
// and subscribed, since clients such as Thunderbird list subscribed folders.
var defaultMailboxes = []struct{ name, specialUse string }{
	{"INBOX", ""},
	{"Sent", `\Sent`},
	{"Drafts", `\Drafts`},
	{"Trash", `\Trash`},
	{"Junk", `\Junk`},
	{"Archive", `\Archive`},
}

func getUser(tx *bolt.Tx, address string) (*userRecord, error) {
	v := tx.Bucket(bucketUsers).Get([]byte(address))
	if v == nil {
		return nil, fmt.Errorf("user %s: %w", address, ErrNotFound)
	}
	var r userRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("user %s: %w", address, err)
	}
	return &r, nil
}

func putUser(tx *bolt.Tx, r *userRecord) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketUsers).Put([]byte(r.Address), v)
}

// AddUser creates an account in a local domain, with its default mailboxes.
func (s *Store) AddUser(ctx context.Context, address, password string) (*User, error) {
	local, domain, err := CanonicalAddress(address)
	if err != nil {
		return nil, err
	}
	if password == "" {
		return nil, fmt.Errorf("store: empty password for %s", address)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	address = local + "@" + domain
	var rec *userRecord
	err = s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		if tx.Bucket(bucketDomains).Get([]byte(domain)) == nil {
			return fmt.Errorf("user %s: %w", address, ErrNoSuchDomain)
		}
		users := tx.Bucket(bucketUsers)
		if users.Get([]byte(address)) != nil {
			return fmt.Errorf("user %s: %w", address, ErrExists)
		}
		id, err := users.NextSequence()
		if err != nil {
			return err
		}
		rec = &userRecord{ID: id, Address: address, Hash: hash, Created: time.Now().UTC().Truncate(time.Second)}
		if err := putUser(tx, rec); err != nil {
			return err
		}
		acct, err := tx.Bucket(bucketAccounts).CreateBucket(u64(id))
		if err != nil {
			return fmt.Errorf("user %s: account bucket: %w", address, err)
		}
		for _, name := range []string{"mboxnames", "mboxes", "subs"} {
			if _, err := acct.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		for _, d := range defaultMailboxes {
			if _, err := createMailbox(tx, acct, id, d.name, d.specialUse, ch); err != nil {
				return err
			}
			if err := acct.Bucket([]byte("subs")).Put([]byte(d.name), nil); err != nil {
				return err
			}
		}
		return nil
	})
	s.firstUser.invalidate()
	if err != nil {
		return nil, err
	}
	return rec.user(), nil
}

// DeleteUser removes an account and all its mail.
func (s *Store) DeleteUser(ctx context.Context, address string) error {
	address = canonicalOrRaw(address)
	defer s.firstUser.invalidate()
	return s.update(ctx, func(tx *bolt.Tx, ch *changes) error {
		rec, err := getUser(tx, address)
		if err != nil {
			return err
		}
		acct := tx.Bucket(bucketAccounts).Bucket(u64(rec.ID))
		if acct != nil {
			mboxes := acct.Bucket([]byte("mboxes"))
			c := mboxes.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if err := dropMessages(tx, ch, acct, be64(k)); err != nil {
					return err
				}
			}
			if err := tx.Bucket(bucketAccounts).DeleteBucket(u64(rec.ID)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketUsers).Delete([]byte(address))
	})
}

// SetPassword replaces a user's password.
func (s *Store) SetPassword(ctx context.Context, address, password string) error {
	if password == "" {
		return fmt.Errorf("store: empty password for %s", address)
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	address = canonicalOrRaw(address)
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		rec, err := getUser(tx, address)
		if err != nil {
			return err
		}
		rec.Hash = hash
		return putUser(tx, rec)
	})
}

// SetQuota sets a user's own quota (zero fields: the default).
func (s *Store) SetQuota(ctx context.Context, address string, q Quota) error {
	address = canonicalOrRaw(address)
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		rec, err := getUser(tx, address)
		if err != nil {
			return err
		}
		rec.Quota = q
		if err := putQuota(tx, rec.ID, q); err != nil {
			return err
		}
		return putUser(tx, rec)
	})
}

// SetSpamToInbox sets where the spam filter's spam goes for a user:
// INBOX (true) or the Junk mailbox (false, the default).
func (s *Store) SetSpamToInbox(ctx context.Context, address string, inbox bool) error {
	address = canonicalOrRaw(address)
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		rec, err := getUser(tx, address)
		if err != nil {
			return err
		}
		rec.SpamToInbox = inbox
		return putUser(tx, rec)
	})
}

// SetAdmin marks a user as an administrator (true) or not (false).
func (s *Store) SetAdmin(ctx context.Context, address string, admin bool) error {
	address = canonicalOrRaw(address)
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		rec, err := getUser(tx, address)
		if err != nil {
			return err
		}
		if rec.Admin == admin {
			return nil
		}
		rec.Admin = admin
		return putUser(tx, rec)
	})
}

// Users lists all accounts, sorted by address.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var out []User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			var r userRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("user %s: %w", k, err)
			}
			out = append(out, *r.user())
			return nil
		})
	})
	return out, err
}

// UserByAddress looks up an account by its exact address (no aliases).
func (s *Store) UserByAddress(ctx context.Context, address string) (*User, error) {
	var u *User
	err := s.view(ctx, func(tx *bolt.Tx) error {
		r, err := getUser(tx, canonicalOrRaw(address))
		if err != nil {
			return err
		}
		u = r.user()
		return nil
	})
	return u, err
}

// EffectiveQuota is u's quota with the store's defaults filled in.
func (s *Store) EffectiveQuota(u *User) Quota {
	q := u.Quota
	if q.MaxBytes == 0 {
		q.MaxBytes = s.opts.DefaultQuota.MaxBytes
	}
	if q.MaxMessages == 0 {
		q.MaxMessages = s.opts.DefaultQuota.MaxMessages
	}
	return q
}

// Usage reports what a user's mail occupies.
func (s *Store) Usage(ctx context.Context, userID uint64) (Usage, error) {
	var u Usage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		u = getUsage(acct)
		return nil
	})
	return u, err
}

// CheckQuota reports ErrOverQuota if a message of size bytes would not fit
// in the user's quota now (SMTP checks at RCPT time with the SIZE hint).
// It returns ErrExceedsQuota (which wraps ErrOverQuota) if the message
// alone exceeds the quota, so it could never fit.
func (s *Store) CheckQuota(ctx context.Context, userID uint64, size int64) error {
	return s.view(ctx, func(tx *bolt.Tx) error {
		acct, err := account(tx, userID)
		if err != nil {
			return err
		}
		q, err := s.quotaOf(tx, userID)
		if err != nil {
			return err
		}
		return checkQuota(q, getUsage(acct), size, 1)
	})
}

func canonicalOrRaw(address string) string {
	if l, d, err := CanonicalAddress(address); err == nil {
		return l + "@" + d
	}
	return address
}
