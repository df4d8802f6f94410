package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mailserver/mailserver/store"
)

// Defaults of [backup] interval and keep.
const (
	defaultBackupInterval = 24 * time.Hour
	defaultBackupKeep     = 7
)

// Scheduled backups are named by the time they were started, so that
// their names sort in time order.
const (
	backupPrefix     = "mail-"
	backupSuffix     = ".db"
	backupTimeLayout = "20060102T150405.000Z"
)

// backupWorkers returns the scheduled-backup worker when [backup] dir is
// set.
func backupWorkers(e *env) []worker {
	b := e.cfg.Backup
	if b.Dir == "" {
		return nil
	}
	return []worker{&backupWorker{st: e.store, dir: b.Dir, interval: b.Interval.Duration, keep: b.Keep,
		log: e.log.With("component", "backup")}}
}

// backupWorker takes a backup into dir every interval (the first when the
// newest one there is older than interval, at once if there is none) and
// deletes all but the newest keep. A failed backup is logged and tried
// again at the next interval; it does not stop the server.
type backupWorker struct {
	st       *store.Store
	dir      string
	interval time.Duration
	keep     int
	log      *slog.Logger
}

func (w *backupWorker) Run(ctx context.Context) error {
	if err := os.MkdirAll(w.dir, 0o700); err != nil {
		w.log.Error("backup directory ([backup] dir) cannot be created; no scheduled backups", "dir", w.dir, "err", err)
		<-ctx.Done()
		return nil
	}
	for {
		wait := time.Duration(0)
		if list, err := listBackups(w.dir); err == nil && len(list) > 0 {
			wait = time.Until(list[len(list)-1].m.Created.Add(w.interval))
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		w.take(ctx)
	}
}

// take takes one backup and prunes the old ones.
func (w *backupWorker) take(ctx context.Context) {
	start := time.Now().UTC()
	path := filepath.Join(w.dir, backupPrefix+start.Format(backupTimeLayout)+backupSuffix)
	m, err := w.st.Backup(ctx, path, store.BackupOptions{Share: onlineBackupShare})
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("scheduled backup failed; trying again in [backup] interval", "path", path, "err", err, "interval", w.interval)
		}
		return
	}
	w.log.Info("backup taken", "path", path, "bytes", m.Size, "sha256", m.SHA256, "duration", time.Since(start).Round(time.Millisecond))
	if err := pruneBackups(w.dir, w.keep); err != nil {
		w.log.Error("deleting old backups failed", "dir", w.dir, "err", err)
	}
}

// backupFile is a complete scheduled backup (one with its manifest).
type backupFile struct {
	path string
	m    *store.BackupManifest
}

// listBackups lists the complete scheduled backups in dir, oldest first.
func listBackups(dir string) ([]backupFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []backupFile
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, backupPrefix) || !strings.HasSuffix(name, backupSuffix) {
			continue
		}
		path := filepath.Join(dir, name)
		m, err := store.ReadManifest(path)
		if err != nil {
			continue // incomplete: no manifest (yet)
		}
		out = append(out, backupFile{path, m})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].m.Created.Before(out[j].m.Created) })
	return out, nil
}

// pruneBackups deletes all but the newest keep complete backups in dir,
// manifest first (so a crash leaves an incomplete backup, never a
// manifest without its file).
func pruneBackups(dir string, keep int) error {
	list, err := listBackups(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range list[:max(len(list)-keep, 0)] {
		if err := os.Remove(b.path + store.ManifestSuffix); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.Remove(b.path); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("prune: %w", errors.Join(errs...))
	}
	return nil
}
