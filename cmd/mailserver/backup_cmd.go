package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/mailserver/mailserver/store"
)

// The "mailserver backup", "restore" and "status" commands. A backup of a
// running server is taken by the server, through the admin socket (one
// process opens the database: DESIGN.md invariant 5), and its progress
// streamed back as JSON lines; with no server running the command opens
// the database itself. restore needs the server stopped.

// backupAdmin is what the backup endpoints need of the server's side.
type backupAdmin interface {
	Backup(ctx context.Context, path string, progress store.Progress) (*store.BackupManifest, error)
	Verify(ctx context.Context) (*store.VerifyReport, error)
	StoreStatus(ctx context.Context) (storeStatus, error)
}

var _ backupAdmin = (*directAdmin)(nil)

func (d *directAdmin) Backup(ctx context.Context, path string, progress store.Progress) (*store.BackupManifest, error) {
	return d.st.Backup(ctx, path, store.BackupOptions{Progress: progress, Share: onlineBackupShare})
}

func (d *directAdmin) Verify(ctx context.Context) (*store.VerifyReport, error) {
	return d.st.Verify(ctx)
}

func (d *directAdmin) StoreStatus(context.Context) (storeStatus, error) {
	st := storeStatus{Path: d.st.Path(), DiskFull: d.st.DiskFull(), NoSpaceFailures: d.st.NoSpaceFailures()}
	if fi, err := os.Stat(st.Path); err == nil {
		st.Size = fi.Size()
	}
	return st, nil
}

// storeStatus is the running server's view of its database.
type storeStatus struct {
	Path            string
	Size            int64
	DiskFull        bool   // the last commit failed for lack of space
	NoSpaceFailures uint64 // commits refused for lack of space since start
}

// Paths of the backup endpoints.
const (
	pathBackupCreate = "/v1/backup/create" // streaming: backupHandler
	pathVerify       = "/v1/backup/verify"
	pathStoreStatus  = "/v1/backup/status"
)

type backupArgs struct{ Path string }

// backupLine is one line of the streamed answer to pathBackupCreate:
// progress, then either the manifest or the error.
type backupLine struct {
	Done     int64                 `json:"done,omitempty"`
	Total    int64                 `json:"total,omitempty"`
	Manifest *store.BackupManifest `json:"manifest,omitempty"`
	Error    string                `json:"error,omitempty"`
}

// backupEndpoints are added to adminEndpoints.
func backupEndpoints() []adminEndpoint {
	return []adminEndpoint{
		endpoint(pathVerify, func(ctx context.Context, a admin, _ noArgs) (*store.VerifyReport, error) {
			return asBackupAdmin(a).Verify(ctx)
		}),
		endpoint(pathStoreStatus, func(ctx context.Context, a admin, _ noArgs) (storeStatus, error) {
			return asBackupAdmin(a).StoreStatus(ctx)
		}),
	}
}

// asBackupAdmin: the server's admin is a directAdmin, which has the
// backup methods; anything else is a programming error caught by the
// tests.
func asBackupAdmin(a admin) backupAdmin {
	return a.(backupAdmin)
}

// onlineBackupShare is the share of the time a backup of the running
// server works (store.BackupOptions.Share): the rest is left to the
// writers it would otherwise slow down.
const onlineBackupShare = 1.0 / 3

// backupProgressEvery is how often a backup's progress is sent.
const backupProgressEvery = 250 * time.Millisecond

// backupHandler takes a backup to the path in the request and streams its
// progress. The copy runs in a read transaction, so progress goes out
// from another goroutine: no socket write while the transaction is open
// can slow it. A client that disconnects cancels the backup.
func backupHandler(a admin, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req backupArgs
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil || !filepath.IsAbs(req.Path) {
			writeAdminError(w, &badRequestError{fmt.Errorf("want {\"Path\": absolute path}: %v", err)})
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		enc := json.NewEncoder(w)
		var done, total atomic.Int64
		result := make(chan backupLine, 1)
		go func() {
			m, err := asBackupAdmin(a).Backup(r.Context(), req.Path, func(d, t int64) { done.Store(d); total.Store(t) })
			if err != nil {
				result <- backupLine{Error: err.Error()}
				return
			}
			result <- backupLine{Manifest: m}
		}()
		tick := time.NewTicker(backupProgressEvery)
		defer tick.Stop()
		for {
			select {
			case line := <-result:
				if line.Error != "" {
					log.Error("backup failed", "path", req.Path, "err", line.Error)
				} else {
					log.Info("backup taken", "path", req.Path, "bytes", line.Manifest.Size, "sha256", line.Manifest.SHA256)
				}
				enc.Encode(line)
				return
			case <-tick.C:
				if t := total.Load(); t > 0 {
					enc.Encode(backupLine{Done: done.Load(), Total: t})
					rc.Flush()
				}
			}
		}
	})
}

