package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/mailserver/mailserver/store"
)

// "mailserver sieve list|get|put|activate|deactivate|delete ADDRESS
// [NAME] [FILE]" manages a user's Sieve scripts, through the admin socket
// of a running server or straight on the database when none runs, like
// the other commands; "mailserver sieve check FILE" only parses. A script
// is checked here, with the configuration's [sieve] limits and the parser
// delivery uses, before it is sent: what the CLI stores is what ManageSieve
// would have accepted.

// sieveAdmin is the Sieve part of the admin interface.
type sieveAdmin interface {
	SieveScripts(ctx context.Context, address string) ([]store.SieveScript, error)
	SieveScript(ctx context.Context, address, name string) ([]byte, error)
	PutSieveScript(ctx context.Context, address, name string, content []byte) error
	SetActiveSieveScript(ctx context.Context, address, name string) error
	DeleteSieveScript(ctx context.Context, address, name string) error
}

var (
	_ sieveAdmin = (*directAdmin)(nil)
	_ sieveAdmin = (*adminClient)(nil)
)

const (
	pathSieveList     = "/v1/sieve/list"
	pathSieveGet      = "/v1/sieve/get"
	pathSievePut      = "/v1/sieve/put"
	pathSieveActivate = "/v1/sieve/activate"
	pathSieveDelete   = "/v1/sieve/delete"
)

type sieveArgs struct {
	Address string
	Name    string `json:",omitempty"`
	Content []byte `json:",omitempty"` // base64 in JSON
}

// maxCLIScriptSize bounds [sieve] max_script_size so that a script fits
// the admin socket's 1 MiB request bodies as base64.
const maxCLIScriptSize = 512 << 10

// sieveEndpoints are added to adminEndpoints.
func sieveEndpoints() []adminEndpoint {
	sa := func(a admin) (sieveAdmin, error) {
		s, ok := a.(sieveAdmin)
		if !ok {
			return nil, errors.New("sieve: not supported here")
		}
		return s, nil
	}
	return []adminEndpoint{
		endpoint(pathSieveList, func(ctx context.Context, a admin, r sieveArgs) ([]store.SieveScript, error) {
			s, err := sa(a)
			if err != nil {
				return nil, err
			}
			return s.SieveScripts(ctx, r.Address)
		}),
		endpoint(pathSieveGet, func(ctx context.Context, a admin, r sieveArgs) ([]byte, error) {
			s, err := sa(a)
			if err != nil {
				return nil, err
			}
			return s.SieveScript(ctx, r.Address, r.Name)
		}),
		endpoint(pathSievePut, func(ctx context.Context, a admin, r sieveArgs) (noArgs, error) {
			s, err := sa(a)
			if err != nil {
				return noArgs{}, err
			}
			return done(s.PutSieveScript(ctx, r.Address, r.Name, r.Content))
		}),
		endpoint(pathSieveActivate, func(ctx context.Context, a admin, r sieveArgs) (noArgs, error) {
			s, err := sa(a)
			if err != nil {
				return noArgs{}, err
			}
			return done(s.SetActiveSieveScript(ctx, r.Address, r.Name))
		}),
		endpoint(pathSieveDelete, func(ctx context.Context, a admin, r sieveArgs) (noArgs, error) {
			s, err := sa(a)
			if err != nil {
				return noArgs{}, err
			}
			return done(s.DeleteSieveScript(ctx, r.Address, r.Name))
		}),
	}
}

