package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/BurntSushi/toml"
	"golang.org/x/term"

	"github.com/mailserver/mailserver/store"
)

// withAdmin loads the config, reaches the server or the database, and runs
// fn.
func (c *cli) withAdmin(ctx context.Context, fn func(admin) error) error {
	cfg, err := c.config()
	if err != nil {
		return err
	}
	a, err := openAdmin(ctx, cfg, c.cliLogger())
	if err != nil {
		return err
	}
	err = fn(a)
	if cerr := a.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// noPasswordArgs is the usage error for a password given as an argument.
func noPasswordArgs(cmd string) error {
	return usagef("%s: too many arguments; passwords are never taken from the command line "+
		"(they would show in ps and shell history): type it at the prompt or pipe it with --password-stdin", cmd)
}

func (c *cli) userCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "user", args, map[string]func(context.Context, []string) error{
		"add":    c.userAdd,
		"del":    c.userDel,
		"passwd": c.userPasswd,
		"list":   c.userList,
		"spam":   c.userSpam,  // spam_cmd.go
		"admin":  c.userAdmin, // user_admin_cmd.go
	})
}

func (c *cli) userAdd(ctx context.Context, args []string) error {
	const synopsis = "ADDRESS [--password-stdin] [--quota-bytes N] [--admin]"
	fs := c.flags("user add", synopsis)
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	quotaBytes := fs.Int64("quota-bytes", 0, "mailbox size limit in bytes (0 = [quota] default_max_bytes)")
	asAdmin := fs.Bool("admin", false, "make the user an administrator (webmail administration pages)")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("user add: missing ADDRESS; usage: mailserver user add %s", synopsis)
	case len(pos) > 1:
		return noPasswordArgs("user add")
	case *quotaBytes < 0:
		return usagef("user add: --quota-bytes must not be negative")
	}
	if _, err := c.config(); err != nil { // report config errors before prompting
		return err
	}
	password, err := c.readPassword(*fromStdin)
	if err != nil {
		return err
	}
	return c.withAdmin(ctx, func(a admin) error {
		u, err := a.AddUser(ctx, pos[0], password, store.Quota{MaxBytes: *quotaBytes})
		if err != nil {
			return fmt.Errorf("add user: %w", err)
		}
		if *asAdmin {
			if err := setAdmin(ctx, a, u.Address, true); err != nil {
				return fmt.Errorf("user %s created, but making it an administrator failed (retry with: mailserver user admin %s): %w",
					u.Address, u.Address, err)
			}
			fmt.Fprintf(c.stdout, "added user %s (administrator)\n", u.Address)
			return nil
		}
		fmt.Fprintf(c.stdout, "added user %s\n", u.Address)
		return nil
	})
}

func (c *cli) userDel(ctx context.Context, args []string) error {
	addr, err := c.oneArg("user del", "ADDRESS", args)
	if err != nil {
		return err
	}
	return c.withAdmin(ctx, func(a admin) error {
		if err := a.DeleteUser(ctx, addr); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		fmt.Fprintf(c.stdout, "deleted user %s\n", addr)
		return nil
	})
}

func (c *cli) userPasswd(ctx context.Context, args []string) error {
	const synopsis = "ADDRESS [--password-stdin]"
	fs := c.flags("user passwd", synopsis)
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("user passwd: missing ADDRESS; usage: mailserver user passwd %s", synopsis)
	case len(pos) > 1:
		return noPasswordArgs("user passwd")
	}
	if _, err := c.config(); err != nil {
		return err
	}
	password, err := c.readPassword(*fromStdin)
	if err != nil {
		return err
	}
	return c.withAdmin(ctx, func(a admin) error {
		if err := a.SetPassword(ctx, pos[0], password); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		fmt.Fprintf(c.stdout, "changed password of %s\n", pos[0])
		return nil
	})
}

func (c *cli) userList(ctx context.Context, args []string) error {
	if err := c.noArgs("user list", args); err != nil {
		return err
	}
	return c.withAdmin(ctx, func(a admin) error {
		users, err := a.Users(ctx)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ADDRESS\tQUOTA BYTES\tQUOTA MESSAGES\tCREATED\tADMIN")
		for _, u := range users {
			role := "-"
			if u.Admin {
				role = "admin"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Address, quotaString(u.Quota.MaxBytes), quotaString(u.Quota.MaxMessages),
				u.Created.Local().Format("2006-01-02 15:04"), role)
		}
		return tw.Flush()
	})
}

func quotaString(n int64) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}

func (c *cli) domainCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "domain", args, map[string]func(context.Context, []string) error{
		"add": func(ctx context.Context, args []string) error {
			name, err := c.oneArg("domain add", "NAME", args)
			if err != nil {
				return err
			}
			cfg, err := c.config()
			if err != nil {
				return err
			}
			return c.withAdmin(ctx, func(a admin) error {
				err := a.AddDomain(ctx, name)
				if errors.Is(err, store.ErrExists) && slices.ContainsFunc(cfg.Domains, func(d string) bool { return strings.EqualFold(d, name) }) {
					// Added from the config's domains already (by serve or
					// by opening the database for this command).
					fmt.Fprintf(c.stdout, "domain %s is already local (listed in the config's domains)\n", name)
					return nil
				}
				if err != nil {
					return fmt.Errorf("add domain: %w", err)
				}
				fmt.Fprintf(c.stdout, "added domain %s; publish its DKIM records, printed by: mailserver dkim list %s\n", name, name)
				return nil
			})
		},
		"del": func(ctx context.Context, args []string) error {
			name, err := c.oneArg("domain del", "NAME", args)
			if err != nil {
				return err
			}
			return c.withAdmin(ctx, func(a admin) error {
				if err := a.DeleteDomain(ctx, name); err != nil {
					return fmt.Errorf("delete domain: %w", err)
				}
				fmt.Fprintf(c.stdout, "deleted domain %s\n", name)
				return nil
			})
		},
		"list": func(ctx context.Context, args []string) error {
			if err := c.noArgs("domain list", args); err != nil {
				return err
			}
			return c.withAdmin(ctx, func(a admin) error {
				domains, err := a.Domains(ctx)
				if err != nil {
					return fmt.Errorf("list domains: %w", err)
				}
				for _, d := range domains {
					fmt.Fprintln(c.stdout, d)
				}
				return nil
			})
		},
	})
}

