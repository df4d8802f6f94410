package store

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
)

// ErrNoSpace: a commit failed because the file system is full (ENOSPC),
// the user's disk quota is reached (EDQUOT) or the file may not grow
// (EFBIG). Nothing of the failed batch is visible: bbolt writes the meta
// page, which makes a transaction visible, only after every other page of
// it is written, and rolls the transaction back on the first failed write.
// The store stays open and commits again as soon as there is space.
// Protocols answer it as a temporary condition: SMTP 452 4.3.1, RFC 3463
// §3.4 "Mail system full".
var ErrNoSpace = errors.New("store: no space left for the database")

// isNoSpace reports whether err is a full disk. bbolt wraps the errno of
// a failed write with %w, but turns a failed grow (ftruncate) into text
// with %s, so the message is checked too.
func isNoSpace(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG) {
		return true
	}
	msg := err.Error()
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG} {
		if strings.Contains(msg, e.Error()) {
			return true
		}
	}
	return false
}

// diskSpace remembers whether the last commit failed for lack of space,
// so that the log says so once when it starts and once when it ends
// rather than once per refused message, and counts the refused commits.
type diskSpace struct {
	full     atomic.Bool
	failures atomic.Uint64
}

// commitFailed wraps the error of a failed commit of ops operations.
func (d *diskSpace) commitFailed(log *slog.Logger, err error, ops int) error {
	if !isNoSpace(err) {
		return fmt.Errorf("store: commit: %w", err)
	}
	d.failures.Add(1)
	if d.full.CompareAndSwap(false, true) {
		log.Error("disk full: commits are refused until space is freed; mail is answered with a temporary failure",
			"operations", ops, "err", err)
	}
	return fmt.Errorf("store: commit: %w: %w", ErrNoSpace, err)
}

// committed notes a successful commit.
func (d *diskSpace) committed(log *slog.Logger) {
	if d.full.Load() && d.full.CompareAndSwap(true, false) {
		log.Warn("disk space available again: commits succeed", "refused_commits", d.failures.Load())
	}
}

// NoSpaceFailures counts the commits refused for lack of space since Open
// (the metrics helper exports it; see also errors.Is(err, ErrNoSpace)).
func (s *Store) NoSpaceFailures() uint64 { return s.space.failures.Load() }

// DiskFull reports whether the last commit failed for lack of space.
func (s *Store) DiskFull() bool { return s.space.full.Load() }
