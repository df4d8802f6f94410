package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailserver/mailserver/store"
)

// The "mailserver dkim" subcommands: list the DKIM selectors of the local
// domains with the TXT records to publish, rotate a domain's keys, retire
// an old selector pair (store/dkim.go). Like the other management
// commands they go through the admin socket of a running server, or
// straight to the database when none runs. Private keys are never shown:
// store.DKIMKey carries the public key only, also over the socket.

// dkimAdmin is the DKIM part of the admin interface.
type dkimAdmin interface {
	// DKIMList returns the keys of domain, or of every local domain
	// when domain is "".
	DKIMList(ctx context.Context, domain string) ([]store.DKIMKey, error)
	// DKIMRotate makes a new selector pair that signs after the delay.
	DKIMRotate(ctx context.Context, domain string, after time.Duration) ([]store.DKIMKey, error)
	DKIMRetire(ctx context.Context, domain, selector string) error
}

// Paths of the DKIM endpoints of the admin socket.
const (
	pathDKIMList   = "/v1/dkim/list"
	pathDKIMRotate = "/v1/dkim/rotate"
	pathDKIMRetire = "/v1/dkim/retire"
)

type (
	dkimListArgs   struct{ Domain string }
	dkimRotateArgs struct {
		Domain string
		After  time.Duration
	}
	dkimRetireArgs struct{ Domain, Selector string }
)

// dkimEndpoints are added to adminEndpoints.
func dkimEndpoints() []adminEndpoint {
	return []adminEndpoint{
		endpoint(pathDKIMList, func(ctx context.Context, a admin, r dkimListArgs) ([]store.DKIMKey, error) {
			return a.DKIMList(ctx, r.Domain)
		}),
		endpoint(pathDKIMRotate, func(ctx context.Context, a admin, r dkimRotateArgs) ([]store.DKIMKey, error) {
			return a.DKIMRotate(ctx, r.Domain, r.After)
		}),
		endpoint(pathDKIMRetire, func(ctx context.Context, a admin, r dkimRetireArgs) (noArgs, error) {
			return done(a.DKIMRetire(ctx, r.Domain, r.Selector))
		}),
	}
}

func (d *directAdmin) DKIMList(ctx context.Context, domain string) ([]store.DKIMKey, error) {
	domains := []string{domain}
	if domain == "" {
		var err error
		if domains, err = d.st.Domains(ctx); err != nil {
			return nil, err
		}
	}
	var out []store.DKIMKey
	for _, dom := range domains {
		keys, err := d.st.DKIMKeys(ctx, dom)
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
	}
	return out, nil
}

func (d *directAdmin) DKIMRotate(ctx context.Context, domain string, after time.Duration) ([]store.DKIMKey, error) {
	return d.st.DKIMRotate(ctx, domain, after)
}

func (d *directAdmin) DKIMRetire(ctx context.Context, domain, selector string) error {
	return d.st.DKIMRetire(ctx, domain, selector)
}

func (c *adminClient) DKIMList(ctx context.Context, domain string) ([]store.DKIMKey, error) {
	return adminCall[[]store.DKIMKey](ctx, c, pathDKIMList, dkimListArgs{domain})
}

func (c *adminClient) DKIMRotate(ctx context.Context, domain string, after time.Duration) ([]store.DKIMKey, error) {
	return adminCall[[]store.DKIMKey](ctx, c, pathDKIMRotate, dkimRotateArgs{domain, after})
}

func (c *adminClient) DKIMRetire(ctx context.Context, domain, selector string) error {
	_, err := adminCall[noArgs](ctx, c, pathDKIMRetire, dkimRetireArgs{domain, selector})
	return err
}

func (c *cli) dkimCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "dkim", args, map[string]func(context.Context, []string) error{
		"list":   c.dkimList,
		"rotate": c.dkimRotate,
		"retire": c.dkimRetire,
	})
}

func (c *cli) dkimList(ctx context.Context, args []string) error {
	const synopsis = "[DOMAIN]"
	pos, err := parseArgs(c.flags("dkim list", synopsis), synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("dkim list: at most one DOMAIN; usage: mailserver dkim list %s", synopsis)
	}
	domain := ""
	if len(pos) == 1 {
		domain = pos[0]
	}
	return c.withAdmin(ctx, func(a admin) error {
		keys, err := a.DKIMList(ctx, domain)
		if err != nil {
			return fmt.Errorf("dkim list: %w", err)
		}
		writeDKIMKeys(c.stdout, keys, time.Now())
		return nil
	})
}