// Backup asks the server for a backup and follows its progress.
func (c *adminClient) Backup(ctx context.Context, path string, progress store.Progress) (*store.BackupManifest, error) {
	body, _ := json.Marshal(backupArgs{path})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mailserver"+pathBackupCreate, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var eb adminErrorBody
		if json.NewDecoder(resp.Body).Decode(&eb) != nil || eb.Error == "" {
			return nil, fmt.Errorf("admin socket: %s %s: %s", http.MethodPost, pathBackupCreate, resp.Status)
		}
		return nil, &remoteError{msg: eb.Error, code: eb.Code}
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var line backupLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("admin socket: backup: %w", err)
		}
		switch {
		case line.Error != "":
			return nil, errors.New(line.Error)
		case line.Manifest != nil:
			return line.Manifest, nil
		case progress != nil:
			progress(line.Done, line.Total)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("admin socket: backup: %w", err)
	}
	return nil, errors.New("admin socket: the server ended the backup without a result (did it stop?)")
}

func (c *adminClient) Verify(ctx context.Context) (*store.VerifyReport, error) {
	return adminCall[*store.VerifyReport](ctx, c, pathVerify, noArgs{})
}

func (c *adminClient) StoreStatus(ctx context.Context) (storeStatus, error) {
	return adminCall[storeStatus](ctx, c, pathStoreStatus, noArgs{})
}

// serverClient returns a client of the running server's admin socket, or
// nil when no server answers there.
func serverClient(ctx context.Context, cfg *Config) (*adminClient, error) {
	sock := filepath.Join(cfg.DataDir, adminSocketFile)
	if err := checkSocketPath(sock); err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err == nil {
		conn.Close()
		return newAdminClient(sock), nil
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
		return nil, nil
	}
	return nil, fmt.Errorf("admin socket %s: %w", sock, err)
}

// openStoreOffline opens the database for a command run with no server.
func openStoreOffline(cfg *Config, log *slog.Logger) (*store.Store, error) {
	if err := makeDataDir(cfg); err != nil {
		return nil, err
	}
	st, err := store.Open(dbPath(cfg), storeOptions(cfg, log))
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w, but its admin socket does not answer; is it still starting?", err)
	}
	return st, err
}

func (c *cli) backupCmd(ctx context.Context, args []string) error {
	const synopsis = "PATH"
	path, err := c.oneArg("backup", synopsis, args)
	if err != nil {
		return err
	}
	if path, err = filepath.Abs(path); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	start := time.Now()
	progress := c.progress("backup")
	var m *store.BackupManifest
	client, err := serverClient(ctx, cfg)
	switch {
	case err != nil:
		return err
	case client != nil:
		defer client.Close()
		m, err = client.Backup(ctx, path, progress.update)
	default:
		st, oerr := openStoreOffline(cfg, c.cliLogger())
		if oerr != nil {
			return oerr
		}
		m, err = st.Backup(ctx, path, store.BackupOptions{Progress: progress.update}) // nobody else to leave room for
		if cerr := st.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	progress.end()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(c.stdout, "backup %s: %s, sha256 %s, in %s (manifest %s)\n", path, byteSize(m.Size), m.SHA256,
		time.Since(start).Round(time.Millisecond), path+store.ManifestSuffix)
	return nil
}

// refuseWhileRunning fails when a server answers on the admin socket.
func refuseWhileRunning(ctx context.Context, cfg *Config, what string) error {
	client, err := serverClient(ctx, cfg)
	if err != nil {
		return err
	}
	if client != nil {
		client.Close()
		return fmt.Errorf("%s needs the server stopped, but one is running with data_dir %s (its admin socket answers); stop it first", what, cfg.DataDir)
	}
	return nil
}

func (c *cli) restoreCmd(ctx context.Context, args []string) error {
	path, err := c.oneArg("restore", "PATH", args)
	if err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	if err := refuseWhileRunning(ctx, cfg, "restore"); err != nil {
		return err
	}
	if err := makeDataDir(cfg); err != nil {
		return err
	}
	progress := c.progress("checking")
	m, rep, err := store.Restore(path, dbPath(cfg), progress.update)
	progress.end()
	if rep != nil && !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintf(c.stderr, "problem: %s\n", p)
		}
	}
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("restore: %w: a process has %s open; stop the server first", err, dbPath(cfg))
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(c.stdout, "restored %s (taken %s, %s, %d messages, verified) to %s; the previous database, if any, is %s\n",
		path, m.Created.Local().Format(time.RFC3339), byteSize(m.Size), rep.Messages, dbPath(cfg), dbPath(cfg)+store.BeforeRestoreSuffix)
	return nil
}

