package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"golang.org/x/term"

	"github.com/mailserver/mailserver/store"
)

// "mailserver migrate ADDRESS --from imaps://USER@HOST[:PORT]": pulls every
// folder of another IMAP server (go-imap v2's client, implicit TLS) into
// an account, with flags, keywords, internal dates, the hierarchy and the
// special-use attributes (RFC 6154 LIST RETURN (SPECIAL-USE)). Messages go
// through the same sink as import, so the same idempotency holds; besides,
// each folder's UIDVALIDITY and last UID fetched are stored with the
// messages (store.ImportState), so a second run fetches only what is new
// (RFC 9051 §2.3.1.1: UIDs only grow while UIDVALIDITY stays). A bounded
// number of folders are fetched at once, each on its own connection.

// defaultMigrateParallel is how many folders are fetched at once.
const defaultMigrateParallel = 4

// migrateStateEvery: a folder's resume point is recorded after this many
// messages (and at its end).
const migrateStateEvery = 500

type migrateOptions struct {
	addr, user, password string
	tls                  *tls.Config
	parallel             int
	prefix               string
	// source identifies the remote account in resume points.
	source string
}

func (c *cli) migrateCmd(ctx context.Context, args []string) error {
	const synopsis = "ADDRESS --from imaps://USER@HOST[:PORT] [--password-stdin] [--ca-file FILE] [--insecure-skip-verify] [--parallel N] [--folder NAME]"
	fs := c.flags("migrate", synopsis)
	from := fs.String("from", "", "the old server's account: imaps://USER@HOST[:PORT] (port 993 by default)")
	fromStdin := fs.Bool("password-stdin", false, "read the old server's password from the first line of standard input")
	caFile := fs.String("ca-file", "", "trust the CA certificates in this PEM `file` for the old server (besides the system's)")
	insecure := fs.Bool("insecure-skip-verify", false, "do not verify the old server's certificate (tests only: the password is then exposed to anyone in the path)")
	parallel := fs.Int("parallel", defaultMigrateParallel, "folders fetched at once, each on its own connection")
	folder := fs.String("folder", "", "put the old server's folders under this folder instead of by name")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("migrate: want ADDRESS; usage: mailserver migrate %s", synopsis)
	}
	if *parallel < 1 || *parallel > 32 {
		return usagef("migrate: --parallel must be 1 to 32")
	}
	o, err := parseMigrateURL(*from)
	if err != nil {
		return usagef("migrate: --from: %v", err)
	}
	o.parallel = *parallel
	if *folder != "" {
		if o.prefix, err = store.CanonicalMailboxName(*folder); err != nil {
			return usagef("migrate: --folder: %v", err)
		}
	}
	host, _, _ := net.SplitHostPort(o.addr)
	o.tls = &tls.Config{ServerName: host, InsecureSkipVerify: *insecure}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("migrate: --ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("migrate: --ca-file %s: no PEM certificate", *caFile)
		}
		o.tls.RootCAs = pool
	}
	if _, err := c.config(); err != nil {
		return err
	}
	if o.password, err = c.readOnePassword(*fromStdin, fmt.Sprintf("%s at %s, password: ", o.user, o.addr)); err != nil {
		return err
	}
	address := pos[0]
	limitImportMemory()
	return c.withAdmin(ctx, func(a admin) error {
		var states map[string]store.ImportState
		switch a := a.(type) {
		case *adminClient:
			states, err = a.importStates(ctx, address)
		case *directAdmin:
			var u *store.User
			if u, err = a.st.UserByAddress(ctx, address); err == nil {
				states, err = a.st.ImportStates(ctx, u.ID)
			}
		}
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		p := c.newProgress()
		defer p.done()
		sink, err := sinkFor(ctx, a, address)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		fetchErr := migrate(ctx, o, states, sink, p)
		counts, err := sink.finish(ctx)
		p.done()
		if err == nil { // the sink's error is the cause; the fetch's is then its echo
			err = fetchErr
		}
		if err != nil {
			return fmt.Errorf("migrate (what was committed before the error stays; running it again continues): %w", err)
		}
		fmt.Fprintln(c.stdout, p.summary("migrated", address, counts))
		return nil
	})
}

