package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailserver/mailserver/httpd/webmail"
	"github.com/mailserver/mailserver/store"
)

// webAdmin is the webmail's administration pages' view of the server
// (webmail.Admin): the operations of the CLI's domain, user, alias, queue
// and dns commands, run on the server's own directAdmin (the server holds
// the database; the admin socket is for other processes), so that a
// domain added here wakes ACME and a retry wakes the queue's scheduler,
// exactly as through the socket.
type webAdmin struct {
	d   *directAdmin
	cfg *Config
	// resolver is what a DNS check asks: a new caching resolver per check
	// ([dns] resolver), as "dns check" uses, so a record just published
	// is seen rather than a cached negative answer.
	resolver func() checkResolver
}

var _ webmail.Admin = (*webAdmin)(nil)

// webmailAdmin runs the admin pages of the server e (serve_webmail.go):
// over a directAdmin like the one behind the admin socket (serve.go), so
// a domain added in the pages wakes ACME, a retry the queue's scheduler.
func webmailAdmin(e *env) webmail.Admin {
	d := &directAdmin{st: e.store, q: e.queue}
	if e.acme != nil {
		d.domainAdded = e.acme.Wake
	}
	return newWebAdmin(d, e.cfg)
}

func newWebAdmin(d *directAdmin, cfg *Config) *webAdmin {
	return &webAdmin{d: d, cfg: cfg, resolver: func() checkResolver { return newResolver(cfg, nil) }}
}

func (w *webAdmin) Domains(ctx context.Context) ([]string, error) { return w.d.Domains(ctx) }

func (w *webAdmin) AddDomain(ctx context.Context, name string) error {
	return w.d.AddDomain(ctx, name)
}

func (w *webAdmin) DeleteDomain(ctx context.Context, name string) error {
	return w.d.DeleteDomain(ctx, name)
}

// Users lists the accounts with their effective quota and usage (one
// short read transaction per user: no transaction spans the list).
func (w *webAdmin) Users(ctx context.Context) ([]webmail.AdminUser, error) {
	users, err := w.d.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]webmail.AdminUser, 0, len(users))
	for _, u := range users {
		usage, err := w.d.st.Usage(ctx, u.ID)
		if err != nil {
			return nil, fmt.Errorf("usage of %s: %w", u.Address, err)
		}
		out = append(out, webmail.AdminUser{User: u, Effective: w.d.st.EffectiveQuota(&u), Usage: usage})
	}
	return out, nil
}

func (w *webAdmin) User(ctx context.Context, address string) (*store.User, error) {
	return w.d.st.UserByAddress(ctx, address)
}

// AddUser creates the account as "user add [--quota-bytes N] [--admin]"
// does.
func (w *webAdmin) AddUser(ctx context.Context, address, password string, quota store.Quota, admin bool) (*store.User, error) {
	u, err := w.d.AddUser(ctx, address, password, quota)
	if err != nil {
		return nil, err
	}
	if admin {
		if err := w.d.SetAdmin(ctx, u.Address, true); err != nil {
			return nil, fmt.Errorf("user %s created, but making it an administrator failed: %w", u.Address, err)
		}
		u.Admin = true
	}
	return u, nil
}

func (w *webAdmin) DeleteUser(ctx context.Context, address string) error {
	return w.d.DeleteUser(ctx, address)
}

func (w *webAdmin) SetPassword(ctx context.Context, address, password string) error {
	return w.d.SetPassword(ctx, address, password)
}

func (w *webAdmin) SetQuota(ctx context.Context, address string, q store.Quota) error {
	return w.d.st.SetQuota(ctx, address, q)
}

func (w *webAdmin) SetAdmin(ctx context.Context, address string, admin bool) error {
	return w.d.SetAdmin(ctx, address, admin)
}

func (w *webAdmin) Aliases(ctx context.Context) ([]store.Alias, error) { return w.d.Aliases(ctx) }

func (w *webAdmin) AddAlias(ctx context.Context, address string, targets []string) error {
	return w.d.AddAlias(ctx, address, targets)
}

