package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Compact rewrites the database at path without free pages: every bucket
// and key is copied, pages filled, into a new file beside it, which is
// fsynced and renamed over the old one. Offline only: it takes the
// database's lock for the whole run and fails with ErrLocked while a
// server has it open. (Doing it under a running server would need every
// reader of the store to move to the new file at one instant; a
// backup, taken online, followed by compact and restore in a maintenance
// window does the same.) It returns the file's size before and after.
func Compact(ctx context.Context, path string, progress Progress) (before, after int64, err error) {
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return 0, 0, fmt.Errorf("open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer src.Close()
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	before = fi.Size()
	dir := filepath.Dir(path)
	tmpf, err := os.CreateTemp(dir, "."+filepath.Base(path)+".compact-*")
	if err != nil {
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	tmp := tmpf.Name()
	tmpf.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	if err := copyDB(ctx, dst, src, progress); err != nil {
		dst.Close()
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return before, 0, fmt.Errorf("compact: fsync: %w", err)
	}
	if err := dst.Close(); err != nil {
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	ok = true
	if err := syncDir(dir); err != nil {
		return before, 0, err
	}
	fi, err = os.Stat(path)
	if err != nil {
		return before, 0, err
	}
	return before, fi.Size(), nil
}

// compactTxBytes bounds what one transaction of the copy writes.
const compactTxBytes = 64 << 20

// copyDB copies every bucket (with its sequence) and key of src into the
// empty dst, in transactions of about compactTxBytes, pages packed full.
// Each transaction is committed (fsynced); the file only counts once
// renamed into place.
func copyDB(ctx context.Context, dst, src *bolt.DB, progress Progress) error {
	return src.View(func(stx *bolt.Tx) error {
		total := stx.Size()
		var done, pending int64
		dtx, err := dst.Begin(true)
		if err != nil {
			return err
		}
		defer func() { dtx.Rollback() }()
		// path names the destination bucket by the keys leading to it,
		// since a bucket handle dies with its transaction.
		var copyBucket func(sb *bolt.Bucket, path [][]byte) error
		bucketAt := func(path [][]byte) *bolt.Bucket {
			b := dtx.Bucket(path[0])
			for _, k := range path[1:] {
				b = b.Bucket(k)
			}
			b.FillPercent = 1
			return b
		}
		maybeCommit := func(n int64) error {
			pending += n
			done += n
			if pending < compactTxBytes {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := dtx.Commit(); err != nil {
				return err
			}
			pending = 0
			if progress != nil {
				progress(min(done, total), total)
			}
			dtx, err = dst.Begin(true)
			return err
		}
		copyBucket = func(sb *bolt.Bucket, path [][]byte) error {
			c := sb.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v == nil {
					if child := sb.Bucket(k); child != nil {
						nb, err := bucketAt(path).CreateBucket(k)
						if err != nil {
							return err
						}
						if err := nb.SetSequence(child.Sequence()); err != nil {
							return err
						}
						if err := copyBucket(child, append(path[:len(path):len(path)], k)); err != nil {
							return err
						}
						continue
					}
				}
				if err := bucketAt(path).Put(k, v); err != nil {
					return err
				}
				if err := maybeCommit(int64(len(k) + len(v))); err != nil {
					return err
				}
			}
			return nil
		}
		err = stx.ForEach(func(name []byte, sb *bolt.Bucket) error {
			nb, err := dtx.CreateBucket(name)
			if err != nil {
				return err
			}
			if err := nb.SetSequence(sb.Sequence()); err != nil {
				return err
			}
			return copyBucket(sb, [][]byte{name})
		})
		if err != nil {
			return err
		}
		if err := dtx.Commit(); err != nil {
			return err
		}
		if progress != nil {
			progress(total, total)
		}
		return nil
	})
}