func (c *cli) dkimRotate(ctx context.Context, args []string) error {
	const synopsis = "DOMAIN [--after DURATION]"
	fs := c.flags("dkim rotate", synopsis)
	after := fs.Duration("after", store.DefaultDKIMRotateAfter,
		"the new keys sign only after this `delay`, time to publish their DNS records (Go duration: 72h, 30m; 0 = at once)")
	pos, err := parseArgs(fs, synopsis, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("dkim rotate: want one DOMAIN; usage: mailserver dkim rotate %s", synopsis)
	case *after < 0:
		return usagef("dkim rotate: --after must not be negative")
	}
	return c.withAdmin(ctx, func(a admin) error {
		keys, err := a.DKIMRotate(ctx, pos[0], *after)
		if err != nil {
			return fmt.Errorf("dkim rotate: %w", err)
		}
		if len(keys) > 0 {
			fmt.Fprintf(c.stdout, "new DKIM keys for %s; publish these records now; they sign from %s:\n",
				keys[0].Domain, keys[0].SignFrom.UTC().Format(time.RFC3339))
		}
		for _, k := range keys {
			writeDKIMRecord(c.stdout, &k)
		}
		fmt.Fprintln(c.stdout, "keep the old records published until mail signed with them has been read (a few days after the switch), then: mailserver dkim retire DOMAIN OLD-SELECTOR")
		return nil
	})
}

func (c *cli) dkimRetire(ctx context.Context, args []string) error {
	const synopsis = "DOMAIN SELECTOR"
	pos, err := parseArgs(c.flags("dkim retire", synopsis), synopsis, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("dkim retire: want DOMAIN and SELECTOR; usage: mailserver dkim retire %s", synopsis)
	}
	return c.withAdmin(ctx, func(a admin) error {
		if err := a.DKIMRetire(ctx, pos[0], pos[1]); err != nil {
			return fmt.Errorf("dkim retire: %w", err)
		}
		fmt.Fprintf(c.stdout, "retired DKIM selector %s of %s; its DNS records can be removed\n", pos[1], pos[0])
		return nil
	})
}

// dkimState says what a key does at now: "signing", "next (signs from
// ...)" or "old".
func dkimState(k *store.DKIMKey, keys []store.DKIMKey, now time.Time) string {
	if k.SignFrom.After(now) {
		return "next, signs from " + k.SignFrom.UTC().Format(time.RFC3339)
	}
	for _, o := range keys {
		if o.Domain == k.Domain && o.Algorithm == k.Algorithm && !o.SignFrom.After(now) &&
			(o.SignFrom.After(k.SignFrom) || o.SignFrom.Equal(k.SignFrom) && o.Selector > k.Selector) {
			return "old, retire when no longer needed"
		}
	}
	return "signing"
}

// writeDKIMKeys prints a table of the keys, then their TXT records.
func writeDKIMKeys(w io.Writer, keys []store.DKIMKey, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tSELECTOR\tALGORITHM\tCREATED\tSTATE")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Domain, k.Selector, k.Algorithm,
			k.Created.UTC().Format(time.RFC3339), dkimState(&k, keys, now))
	}
	tw.Flush()
	if len(keys) == 0 {
		return
	}
	fmt.Fprintln(w, "\n; DNS TXT records to publish (zone-file syntax):")
	for _, k := range keys {
		writeDKIMRecord(w, &k)
	}
}

// writeDKIMRecord prints a key's TXT record as a zone-file line. The text
// is cut into strings of at most 255 octets (RFC 1035 §3.3.14; an
// RSA-2048 record is about 400); receivers join them (RFC 6376 §3.6.2.2).
func writeDKIMRecord(w io.Writer, k *store.DKIMKey) {
	rec := k.DNSRecord()
	var parts []string
	for len(rec) > 255 {
		parts = append(parts, `"`+rec[:255]+`"`)
		rec = rec[255:]
	}
	parts = append(parts, `"`+rec+`"`)
	fmt.Fprintf(w, "%s.\tIN\tTXT\t%s\n", k.DNSName(), strings.Join(parts, " "))
}