func (w *webAdmin) DeleteAlias(ctx context.Context, address string) error {
	return w.d.DeleteAlias(ctx, address)
}

func (w *webAdmin) QueueList(ctx context.Context) ([]store.QueuedMessage, error) {
	return w.d.QueueList(ctx)
}

func (w *webAdmin) QueueShow(ctx context.Context, id uint64) (*store.QueuedMessage, error) {
	return w.d.QueueShow(ctx, id)
}

// QueueHeader reads the queued message's header section from its body
// (at most webmail.MaxQueueHeaderBytes; a longer one is cut there).
func (w *webAdmin) QueueHeader(ctx context.Context, id uint64) ([]byte, error) {
	m, err := w.d.QueueShow(ctx, id)
	if err != nil {
		return nil, err
	}
	br, err := w.d.st.OpenBody(m.BodyID)
	if err != nil {
		return nil, fmt.Errorf("queued message %d: %w", id, err)
	}
	defer br.Close()
	return readHeaderSection(br, webmail.MaxQueueHeaderBytes)
}

// readHeaderSection reads r up to the empty line that ends the header
// (RFC 5322 §2.1), or max bytes.
func readHeaderSection(r io.Reader, max int) ([]byte, error) {
	buf, err := io.ReadAll(io.LimitReader(r, int64(max)))
	if err != nil {
		return nil, err
	}
	if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
		return buf[:i+2], nil
	}
	if i := bytes.Index(buf, []byte("\n\n")); i >= 0 {
		return buf[:i+1], nil
	}
	return buf, nil
}

func (w *webAdmin) QueueRetry(ctx context.Context, id uint64) error {
	_, err := w.d.QueueRetry(ctx, id, false)
	return err
}

func (w *webAdmin) QueueRetryAll(ctx context.Context) (int, error) {
	return w.d.QueueRetry(ctx, 0, true)
}

func (w *webAdmin) QueueBounce(ctx context.Context, id uint64) error {
	return w.d.QueueBounce(ctx, id)
}

func (w *webAdmin) QueueDelete(ctx context.Context, id uint64) error {
	return w.d.QueueDelete(ctx, id)
}

// dnsCheckTimeout bounds a whole DNS check from the web page (the
// records are looked up in parallel, dnsCheckParallel at a time).
const (
	dnsCheckTimeout  = 20 * time.Second
	dnsCheckParallel = 6
)

// DNSRecords is "dns records DOMAIN" (domainRecords, dns_records.go) and,
// with check, "dns check DOMAIN" (checkRecord, dns_check.go).
func (w *webAdmin) DNSRecords(ctx context.Context, domain string, check bool) ([]webmail.AdminDNSRecord, error) {
	domain = store.CanonicalDomain(domain)
	domains, err := w.d.Domains(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(domains, domain) {
		return nil, fmt.Errorf("%s is not a local domain: %w", domain, store.ErrNotFound)
	}
	keys, err := w.d.DKIMList(ctx, domain)
	if err != nil {
		return nil, fmt.Errorf("DKIM keys of %s: %w", domain, err)
	}
	recs := domainRecords(w.cfg, domain, keys)
	out := make([]webmail.AdminDNSRecord, len(recs))
	for i := range recs {
		rec := &recs[i]
		h := rec.rr.Header()
		line := rec.rr.String()
		out[i] = webmail.AdminDNSRecord{
			Kind:    rec.kind,
			Name:    h.Name,
			Type:    dns.TypeToString[h.Rrtype],
			Value:   strings.TrimPrefix(line, h.String()),
			Zone:    line,
			Comment: rec.comment,
		}
	}
	if !check {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, dnsCheckTimeout)
	defer cancel()
	r := w.resolver()
	sem := make(chan struct{}, dnsCheckParallel)
	var wg sync.WaitGroup
	for i := range recs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res := checkRecord(ctx, r, &recs[i])
			out[i].Status, out[i].Found = string(res.status), res.found
		})
	}
	wg.Wait()
	return out, nil
}
