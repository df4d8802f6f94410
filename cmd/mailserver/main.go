// Command mailserver is a self-hostable mail server: SMTP (MX and
// submission), POP3 and IMAP over one embedded database, plus the
// subcommands that manage it. See README.md.
//
//	mailserver [--config FILE] COMMAND [ARGS]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// cli carries what a command needs; tests build their own.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	configFlag     string // --config, before or after the command
}

// command is one subcommand. run gets the arguments after its name.
type command struct {
	name    string
	args    string // synopsis of the arguments
	summary string
	run     func(c *cli, ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "", "run the mail server until SIGINT or SIGTERM", (*cli).serveCmd},
		{"user", "add|del|passwd|list|spam|admin ...", "manage accounts", (*cli).userCmd},
		{"domain", "add|del|list ...", "manage local domains", (*cli).domainCmd},
		{"alias", "add|del|list ...", "manage aliases and catch-alls", (*cli).aliasCmd},
		{"queue", "list|show|retry|delete|bounce ...", "inspect and manage outbound mail", (*cli).queueCmd},
		{"dkim", "list|rotate|retire ...", "DKIM signing keys and their DNS records", (*cli).dkimCmd},
		{"cert", "status|renew [--force]", "TLS certificates: expiry and ACME renewals", (*cli).certCmd},
		{"dns", "records|check DOMAIN", "the DNS records a domain should publish, and whether it does", (*cli).dnsCmd},
		{"backup", "PATH", "write a consistent copy of the database (online or offline)", (*cli).backupCmd},
		{"restore", "PATH", "replace the database with a backup (server stopped)", (*cli).restoreCmd},
		{"verify", "", "check the database's consistency (online or offline)", (*cli).verifyCmd},
		{"compact", "", "rewrite the database without free pages (server stopped)", (*cli).compactCmd},
		{"status", "", "server, database, disk and last backup", (*cli).statusCmd},
		{"import", "ADDRESS PATH [--folder NAME]", "import a Maildir tree or mbox files into an account", (*cli).importCmd},
		{"export", "ADDRESS DIR [--format maildir|mbox]", "export an account's folders as Maildir or mbox", (*cli).exportCmd},
		{"migrate", "ADDRESS --from imaps://USER@HOST[:PORT]", "pull every folder of another IMAP server into an account", (*cli).migrateCmd},
		{"config", "", "print the effective configuration as TOML", (*cli).configCmd},
		{"version", "", "print the version", (*cli).versionCmd},
		{"help", "", "print this help", (*cli).helpCmd},
	}
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// run executes one command line and returns the exit status. Errors are
// printed to stderr as one line.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	err := c.dispatch(ctx, args)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "mailserver: %v\n", oneLine(err))
		return exitUsage
	default:
		fmt.Fprintf(stderr, "mailserver: %v\n", oneLine(err))
		return exitError
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	fs := c.flags("", "COMMAND [ARGS]")
	fs.Usage = func() { c.usage(c.stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v; run 'mailserver help' for usage", err)
	}
	if fs.NArg() == 0 {
		c.usage(c.stderr)
		return usagef("no command given")
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd.run(c, ctx, rest)
		}
	}
	return usagef("unknown command %q; run 'mailserver help' for usage", name)
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: mailserver [--config FILE] COMMAND [ARGS]\n\nCommands:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-40s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	}
	fmt.Fprintf(w, "\nThe config file is --config FILE, else $MAILSERVER_CONFIG, else ./mailserver.toml\n"+
		"if present; without one, the embedded defaults apply (see 'mailserver config').\n"+
		"Passwords are read from a prompt or with --password-stdin, never from arguments.\n")
}

func (c *cli) helpCmd(_ context.Context, args []string) error {
	c.usage(c.stdout)
	return nil
}

// flags returns a FlagSet for a command whose errors are reported by run,
// with --config accepted after the command too.
func (c *cli) flags(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.configFlag, "config", c.configFlag, "configuration `file` (TOML)")
	fs.Usage = func() {
		fmt.Fprintf(c.stdout, "Usage: mailserver %s %s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(c.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseArgs parses flags anywhere among the arguments ("user add ADDR
// --password-stdin" as well as "user add --password-stdin ADDR") and
// returns the positional ones. "--" ends the flags.
func parseArgs(fs *flag.FlagSet, synopsis string, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.Usage()
				return nil, err
			}
			return nil, usagef("%s: %v; usage: mailserver %s %s", fs.Name(), err, fs.Name(), synopsis)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// config loads the configuration the flags and environment point to.
func (c *cli) config() (*Config, error) {
	path, explicit := configPath(c.configFlag, c.getenv)
	return loadConfig(path, explicit)
}

// cliLogger is for commands other than serve: warnings and errors only.
func (c *cli) cliLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (c *cli) serveCmd(ctx context.Context, args []string) error {
	const synopsis = "[--config FILE]"
	fs := c.flags("serve", synopsis)
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	level, _ := parseLogLevel(cfg.LogLevel) // validated by loadConfig
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A second signal during the graceful shutdown kills at once.
	context.AfterFunc(ctx, stop)
	return serve(ctx, cfg, log)
}

// subcommand dispatches "group verb ARGS" (user add ...).
func (c *cli) subcommand(ctx context.Context, group string, args []string, verbs map[string]func(context.Context, []string) error) error {
	names := make([]string, 0, len(verbs))
	for v := range verbs {
		names = append(names, v)
	}
	sort.Strings(names)
	if len(args) == 0 {
		return usagef("%s: missing subcommand (%s)", group, strings.Join(names, ", "))
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(c.stdout, "Usage: mailserver %s %s ...\n", group, strings.Join(names, "|"))
		return nil
	}
	verb, ok := verbs[args[0]]
	if !ok {
		return usagef("%s: unknown subcommand %q (%s)", group, args[0], strings.Join(names, ", "))
	}
	return verb(ctx, args[1:])
}
