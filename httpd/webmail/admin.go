package webmail

import (
	"context"

	"github.com/mailserver/mailserver/store"
)

// Admin is what the administration pages (/webmail/admin/, for users
// whose store.User.Admin is set) need: the operations of the mailserver
// CLI's domain, user, alias, queue and dns commands. cmd/mailserver
// implements it over the same code as the CLI (webmail_admin.go); a nil
// Options.Admin turns the pages off.
type Admin interface {
	AdminDomains
	AdminUsers
	AdminAliases
	AdminQueue
	AdminDNS
}

// AdminDomains manages the local domains.
type AdminDomains interface {
	Domains(ctx context.Context) ([]string, error)
	// AddDomain adds a local domain (and its DKIM keys).
	AddDomain(ctx context.Context, name string) error
	// DeleteDomain removes a domain without users or aliases
	// (store.ErrDomainInUse otherwise).
	DeleteDomain(ctx context.Context, name string) error
}

// AdminUser is an account as the users page lists it.
type AdminUser struct {
	store.User // User.Quota is the user's own (zero fields: the default)
	// Effective is the quota that applies: the user's own, with the
	// server's defaults filled in (zero fields: unlimited).
	Effective store.Quota
	Usage     store.Usage
}

// AdminUsers manages the accounts. Errors are the store's
// (store.ErrExists, store.ErrNoSuchDomain, store.ErrInvalidAddress,
// store.ErrNotFound), wrapped.
type AdminUsers interface {
	// Users lists every account with its quota and usage, by address.
	Users(ctx context.Context) ([]AdminUser, error)
	// User looks an account up by address (the pages check the admin
	// flag on every request, so taking it away works at once).
	User(ctx context.Context, address string) (*store.User, error)
	// AddUser creates an account; a non-zero quota replaces the
	// default, and admin makes it an administrator.
	AddUser(ctx context.Context, address, password string, quota store.Quota, admin bool) (*store.User, error)
	DeleteUser(ctx context.Context, address string) error
	SetPassword(ctx context.Context, address, password string) error
	// SetQuota sets the user's own quota (zero fields: the default).
	SetQuota(ctx context.Context, address string, q store.Quota) error
	SetAdmin(ctx context.Context, address string, admin bool) error
}

// AdminAliases manages aliases (and catch-alls, address "@domain").
type AdminAliases interface {
	Aliases(ctx context.Context) ([]store.Alias, error)
	// AddAlias creates or replaces an alias.
	AddAlias(ctx context.Context, address string, targets []string) error
	DeleteAlias(ctx context.Context, address string) error
}

// AdminQueue manages the outbound queue (store.ErrNotFound for a message
// no longer queued).
type AdminQueue interface {
	QueueList(ctx context.Context) ([]store.QueuedMessage, error)
	QueueShow(ctx context.Context, id uint64) (*store.QueuedMessage, error)
	// QueueHeader is the header section of the queued message, up to
	// MaxQueueHeaderBytes (so the page can say what the message is).
	QueueHeader(ctx context.Context, id uint64) ([]byte, error)
	// QueueRetry makes every pending recipient of the message due now.
	QueueRetry(ctx context.Context, id uint64) error
	// QueueRetryAll makes every queued message due now; it returns how
	// many there were.
	QueueRetryAll(ctx context.Context) (int, error)
	// QueueBounce fails the pending recipients, with a DSN to the sender.
	QueueBounce(ctx context.Context, id uint64) error
	// QueueDelete drops the message: no delivery, no DSN.
	QueueDelete(ctx context.Context, id uint64) error
}

// MaxQueueHeaderBytes bounds the header section QueueHeader returns.
const MaxQueueHeaderBytes = 64 << 10

// AdminDNS tells what a local domain should publish in DNS.
type AdminDNS interface {
	// DNSRecords lists the records domain should publish, as
	// "mailserver dns records" prints them; with check, each is looked
	// up as "mailserver dns check" does and carries its status.
	DNSRecords(ctx context.Context, domain string, check bool) ([]AdminDNSRecord, error)
}

// AdminDNSRecord is one DNS record to publish.
type AdminDNSRecord struct {
	Kind    string   // what it is for: MX, SPF, DKIM, DMARC, TLS-RPT, MTA-STS, SRV, CNAME, A/AAAA, PTR
	Name    string   // owner name, absolute ("example.com.")
	Type    string   // RR type: MX, TXT, SRV, ...
	Value   string   // the record data in zone-file syntax
	Zone    string   // the whole zone-file line
	Comment []string // why it is needed, where it goes
	// Status is the check's outcome: "" when not checked, else "OK",
	// "missing", "different" or "error" (the lookup failed).
	Status string
	// Found is what DNS has instead (different) or the lookup error.
	Found string
}
