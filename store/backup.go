package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A backup is a copy of the database file as of one committed transaction
// (bbolt's Tx.WriteTo inside a read transaction: writers carry on, since
// bbolt never overwrites the pages a reader can see), written to a
// temporary name beside its destination, fsynced, and renamed into place,
// then described by a manifest, PATH.manifest.json, written the same way.
// A backup without its manifest is incomplete (a crash between the two
// renames); Restore refuses it.

// BackupFormat is the version of the manifest's format.
const BackupFormat = 1

// ManifestSuffix is appended to a backup's path to name its manifest.
const ManifestSuffix = ".manifest.json"

// BackupManifest describes a backup file.
type BackupManifest struct {
	Format  int       `json:"format"`
	Created time.Time `json:"created"`
	// Size and SHA256 are those of the backup file.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Schema is the store's schema version in the copy; TxID the bbolt
	// transaction it shows.
	Schema uint32 `json:"schema"`
	TxID   int    `json:"txid"`
}

// Progress is told how many bytes of total are done.
type Progress func(done, total int64)

// BackupOptions tune Backup.
type BackupOptions struct {
	Progress Progress // nil: none
	// Share is the fraction of the time the copy may work, between 0 and
	// 1 (0 means 1, full speed): with 0.5 it rests after each piece as
	// long as writing it took, leaving half of a core and of the disk's
	// bandwidth to the server's writers (a backup of a running server).
	Share float64
}

// Backup writes a consistent copy of the database to path and its
// manifest beside it. It holds one read transaction for the whole copy;
// writers are not blocked (but the pages they free are reused only after
// it ends, so the file may grow meanwhile). An existing file at path is
// replaced only once the new copy is complete.
func (s *Store) Backup(ctx context.Context, path string, opts BackupOptions) (*BackupManifest, error) {
	return backupDB(ctx, s.db, path, opts)
}

func backupDB(ctx context.Context, db *bolt.DB, path string, opts BackupOptions) (*BackupManifest, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	m := &BackupManifest{Format: BackupFormat, Created: time.Now().UTC()}
	sum := sha256.New()
	err = db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get([]byte("version")); len(v) == 4 {
			m.Schema = be32(v)
		}
		m.TxID = tx.ID()
		// Large writes: a syscall per MiB, not per 32 KiB io.Copy buffer.
		bw := bufio.NewWriterSize(&syncingWriter{ctx: ctx, f: f, share: opts.Share}, 1<<20)
		w := &progressWriter{ctx: ctx, w: io.MultiWriter(bw, sum), total: tx.Size(), progress: opts.Progress}
		n, err := tx.WriteTo(w)
		m.Size = n
		if err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return nil, fmt.Errorf("backup: copy: %w", err)
	}
	m.SHA256 = hex.EncodeToString(sum.Sum(nil))
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("backup: fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	ok = true
	if err := writeManifest(path, m); err != nil {
		return nil, err
	}
	return m, syncDir(dir)
}

// progressWriter counts what passes, tells progress at most every MiB,
// and stops the copy when ctx ends.
type progressWriter struct {
	ctx         context.Context
	w           io.Writer
	done, total int64
	told        int64
	progress    Progress
}

func (p *progressWriter) Write(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.progress != nil && (p.done-p.told >= 1<<20 || p.done == p.total) {
		p.told = p.done
		p.progress(p.done, p.total)
	}
	return n, err
}

// backupSyncEvery: a backup fsyncs its file every so many bytes. Without
// it, hundreds of MiB of dirty pages pile up, and the file system's
// journal makes every commit's fdatasync wait for them (ext4 in ordered
// mode flushes data before the journal commit that fsync waits for):
// the server's writers would crawl while a backup runs.
const backupSyncEvery = 8 << 20

// syncingWriter writes to f and fsyncs it every backupSyncEvery bytes,
// then rests so that it works only share of the time (BackupOptions).
type syncingWriter struct {
	ctx     context.Context
	f       *os.File
	share   float64
	pending int64
	since   time.Time // start of the current piece
}