// userID finds the account of address.
func (d *directAdmin) userID(ctx context.Context, address string) (uint64, error) {
	u, err := d.st.UserByAddress(ctx, address)
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

func (d *directAdmin) SieveScripts(ctx context.Context, address string) ([]store.SieveScript, error) {
	id, err := d.userID(ctx, address)
	if err != nil {
		return nil, err
	}
	return d.st.SieveScripts(ctx, id)
}

func (d *directAdmin) SieveScript(ctx context.Context, address, name string) ([]byte, error) {
	id, err := d.userID(ctx, address)
	if err != nil {
		return nil, err
	}
	return d.st.SieveScript(ctx, id, name)
}

func (d *directAdmin) PutSieveScript(ctx context.Context, address, name string, content []byte) error {
	id, err := d.userID(ctx, address)
	if err != nil {
		return err
	}
	return d.st.PutSieveScript(ctx, id, name, content)
}

func (d *directAdmin) SetActiveSieveScript(ctx context.Context, address, name string) error {
	id, err := d.userID(ctx, address)
	if err != nil {
		return err
	}
	return d.st.SetActiveSieveScript(ctx, id, name)
}

func (d *directAdmin) DeleteSieveScript(ctx context.Context, address, name string) error {
	id, err := d.userID(ctx, address)
	if err != nil {
		return err
	}
	return d.st.DeleteSieveScript(ctx, id, name)
}

func (c *adminClient) SieveScripts(ctx context.Context, address string) ([]store.SieveScript, error) {
	return adminCall[[]store.SieveScript](ctx, c, pathSieveList, sieveArgs{Address: address})
}

func (c *adminClient) SieveScript(ctx context.Context, address, name string) ([]byte, error) {
	return adminCall[[]byte](ctx, c, pathSieveGet, sieveArgs{Address: address, Name: name})
}

func (c *adminClient) PutSieveScript(ctx context.Context, address, name string, content []byte) error {
	_, err := adminCall[noArgs](ctx, c, pathSievePut, sieveArgs{Address: address, Name: name, Content: content})
	return err
}

func (c *adminClient) SetActiveSieveScript(ctx context.Context, address, name string) error {
	_, err := adminCall[noArgs](ctx, c, pathSieveActivate, sieveArgs{Address: address, Name: name})
	return err
}

func (c *adminClient) DeleteSieveScript(ctx context.Context, address, name string) error {
	_, err := adminCall[noArgs](ctx, c, pathSieveDelete, sieveArgs{Address: address, Name: name})
	return err
}

func (c *cli) sieveCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "sieve", args, map[string]func(context.Context, []string) error{
		"list":       c.sieveList,
		"get":        c.sieveGet,
		"put":        c.sievePut,
		"activate":   c.sieveActivate,
		"deactivate": c.sieveDeactivate,
		"delete":     c.sieveDelete,
		"check":      c.sieveCheck,
	})
}

// sieveArgsN parses exactly n positional arguments.
func (c *cli) sieveArgsN(verb, synopsis string, n int, args []string) ([]string, error) {
	pos, err := parseArgs(c.flags("sieve "+verb, synopsis), synopsis, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != n {
		return nil, usagef("sieve %s: usage: mailserver sieve %s %s", verb, verb, synopsis)
	}
	return pos, nil
}

// withSieve runs fn with the Sieve admin of the server or the database.
func (c *cli) withSieve(ctx context.Context, fn func(sieveAdmin, *Config) error) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	return c.withAdmin(ctx, func(a admin) error {
		sa, ok := a.(sieveAdmin)
		if !ok {
			return errors.New("sieve: not supported by this admin connection")
		}
		return fn(sa, cfg)
	})
}