// readOnePassword reads a password from stdin's first line or one prompt.
func (c *cli) readOnePassword(fromStdin bool, label string) (string, error) {
	if fromStdin {
		return c.readPassword(true)
	}
	f, ok := c.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return "", usagef("standard input is not a terminal to prompt for the password; use --password-stdin")
	}
	p, err := c.prompt(f, label)
	if err == nil && p == "" {
		err = errors.New("empty password")
	}
	return p, err
}

// parseMigrateURL parses imaps://USER@HOST[:PORT] (USER may be
// percent-encoded, e.g. an address's '@' as %40).
func parseMigrateURL(s string) (*migrateOptions, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "imaps" {
		return nil, fmt.Errorf("%q: want imaps://USER@HOST[:PORT] (implicit TLS)", s)
	}
	if u.User == nil || u.User.Username() == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%q: want imaps://USER@HOST[:PORT]", s)
	}
	if _, set := u.User.Password(); set {
		return nil, errors.New("no password in the URL (it would show in ps and shell history)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("%q: nothing may follow HOST[:PORT]", s)
	}
	port := u.Port()
	if port == "" {
		port = "993"
	}
	o := &migrateOptions{addr: net.JoinHostPort(u.Hostname(), port), user: u.User.Username()}
	o.source = "imaps://" + url.PathEscape(o.user) + "@" + o.addr + "/"
	return o, nil
}

func dialMigrate(o *migrateOptions) (*imapclient.Client, error) {
	c, err := imapclient.DialTLS(o.addr, &imapclient.Options{TLSConfig: o.tls})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", o.addr, err)
	}
	if err := c.Login(o.user, o.password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("log in to %s as %s: %w", o.addr, o.user, err)
	}
	return c, nil
}

// remoteFolder is a folder of the old server to fetch.
type remoteFolder struct {
	remote     string // its name there
	local      string
	specialUse string
}

