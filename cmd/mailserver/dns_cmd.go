package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mailserver/mailserver/store"
)

// The "mailserver dns" subcommands: "records DOMAIN" prints the DNS
// records a local domain should publish (dns_records.go), "check DOMAIN"
// looks each one up (dns_check.go). The DKIM keys come through the admin
// socket of a running server, or straight from the database when none
// runs, like "dkim list" (no new admin endpoint: DKIMList has them).

func (c *cli) dnsCmd(ctx context.Context, args []string) error {
	return c.subcommand(ctx, "dns", args, map[string]func(context.Context, []string) error{
		"records": c.dnsRecords,
		"check":   c.dnsCheck,
	})
}

// expectedRecords loads the config and the domain's DKIM keys and returns
// the records the domain should publish.
func (c *cli) expectedRecords(ctx context.Context, verb string, args []string) (*Config, string, []zoneRecord, error) {
	synopsis := "DOMAIN"
	pos, err := parseArgs(c.flags("dns "+verb, synopsis), synopsis, args)
	if err != nil {
		return nil, "", nil, err
	}
	if len(pos) != 1 {
		return nil, "", nil, usagef("dns %s: want one DOMAIN; usage: mailserver dns %s %s", verb, verb, synopsis)
	}
	domain := store.CanonicalDomain(pos[0])
	cfg, err := c.config()
	if err != nil {
		return nil, "", nil, err
	}
	var keys []store.DKIMKey
	err = c.withAdmin(ctx, func(a admin) error {
		domains, err := a.Domains(ctx)
		if err != nil {
			return fmt.Errorf("dns %s: %w", verb, err)
		}
		if !slices.Contains(domains, domain) {
			return fmt.Errorf("dns %s: %s is not a local domain (add it with: mailserver domain add %s)", verb, domain, domain)
		}
		if keys, err = a.DKIMList(ctx, domain); err != nil {
			return fmt.Errorf("dns %s: %w", verb, err)
		}
		return nil
	})
	if err != nil {
		return nil, "", nil, err
	}
	return cfg, domain, domainRecords(cfg, domain, keys), nil
}

func (c *cli) dnsRecords(ctx context.Context, args []string) error {
	cfg, domain, recs, err := c.expectedRecords(ctx, "records", args)
	if err != nil {
		return err
	}
	writeRecords(c.stdout, cfg, domain, recs)
	return nil
}

func (c *cli) dnsCheck(ctx context.Context, args []string) error {
	cfg, domain, recs, err := c.expectedRecords(ctx, "check", args)
	if err != nil {
		return err
	}
	r := newResolver(cfg, nil)
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tRECORD\tNAME\tEXPECTED")
	bad := 0
	for i := range recs {
		rec := &recs[i]
		res := checkRecord(ctx, r, rec)
		h := rec.rr.Header()
		value := strings.TrimPrefix(rec.rr.String(), h.String())
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.status, rec.kind, h.Name, value)
		if res.status != statusOK {
			bad++
			switch {
			case res.status == statusError:
				fmt.Fprintf(tw, "\t\t\tlookup failed: %s\n", res.found)
			case res.found != "":
				fmt.Fprintf(tw, "\t\t\tfound: %s\n", res.found)
			}
		}
	}
	tw.Flush()
	if len(cfg.PublicIPs) == 0 {
		fmt.Fprintln(c.stdout, "public_ips is not set: A/AAAA and reverse DNS were not checked")
	}
	if bad > 0 {
		return fmt.Errorf("dns check: %d of %d records of %s are missing or different, or could not be looked up; publish them as 'mailserver dns records %s' prints", bad, len(recs), domain, domain)
	}
	fmt.Fprintf(c.stdout, "all %d records of %s are published\n", len(recs), domain)
	return nil
}