func (c *cli) aliasCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "alias", args, map[string]func(context.Context, []string) error{
		"add": func(ctx context.Context, args []string) error {
			const synopsis = "ADDRESS TARGET [TARGET...]"
			pos, err := parseArgs(c.flags("alias add", synopsis), synopsis, args)
			if err != nil {
				return err
			}
			if len(pos) < 2 {
				return usagef("alias add: need ADDRESS and at least one TARGET; usage: mailserver alias add %s "+
					"(ADDRESS @example.com is the domain's catch-all)", synopsis)
			}
			return c.withAdmin(ctx, func(a admin) error {
				if err := a.AddAlias(ctx, pos[0], pos[1:]); err != nil {
					return fmt.Errorf("add alias: %w", err)
				}
				fmt.Fprintf(c.stdout, "alias %s -> %s\n", pos[0], strings.Join(pos[1:], ", "))
				return nil
			})
		},
		"del": func(ctx context.Context, args []string) error {
			addr, err := c.oneArg("alias del", "ADDRESS", args)
			if err != nil {
				return err
			}
			return c.withAdmin(ctx, func(a admin) error {
				if err := a.DeleteAlias(ctx, addr); err != nil {
					return fmt.Errorf("delete alias: %w", err)
				}
				fmt.Fprintf(c.stdout, "deleted alias %s\n", addr)
				return nil
			})
		},
		"list": func(ctx context.Context, args []string) error {
			if err := c.noArgs("alias list", args); err != nil {
				return err
			}
			return c.withAdmin(ctx, func(a admin) error {
				aliases, err := a.Aliases(ctx)
				if err != nil {
					return fmt.Errorf("list aliases: %w", err)
				}
				tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ADDRESS\tTARGETS")
				for _, al := range aliases {
					fmt.Fprintf(tw, "%s\t%s\n", al.Address, strings.Join(al.Targets, ", "))
				}
				return tw.Flush()
			})
		},
	})
}

// oneArg parses a command that takes exactly one positional argument.
func (c *cli) oneArg(name, synopsis string, args []string) (string, error) {
	pos, err := parseArgs(c.flags(name, synopsis), synopsis, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("%s: want one argument; usage: mailserver %s %s", name, name, synopsis)
	}
	return pos[0], nil
}

// noArgs parses a command that takes no positional argument.
func (c *cli) noArgs(name string, args []string) error {
	pos, err := parseArgs(c.flags(name, ""), "", args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("%s takes no arguments, got %q", name, pos)
	}
	return nil
}

// readPassword reads a password: the first line of stdin with
// --password-stdin, else from a no-echo prompt on the terminal, twice.
func (c *cli) readPassword(fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		p := strings.TrimRight(line, "\r\n")
		if p == "" {
			return "", errors.New("empty password on stdin")
		}
		return p, nil
	}
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("standard input is not a terminal to prompt for the password; use --password-stdin")
	}
	p1, err := c.prompt(f, "Password: ")
	if err != nil {
		return "", err
	}
	if p1 == "" {
		return "", errors.New("empty password")
	}
	p2, err := c.prompt(f, "Repeat password: ")
	if err != nil {
		return "", err
	}
	if p1 != p2 {
		return "", errors.New("the passwords do not match")
	}
	return p1, nil
}

// prompt reads one line without echo. Ctrl-C restores the terminal
// before the process ends, so echo is not left off.
func (c *cli) prompt(f *os.File, label string) (string, error) {
	fd := int(f.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("terminal: %w", err)
	}
	fmt.Fprint(c.stderr, label)
	defer fmt.Fprintln(c.stderr)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	type result struct {
		b   []byte
		err error
	}
	res := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		res <- result{b, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			return "", fmt.Errorf("read password: %w", r.err)
		}
		return string(r.b), nil
	case <-sig:
		term.Restore(fd, state)
		return "", errors.New("interrupted")
	}
}

func (c *cli) configCmd(_ context.Context, args []string) error {
	if err := c.noArgs("config", args); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	path, explicit := configPath(c.configFlag, c.getenv)
	source := "embedded defaults only (no config file)"
	if _, err := os.Stat(path); err == nil || explicit {
		source = "embedded defaults merged with " + path
	}
	fmt.Fprintf(c.stdout, "# mailserver effective configuration: %s\n", source)
	if err := toml.NewEncoder(c.stdout).Encode(cfg); err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return nil
}

func (c *cli) versionCmd(_ context.Context, args []string) error {
	if err := c.noArgs("version", args); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, versionString())
	return nil
}

// versionString is "mailserver VERSION (go1.x os/arch[, commit][, dirty])".
func versionString() string {
	v := version
	details := []string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version // go install module@version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				details = append(details, "commit "+s.Value)
			case s.Key == "vcs.modified" && s.Value == "true":
				details = append(details, "modified")
			}
		}
	}
	return fmt.Sprintf("mailserver %s (%s)", v, strings.Join(details, ", "))
}
