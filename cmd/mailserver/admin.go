package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// adminSocketFile is the admin socket's name inside the data directory.
const adminSocketFile = "admin.sock"

// admin is what the management subcommands (user, domain, alias) need. It has
// two implementations: directAdmin over an open *store.Store, used when no
// server runs and, behind adminHandler, by the server itself; and
// adminClient, which reaches a running server through its admin socket
// (bbolt lets one process open the database, DESIGN.md invariant 5).
//
// To add an operation: add the method here, implement it on directAdmin,
// add one adminEndpoint in adminEndpoints (admin_http.go) and a one-line
// method on adminClient that calls c.call with the same path. The compile-
// time assertions below and TestAdminEndpointsRoundTrip catch a missing
// piece.
type admin interface {
	AddDomain(ctx context.Context, name string) error
	DeleteDomain(ctx context.Context, name string) error
	Domains(ctx context.Context) ([]string, error)

	// AddUser creates the account; a non-zero quota replaces the default.
	AddUser(ctx context.Context, address, password string, quota store.Quota) (*store.User, error)
	DeleteUser(ctx context.Context, address string) error
	SetPassword(ctx context.Context, address, password string) error
	Users(ctx context.Context) ([]store.User, error)

	AddAlias(ctx context.Context, address string, targets []string) error
	DeleteAlias(ctx context.Context, address string) error
	Aliases(ctx context.Context) ([]store.Alias, error)

	queueAdmin // queue_cmd.go
	dkimAdmin  // dkim_cmd.go

	// Close releases the database or the connection.
	Close() error
}

var (
	_ admin = (*directAdmin)(nil)
	_ admin = (*adminClient)(nil)
)

// directAdmin performs admin operations on an open store.
type directAdmin struct {
	st *store.Store
	// owned: Close closes st (the CLI opened it); the server's handler
	// shares the server's store and never closes it.
	owned bool
	// q is the outbound queue (the server's, so that admin changes wake
	// its scheduler); nil: one over st (queue_cmd.go).
	q *queue.Queue
	// domainAdded, if set, is called after a domain is added (the
	// server's ACME manager orders its names at once).
	domainAdded func()
}

func (d *directAdmin) AddDomain(ctx context.Context, name string) error {
	if err := d.st.AddDomain(ctx, name); err != nil {
		return err
	}
	if d.domainAdded != nil {
		d.domainAdded()
	}
	return nil
}

func (d *directAdmin) DeleteDomain(ctx context.Context, name string) error {
	return d.st.DeleteDomain(ctx, name)
}

func (d *directAdmin) Domains(ctx context.Context) ([]string, error) {
	return d.st.Domains(ctx)
}

func (d *directAdmin) AddUser(ctx context.Context, address, password string, quota store.Quota) (*store.User, error) {
	u, err := d.st.AddUser(ctx, address, password)
	if err != nil {
		return nil, err
	}
	if quota != (store.Quota{}) {
		if err := d.st.SetQuota(ctx, u.Address, quota); err != nil {
			return nil, fmt.Errorf("user %s created, but setting its quota failed: %w", u.Address, err)
		}
		u.Quota = quota
	}
	return u, nil
}

func (d *directAdmin) DeleteUser(ctx context.Context, address string) error {
	return d.st.DeleteUser(ctx, address)
}

func (d *directAdmin) SetPassword(ctx context.Context, address, password string) error {
	return d.st.SetPassword(ctx, address, password)
}

func (d *directAdmin) Users(ctx context.Context) ([]store.User, error) {
	return d.st.Users(ctx)
}

func (d *directAdmin) AddAlias(ctx context.Context, address string, targets []string) error {
	return d.st.AddAlias(ctx, address, targets)
}

func (d *directAdmin) DeleteAlias(ctx context.Context, address string) error {
	return d.st.DeleteAlias(ctx, address)
}

func (d *directAdmin) Aliases(ctx context.Context) ([]store.Alias, error) {
	return d.st.Aliases(ctx)
}

func (d *directAdmin) Close() error {
	if !d.owned {
		return nil
	}
	return d.st.Close()
}

// storeOptions maps the configuration onto store.Options; serve and the
// CLI's direct access use the same settings.
func storeOptions(cfg *Config, log *slog.Logger) *store.Options {
	return &store.Options{
		Logger: log,
		DefaultQuota: store.Quota{
			MaxBytes:    cfg.Quota.DefaultMaxBytes,
			MaxMessages: cfg.Quota.DefaultMaxMessages,
		},
		AuthDelays:         unwrapDurations(cfg.Auth.LoginDelays),
		AuthGuessLimit:     cfg.Auth.GuessLimit,
		AuthGuessWindow:    cfg.Auth.GuessWindow.Duration,
		PasswordHashSlots:  cfg.Auth.HashSlots,
		DefaultLoginDomain: cfg.Auth.DefaultDomain,
		Postmaster:         cfg.Postmaster,
	}
}

// seedDomains adds the config's domains to the store (those already
// there stay): whatever opens the database, serve or a CLI command,
// sees them as local domains.
func seedDomains(ctx context.Context, st *store.Store, cfg *Config) error {
	for _, d := range cfg.Domains {
		if err := st.AddDomain(ctx, d); err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("add domain %q from the config: %w", d, err)
		}
	}
	return nil
}

// dbPath is the database file inside the data directory.
func dbPath(cfg *Config) string { return filepath.Join(cfg.DataDir, "mail.db") }

// openAdmin reaches the running server through its admin socket, or, when
// none answers (no socket file, or a stale one left by a crash), opens the
// database directly.
func openAdmin(ctx context.Context, cfg *Config, log *slog.Logger) (admin, error) {
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
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	if err := makeDataDir(cfg); err != nil {
		return nil, err
	}
	st, err := store.Open(dbPath(cfg), storeOptions(cfg, log))
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("%w, but its admin socket %s does not answer; is it still starting?", err, sock)
		}
		return nil, fmt.Errorf("open store: %w", err)
	}
	// A running server added its config's domains when it started; here
	// no server runs, so the command does it (before the first start,
	// "user add alice@DOMAIN" needs DOMAIN).
	if err := seedDomains(ctx, st, cfg); err != nil {
		st.Close()
		return nil, err
	}
	return &directAdmin{st: st, owned: true, q: cliQueue(st, cfg, log)}, nil
}

// makeDataDir creates the data directory, private to this user: it holds
// the database, the TLS key and the admin socket.
func makeDataDir(cfg *Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory (data_dir in the config): %w", err)
	}
	return nil
}

// maxSocketPath is the longest unix socket path Linux accepts
// (sizeof(sockaddr_un.sun_path) - 1).
const maxSocketPath = 107

func checkSocketPath(path string) error {
	if len(path) > maxSocketPath {
		return fmt.Errorf("admin socket path %s is longer than %d bytes, the limit for unix sockets; use a shorter data_dir", path, maxSocketPath)
	}
	return nil
}