func (s *syncingWriter) Write(b []byte) (int, error) {
	if s.since.IsZero() {
		s.since = time.Now()
	}
	n, err := s.f.Write(b)
	s.pending += int64(n)
	if err == nil && s.pending >= backupSyncEvery {
		s.pending = 0
		err = s.f.Sync()
		if s.share > 0 && s.share < 1 {
			worked := time.Since(s.since)
			rest := time.NewTimer(time.Duration(float64(worked) * (1 - s.share) / s.share))
			select {
			case <-s.ctx.Done():
				rest.Stop()
				return n, s.ctx.Err()
			case <-rest.C:
			}
		}
		s.since = time.Now()
	}
	return n, err
}

// writeManifest writes path's manifest through a temporary file.
func writeManifest(path string, m *BackupManifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileSync(path+ManifestSuffix, append(b, '\n')); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	return nil
}

// writeFileSync writes a file through a temporary name, fsynced before
// the rename.
func writeFileSync(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// ReadManifest reads the manifest of the backup at path.
func ReadManifest(path string) (*BackupManifest, error) {
	b, err := os.ReadFile(path + ManifestSuffix)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("backup %s has no manifest %s (an incomplete backup?): %w", path, path+ManifestSuffix, err)
		}
		return nil, err
	}
	var m BackupManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path+ManifestSuffix, err)
	}
	if m.Format != BackupFormat {
		return nil, fmt.Errorf("manifest %s: format %d, this program knows %d", path+ManifestSuffix, m.Format, BackupFormat)
	}
	return &m, nil
}

// CheckBackup compares the backup at path with its manifest (size and
// SHA-256) and returns the manifest.
func CheckBackup(path string, progress Progress) (*BackupManifest, error) {
	m, err := ReadManifest(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sum := sha256.New()
	n, err := io.Copy(&progressWriter{ctx: context.Background(), w: sum, total: m.Size, progress: progress}, f)
	if err != nil {
		return nil, fmt.Errorf("read backup %s: %w", path, err)
	}
	if n != m.Size {
		return nil, fmt.Errorf("backup %s is %d bytes, its manifest says %d", path, n, m.Size)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != m.SHA256 {
		return nil, fmt.Errorf("backup %s: SHA-256 %s does not match its manifest's %s", path, got, m.SHA256)
	}
	return m, nil
}

// BeforeRestoreSuffix names the copy Restore keeps of the database it
// replaces.
const BeforeRestoreSuffix = ".before-restore"

// Restore replaces the database at dbPath with the backup at backupPath,
// which must match its manifest and pass Verify. The current database, if
// any, is kept as dbPath+BeforeRestoreSuffix (an older one there is
// replaced). It fails with ErrLocked while a process has the database
// open, and holds the lock itself while it swaps the files.
func Restore(backupPath, dbPath string, progress Progress) (*BackupManifest, *VerifyReport, error) {
	m, err := CheckBackup(backupPath, progress)
	if err != nil {
		return nil, nil, err
	}
	rep, err := VerifyFile(context.Background(), backupPath)
	if err != nil {
		return m, nil, fmt.Errorf("verify backup %s: %w", backupPath, err)
	}
	if !rep.OK() {
		return m, rep, fmt.Errorf("backup %s fails verification: %d problems, the first: %s", backupPath, rep.ProblemCount, rep.Problems[0])
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return m, rep, err
	}
	// Lock the current database the way bbolt does (flock on the file),
	// so no server opens it while it is replaced.
	if cur, err := os.OpenFile(dbPath, os.O_RDWR, 0); err == nil {
		defer cur.Close()
		if err := lockFile(cur); err != nil {
			return m, rep, fmt.Errorf("restore %s: %w", dbPath, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return m, rep, err
	}
	tmp, err := copyFileSync(backupPath, dir, "."+filepath.Base(dbPath)+".restore-*")
	if err != nil {
		return m, rep, fmt.Errorf("restore: copy the backup: %w", err)
	}
	if err := os.Rename(dbPath, dbPath+BeforeRestoreSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		os.Remove(tmp)
		return m, rep, fmt.Errorf("restore: keep the current database: %w", err)
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		os.Remove(tmp)
		return m, rep, fmt.Errorf("restore: %w", err)
	}
	return m, rep, syncDir(dir)
}

// copyFileSync copies src to a new temporary file in dir (pattern as for
// os.CreateTemp), fsynced, mode 0600, and returns its name.
func copyFileSync(src, dir, pattern string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// syncDir fsyncs a directory, so that renames in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