func (c *cli) statusCmd(ctx context.Context, args []string) error {
	if err := c.noArgs("status", args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	client, err := serverClient(ctx, cfg)
	if err != nil {
		return err
	}
	if client != nil {
		defer client.Close()
		st, err := client.StoreStatus(ctx)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		fmt.Fprintf(c.stdout, "server:       running (admin socket %s)\n", filepath.Join(cfg.DataDir, adminSocketFile))
		fmt.Fprintf(c.stdout, "database:     %s, %s\n", st.Path, byteSize(st.Size))
		disk := "ok"
		if st.DiskFull {
			disk = "FULL: the last commit failed for lack of space; mail is refused with 452 4.3.1 until space is freed"
		}
		fmt.Fprintf(c.stdout, "disk:         %s (%d commits refused for lack of space since start)\n", disk, st.NoSpaceFailures)
	} else {
		fmt.Fprintf(c.stdout, "server:       not running\n")
		if fi, err := os.Stat(dbPath(cfg)); err == nil {
			fmt.Fprintf(c.stdout, "database:     %s, %s\n", dbPath(cfg), byteSize(fi.Size()))
		} else {
			fmt.Fprintf(c.stdout, "database:     %s (none yet)\n", dbPath(cfg))
		}
	}
	if cfg.Backup.Dir == "" {
		fmt.Fprintf(c.stdout, "backups:      not scheduled ([backup] dir is not set)\n")
		return nil
	}
	fmt.Fprintf(c.stdout, "backups:      every %s into %s, keeping %d\n", cfg.Backup.Interval.Duration, cfg.Backup.Dir, cfg.Backup.Keep)
	list, err := listBackups(cfg.Backup.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("status: %w", err)
	}
	if len(list) == 0 {
		fmt.Fprintf(c.stdout, "last backup:  none\n")
		return nil
	}
	last := list[len(list)-1]
	fmt.Fprintf(c.stdout, "last backup:  %s, taken %s (%s ago), %s, sha256 %s\n", last.path,
		last.m.Created.Local().Format(time.RFC3339), time.Since(last.m.Created).Round(time.Second), byteSize(last.m.Size), last.m.SHA256)
	fmt.Fprintf(c.stdout, "backups kept: %d\n", len(list))
	return nil
}

// progressLine shows a long operation's progress on a terminal (stderr),
// and nothing otherwise.
type progressLine struct {
	w      io.Writer
	label  string
	start  time.Time
	shown  bool
	lastAt time.Time
}

func (c *cli) progress(label string) *progressLine {
	p := &progressLine{label: label, start: time.Now()}
	if f, ok := c.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.w = f
	}
	return p
}

func (p *progressLine) update(done, total int64) {
	if p.w == nil || total <= 0 || (time.Since(p.lastAt) < 100*time.Millisecond && done < total) {
		return
	}
	p.lastAt = time.Now()
	rate := float64(done) / max(time.Since(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r%s: %3d%% (%s of %s, %s/s)   ", p.label, done*100/total, byteSize(done), byteSize(total), byteSize(int64(rate)))
	p.shown = true
}

func (p *progressLine) end() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
