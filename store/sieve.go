package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/unicode/norm"
)

// Sieve scripts (RFC 5228), managed over ManageSieve (RFC 5804) and run at
// local delivery, live in the account's "sieve" bucket (layout in doc.go).
// The bucket is made by the first write, so accounts created before Sieve
// existed need no migration, and it goes with the account bucket when the
// user is deleted (DeleteUser). Count and size limits are policy, checked
// by the callers (managesieved, the CLI).

// Errors of the Sieve script methods (besides ErrNotFound and ErrExists).
var (
	// ErrInvalidScriptName: the name breaks RFC 5804 §1.6.
	ErrInvalidScriptName = errors.New("store: invalid Sieve script name")
	// ErrSieveScriptActive: the active script cannot be deleted
	// (RFC 5804 §2.10); deactivate it first.
	ErrSieveScriptActive = errors.New("store: the Sieve script is active")
)

// MaxScriptNameChars is the longest script name accepted, in Unicode
// characters. RFC 5804 §1.6: servers MUST allow 128 and MUST NOT truncate
// longer ones; this is Pigeonhole's limit, so names move between the two.
const MaxScriptNameChars = 256

var (
	bucketSieve        = []byte("sieve")
	bucketSieveScripts = []byte("scripts")
	keySieveActive     = []byte("active")
)

// SieveScript describes a stored script.
type SieveScript struct {
	Name    string
	Size    int // bytes
	Active  bool
	Updated time.Time
}

// CheckScriptName returns name in Unicode normalization form C, or
// ErrInvalidScriptName when it cannot name a script. RFC 5804 §1.6: UTF-8,
// Net-Unicode (RFC 5198 §2: NFC, which the store applies rather than
// refuses), at least one octet, and none of U+0000–U+001F, U+007F,
// U+0080–U+009F, U+2028 and U+2029.
func CheckScriptName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalidScriptName)
	}
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("%w: not UTF-8", ErrInvalidScriptName)
	}
	name = norm.NFC.String(name)
	n := 0
	for _, r := range name {
		n++
		switch {
		case r <= 0x1f, r >= 0x7f && r <= 0x9f, r == 0x2028, r == 0x2029:
			return "", fmt.Errorf("%w: control character U+%04X", ErrInvalidScriptName, r)
		case r == 0xfeff:
			// RFC 5198 §2 excludes the byte order mark.
			return "", fmt.Errorf("%w: byte order mark", ErrInvalidScriptName)
		}
	}
	if n > MaxScriptNameChars {
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidScriptName, MaxScriptNameChars)
	}
	return name, nil
}

// sieveBucket returns the account's sieve bucket, nil if it has none yet.
func sieveBucket(tx *bolt.Tx, userID uint64) (*bolt.Bucket, error) {
	acct, err := account(tx, userID)
	if err != nil {
		return nil, err
	}
	return acct.Bucket(bucketSieve), nil
}

// sieveBucketForWrite returns the account's sieve bucket and its scripts
// bucket, creating them, and advances the script version: every write
// changes it, which covers every change of the active script.
func sieveBucketForWrite(tx *bolt.Tx, userID uint64) (sv, scripts *bolt.Bucket, err error) {
	acct, err := account(tx, userID)
	if err != nil {
		return nil, nil, err
	}
	if sv, err = acct.CreateBucketIfNotExists(bucketSieve); err != nil {
		return nil, nil, fmt.Errorf("sieve bucket of account %d: %w", userID, err)
	}
	if scripts, err = sv.CreateBucketIfNotExists(bucketSieveScripts); err != nil {
		return nil, nil, fmt.Errorf("sieve scripts of account %d: %w", userID, err)
	}
	if _, err := sv.NextSequence(); err != nil {
		return nil, nil, err
	}
	return sv, scripts, nil
}

func encodeSieveScript(updated time.Time, content []byte) []byte {
	v := make([]byte, 8, 8+len(content))
	copy(v, u64(uint64(updated.UnixNano())))
	return append(v, content...)
}

// sieveRecord splits a stored script. The content aliases v.
func sieveRecord(v []byte) (updated time.Time, content []byte, ok bool) {
	if len(v) < 8 {
		return time.Time{}, nil, false
	}
	return time.Unix(0, int64(be64(v))).UTC(), v[8:], true
}