// migrate lists the old server's folders and fetches them, o.parallel at a
// time.
func migrate(ctx context.Context, o *migrateOptions, states map[string]store.ImportState, sink importSink, p *progress) error {
	c, err := dialMigrate(o)
	if err != nil {
		return err
	}
	var listOpts *imap.ListOptions
	if c.Caps().Has(imap.CapSpecialUse) {
		listOpts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	// RFC 2342: folders of other users and shared ones are not the
	// account's; a personal prefix ("INBOX." on Courier and Cyrus) is
	// not part of the names here.
	var personal string
	var others []string
	if c.Caps().Has(imap.CapNamespace) {
		if ns, err := c.Namespace().Wait(); err == nil {
			if len(ns.Personal) > 0 {
				personal = ns.Personal[0].Prefix
			}
			for _, d := range append(ns.Other, ns.Shared...) {
				if d.Prefix != "" {
					others = append(others, d.Prefix)
				}
			}
		}
	}
	list, err := c.List("", "*", listOpts).Collect()
	if err == nil {
		for _, l := range list {
			if s, err := c.Status(l.Mailbox, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil && s.NumMessages != nil {
				p.totalMsgs.Add(int64(*s.NumMessages))
			}
		}
	}
	c.Logout().Wait()
	c.Close()
	if err != nil {
		return fmt.Errorf("list folders: %w", err)
	}
	var folders []remoteFolder
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) || slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) ||
			slices.Contains(l.Attrs, imap.MailboxAttrAll) || slices.Contains(l.Attrs, imap.MailboxAttrFlagged) {
			continue // not a folder, or a virtual one (Gmail's All Mail) whose messages are in others
		}
		if slices.ContainsFunc(others, func(p string) bool { return strings.HasPrefix(l.Mailbox, p) }) {
			continue
		}
		name := l.Mailbox
		if personal != "" && strings.HasPrefix(name, personal) && len(name) > len(personal) {
			name = name[len(personal):]
		}
		if l.Delim != 0 && l.Delim != store.Delimiter {
			name = strings.ReplaceAll(strings.ReplaceAll(name, string(store.Delimiter), "_"), string(l.Delim), string(store.Delimiter))
		}
		local, use := targetFolder(o.prefix, name)
		if o.prefix == "" {
			for _, a := range l.Attrs {
				for _, su := range store.SpecialUses {
					if strings.EqualFold(string(a), su) {
						use = su
					}
				}
			}
		}
		if _, err := store.CanonicalMailboxName(local); err != nil {
			return fmt.Errorf("folder %q: %w", l.Mailbox, err)
		}
		folders = append(folders, remoteFolder{remote: l.Mailbox, local: local, specialUse: use})
	}
	jobs := make(chan remoteFolder)
	errs := make(chan error, len(folders))
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(o.parallel, len(folders)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *imapclient.Client
			defer func() {
				if c != nil {
					c.Logout().Wait()
					c.Close()
				}
			}()
			for f := range jobs {
				if c == nil {
					var err error
					if c, err = dialMigrate(o); err != nil {
						errs <- err
						cancel()
						continue
					}
				}
				if err := migrateFolder(ctx, c, o, f, states[o.source+f.remote], sink, p); err != nil {
					errs <- fmt.Errorf("folder %q: %w", f.remote, err)
					cancel()
				}
			}
		}()
	}
	for _, f := range folders {
		select {
		case jobs <- f:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// migrateFolder fetches one folder's messages above its resume point.
func migrateFolder(ctx context.Context, c *imapclient.Client, o *migrateOptions, f remoteFolder, st store.ImportState, sink importSink, p *progress) error {
	sel, err := c.Select(f.remote, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return err
	}
	if err := sink.folder(f.local, f.specialUse); err != nil {
		return err
	}
	from := imap.UID(1)
	if st.UIDValidity == sel.UIDValidity && st.LastUID > 0 {
		from = imap.UID(st.LastUID) + 1 // else the UIDs changed: fetch all, idempotency drops what is here
	}
	state := store.ImportState{Source: o.source + f.remote, UIDValidity: sel.UIDValidity, LastUID: st.LastUID}
	if st.UIDValidity != sel.UIDValidity {
		state.LastUID = 0
	}
	if sel.NumMessages == 0 || (sel.UIDNext != 0 && from >= sel.UIDNext) {
		return sink.state(state)
	}
	var set imap.UIDSet
	set.AddRange(from, 0) // from:*
	cmd := c.Fetch(set, &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	defer cmd.Close()
	ascending := true
	n := 0
	var buf bytes.Buffer
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var uid imap.UID
		var flags []string
		var it importItem
		var haveBody bool
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = item.UID
			case imapclient.FetchItemDataFlags:
				for _, fl := range item.Flags {
					if fl != imap.Flag(`\Recent`) && fl != imap.FlagWildcard {
						flags = append(flags, string(fl))
					}
				}
			case imapclient.FetchItemDataInternalDate:
				it.date = item.Time
			case imapclient.FetchItemDataBodySection:
				buf.Reset()
				if item.Literal != nil {
					if _, err := buf.ReadFrom(item.Literal); err != nil {
						return fmt.Errorf("fetch: %w", err)
					}
				}
				haveBody = true
			}
		}
		if uid < from || !haveBody { // "from:*" also names the last message when from is above it
			continue
		}
		it.folder, it.specialUse, it.flags, it.raw = f.local, f.specialUse, validKeywords(flags), buf.Bytes()
		p.count(it.raw)
		if err := sink.add(ctx, it); err != nil {
			return err
		}
		if uint32(uid) < state.LastUID {
			ascending = false
		}
		state.LastUID = max(state.LastUID, uint32(uid))
		if n++; ascending && n%migrateStateEvery == 0 {
			if err := sink.state(state); err != nil {
				return err
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return sink.state(state)
}

// validKeywords keeps the flags the store can hold (system flags and
// atom keywords; RFC 9051 §2.3.2).
func validKeywords(flags []string) []string {
	out := flags[:0]
	for _, f := range flags {
		ok := f != "" && len(f) <= 128
		for i := 0; ok && i < len(f); i++ {
			ch := f[i]
			ok = ch > ' ' && ch < 0x7f && !strings.ContainsRune(`(){%*"]`, rune(ch)) && (ch != '\\' || i == 0)
		}
		if ok {
			out = append(out, f)
		}
	}
	return out
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