func (c *cli) sieveList(ctx context.Context, args []string) error {
	pos, err := c.sieveArgsN("list", "ADDRESS", 1, args)
	if err != nil {
		return err
	}
	return c.withSieve(ctx, func(a sieveAdmin, _ *Config) error {
		list, err := a.SieveScripts(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("sieve list: %w", err)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tBYTES\tACTIVE\tUPDATED")
		for _, s := range list {
			active := ""
			if s.Active {
				active = "yes"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Name, s.Size, active, s.Updated.Local().Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	})
}

// sieveGet writes the script to stdout, byte for byte.
func (c *cli) sieveGet(ctx context.Context, args []string) error {
	pos, err := c.sieveArgsN("get", "ADDRESS NAME", 2, args)
	if err != nil {
		return err
	}
	return c.withSieve(ctx, func(a sieveAdmin, _ *Config) error {
		script, err := a.SieveScript(ctx, pos[0], pos[1])
		if err != nil {
			return fmt.Errorf("sieve get %s: %w", pos[1], err)
		}
		_, err = c.stdout.Write(script)
		return err
	})
}

// readScript reads FILE, "-" for standard input, up to limit bytes.
func (c *cli) readScript(path string, limit int) ([]byte, error) {
	var r io.Reader = c.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s is larger than [sieve] max_script_size (%d bytes)", path, limit)
	}
	return b, nil
}

func (c *cli) sievePut(ctx context.Context, args []string) error {
	pos, err := c.sieveArgsN("put", "ADDRESS NAME FILE", 3, args)
	if err != nil {
		return err
	}
	addr, name, file := pos[0], pos[1], pos[2]
	if _, err := store.CheckScriptName(name); err != nil {
		return fmt.Errorf("sieve put: %q: %w", name, err)
	}
	return c.withSieve(ctx, func(a sieveAdmin, cfg *Config) error {
		script, err := c.readScript(file, cfg.Sieve.MaxScriptSize)
		if err != nil {
			return fmt.Errorf("sieve put: %w", err)
		}
		if err := sieveChecker(cfg.Sieve)(script); err != nil {
			return fmt.Errorf("sieve put: %s: %w", file, err)
		}
		list, err := a.SieveScripts(ctx, addr)
		if err != nil {
			return fmt.Errorf("sieve put: %w", err)
		}
		exists := false
		for _, s := range list {
			exists = exists || s.Name == name
		}
		if !exists && len(list) >= cfg.Sieve.MaxScripts {
			return fmt.Errorf("sieve put: %s has %d scripts, the [sieve] max_scripts limit; delete one first", addr, len(list))
		}
		if err := a.PutSieveScript(ctx, addr, name, script); err != nil {
			return fmt.Errorf("sieve put: %w", err)
		}
		fmt.Fprintf(c.stdout, "stored script %s of %s (%d bytes)\n", name, addr, len(script))
		return nil
	})
}

func (c *cli) sieveActivate(ctx context.Context, args []string) error {
	pos, err := c.sieveArgsN("activate", "ADDRESS NAME", 2, args)
	if err != nil {
		return err
	}
	return c.withSieve(ctx, func(a sieveAdmin, cfg *Config) error {
		// Checked again, as ManageSieve's SETACTIVE does: a script stored
		// by an older version may no longer compile.
		script, err := a.SieveScript(ctx, pos[0], pos[1])
		if err != nil {
			return fmt.Errorf("sieve activate %s: %w", pos[1], err)
		}
		if err := sieveChecker(cfg.Sieve)(script); err != nil {
			return fmt.Errorf("sieve activate %s: %w", pos[1], err)
		}
		if err := a.SetActiveSieveScript(ctx, pos[0], pos[1]); err != nil {
			return fmt.Errorf("sieve activate %s: %w", pos[1], err)
		}
		fmt.Fprintf(c.stdout, "script %s of %s is active\n", pos[1], pos[0])
		return nil
	})
}

func (c *cli) sieveDeactivate(ctx context.Context, args []string) error {
	pos, err := c.sieveArgsN("deactivate", "ADDRESS", 1, args)
	if err != nil {
		return err
	}
	return c.withSieve(ctx, func(a sieveAdmin, _ *Config) error {
		if err := a.SetActiveSieveScript(ctx, pos[0], ""); err != nil {
			return fmt.Errorf("sieve deactivate: %w", err)
		}
		fmt.Fprintf(c.stdout, "no script of %s is active\n", pos[0])
		return nil
	})
}

func (c *cli) sieveDelete(ctx context.Context, args []string) error {
	pos, err := c.sieveArgsN("delete", "ADDRESS NAME", 2, args)
	if err != nil {
		return err
	}
	return c.withSieve(ctx, func(a sieveAdmin, _ *Config) error {
		err := a.DeleteSieveScript(ctx, pos[0], pos[1])
		if errors.Is(err, store.ErrSieveScriptActive) {
			return fmt.Errorf("sieve delete %s: it is the active script; run 'mailserver sieve deactivate %s' first", pos[1], pos[0])
		}
		if err != nil {
			return fmt.Errorf("sieve delete %s: %w", pos[1], err)
		}
		fmt.Fprintf(c.stdout, "deleted script %s of %s\n", pos[1], pos[0])
		return nil
	})
}

// sieveCheck parses FILE with the configuration's limits; it needs no
// server or database.
func (c *cli) sieveCheck(_ context.Context, args []string) error {
	pos, err := c.sieveArgsN("check", "FILE", 1, args)
	if err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	script, err := c.readScript(pos[0], cfg.Sieve.MaxScriptSize)
	if err != nil {
		return fmt.Errorf("sieve check: %w", err)
	}
	if err := sieveChecker(cfg.Sieve)(script); err != nil {
		return fmt.Errorf("sieve check: %s: %w", pos[0], err)
	}
	fmt.Fprintf(c.stdout, "%s: OK\n", pos[0])
	return nil
}