// SieveScripts lists a user's scripts, sorted by name (byte order).
func (s *Store) SieveScripts(ctx context.Context, userID uint64) ([]SieveScript, error) {
	var out []SieveScript
	err := s.view(ctx, func(tx *bolt.Tx) error {
		sv, err := sieveBucket(tx, userID)
		if err != nil || sv == nil {
			return err
		}
		scripts := sv.Bucket(bucketSieveScripts)
		if scripts == nil {
			return nil
		}
		active := sv.Get(keySieveActive)
		return scripts.ForEach(func(k, v []byte) error {
			updated, content, ok := sieveRecord(v)
			if !ok {
				return fmt.Errorf("sieve script %q of account %d: record of %d bytes", k, userID, len(v))
			}
			out = append(out, SieveScript{Name: string(k), Size: len(content),
				Active: bytes.Equal(k, active), Updated: updated})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: sieve scripts: %w", err)
	}
	return out, nil
}

// SieveScript returns a script's content, or ErrNotFound.
func (s *Store) SieveScript(ctx context.Context, userID uint64, name string) ([]byte, error) {
	name, err := CheckScriptName(name)
	if err != nil {
		return nil, err
	}
	var out []byte
	err = s.view(ctx, func(tx *bolt.Tx) error {
		sv, err := sieveBucket(tx, userID)
		if err != nil {
			return err
		}
		v := getSieveScript(sv, name)
		if v == nil {
			return fmt.Errorf("sieve script %q: %w", name, ErrNotFound)
		}
		_, content, ok := sieveRecord(v)
		if !ok {
			return fmt.Errorf("sieve script %q: record of %d bytes", name, len(v))
		}
		out = bytes.Clone(content)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

// getSieveScript returns the stored record of name, nil if there is none
// (sv may be nil).
func getSieveScript(sv *bolt.Bucket, name string) []byte {
	if sv == nil {
		return nil
	}
	scripts := sv.Bucket(bucketSieveScripts)
	if scripts == nil {
		return nil
	}
	return scripts.Get([]byte(name))
}

// PutSieveScript creates the script name or replaces its content (an
// active script stays active). The caller has checked the script.
func (s *Store) PutSieveScript(ctx context.Context, userID uint64, name string, content []byte) error {
	name, err := CheckScriptName(name)
	if err != nil {
		return err
	}
	v := encodeSieveScript(time.Now(), content) // not changed after this: bbolt keeps it until commit
	err = s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		_, scripts, err := sieveBucketForWrite(tx, userID)
		if err != nil {
			return err
		}
		return scripts.Put([]byte(name), v)
	})
	if err != nil {
		return fmt.Errorf("store: put sieve script %q: %w", name, err)
	}
	return nil
}

// SetActiveSieveScript makes name the user's one active script (RFC 5804
// §2.8); "" deactivates whichever is. ErrNotFound if name does not exist.
func (s *Store) SetActiveSieveScript(ctx context.Context, userID uint64, name string) error {
	if name != "" {
		var err error
		if name, err = CheckScriptName(name); err != nil {
			return err
		}
	}
	err := s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		sv, scripts, err := sieveBucketForWrite(tx, userID)
		if err != nil {
			return err
		}
		if name == "" {
			return sv.Delete(keySieveActive)
		}
		if scripts.Get([]byte(name)) == nil {
			return fmt.Errorf("sieve script %q: %w", name, ErrNotFound)
		}
		return sv.Put(keySieveActive, []byte(name))
	})
	if err != nil {
		return fmt.Errorf("store: activate sieve script: %w", err)
	}
	return nil
}

// DeleteSieveScript deletes a script that is not active: ErrNotFound,
// ErrSieveScriptActive.
func (s *Store) DeleteSieveScript(ctx context.Context, userID uint64, name string) error {
	name, err := CheckScriptName(name)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		sv, err := sieveBucket(tx, userID)
		if err != nil {
			return err
		}
		if getSieveScript(sv, name) == nil {
			return fmt.Errorf("sieve script %q: %w", name, ErrNotFound)
		}
		if bytes.Equal(sv.Get(keySieveActive), []byte(name)) {
			return fmt.Errorf("sieve script %q: %w", name, ErrSieveScriptActive)
		}
		if _, err := sv.NextSequence(); err != nil {
			return err
		}
		return sv.Bucket(bucketSieveScripts).Delete([]byte(name))
	})
	if err != nil {
		return fmt.Errorf("store: delete sieve script: %w", err)
	}
	return nil
}

// RenameSieveScript renames a script, keeping its content, its time of
// change and whether it is active (RFC 5804 §2.11.1): ErrNotFound if
// oldName does not exist, ErrExists if newName does.
func (s *Store) RenameSieveScript(ctx context.Context, userID uint64, oldName, newName string) error {
	oldName, err := CheckScriptName(oldName)
	if err != nil {
		return err
	}
	if newName, err = CheckScriptName(newName); err != nil {
		return err
	}
	err = s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		sv, err := sieveBucket(tx, userID)
		if err != nil {
			return err
		}
		v := getSieveScript(sv, oldName)
		if v == nil {
			return fmt.Errorf("sieve script %q: %w", oldName, ErrNotFound)
		}
		if getSieveScript(sv, newName) != nil {
			// Renaming a script to its own name, too: RFC 5804 §2.11.1
			// gives ALREADYEXISTS for any existing new name.
			return fmt.Errorf("sieve script %q: %w", newName, ErrExists)
		}
		v = bytes.Clone(v) // Put and Delete below move pages under it
		if _, err := sv.NextSequence(); err != nil {
			return err
		}
		scripts := sv.Bucket(bucketSieveScripts)
		if err := scripts.Put([]byte(newName), v); err != nil {
			return err
		}
		if err := scripts.Delete([]byte(oldName)); err != nil {
			return err
		}
		if bytes.Equal(sv.Get(keySieveActive), []byte(oldName)) {
			return sv.Put(keySieveActive, []byte(newName))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: rename sieve script: %w", err)
	}
	return nil
}

// ActiveSieveScript returns the user's active script: its name, content
// and the script version, or "" and nil when none is active. The version
// changes with every change of the user's scripts (put, activate,
// deactivate, rename, delete), so a compiled script cached under
// (userID, version) is the active one while the version is the same.
func (s *Store) ActiveSieveScript(ctx context.Context, userID uint64) (name string, content []byte, version uint64, err error) {
	err = s.view(ctx, func(tx *bolt.Tx) error {
		sv, err := sieveBucket(tx, userID)
		if err != nil || sv == nil {
			return err
		}
		version = sv.Sequence()
		active := sv.Get(keySieveActive)
		if active == nil {
			return nil
		}
		v := getSieveScript(sv, string(active))
		_, c, ok := sieveRecord(v)
		if !ok {
			return fmt.Errorf("active sieve script %q of account %d is missing or damaged", active, userID)
		}
		name, content = string(active), bytes.Clone(c)
		if content == nil {
			content = []byte{}
		}
		return nil
	})
	if err != nil {
		return "", nil, 0, fmt.Errorf("store: active sieve script: %w", err)
	}
	return name, content, version, nil
}
