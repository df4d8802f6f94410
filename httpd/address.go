package httpd

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailserver/mailserver/store"
)

// maxAddressLen bounds an e-mail address taken from a request before it
// is looked at: 64 octets of local part, "@", 255 of domain (RFC 5321
// §4.5.3.1.1-2).
const maxAddressLen = 64 + 1 + 255

// Errors of address parameters. errNotLocal is answered like a path that
// does not exist (404), so the answers reveal nothing but whether a
// domain is served here, which its MX record says anyway.
var (
	errBadAddress = errors.New("not an e-mail address")
	errNotLocal   = errors.New("not a local domain")
)

// LocalDomains is what the web front asks the store: whether a domain
// is served here. *store.Store has it; domains added at run time count
// at once.
type LocalDomains interface {
	IsLocalDomain(ctx context.Context, name string) (bool, error)
}

// localAddress checks an address given by a client (?emailaddress=, the
// autodiscover EMailAddress): a dot-atom local part and a domain that is
// served here. It returns the address in canonical (lower-case) form
// and its domain.
func localAddress(ctx context.Context, domains LocalDomains, addr string) (canonical, domain string, err error) {
	if len(addr) > maxAddressLen {
		return "", "", errBadAddress
	}
	local, domain, err := store.CanonicalAddress(addr)
	if err != nil {
		return "", "", errBadAddress
	}
	ok, err := domains.IsLocalDomain(ctx, domain)
	if err != nil {
		return "", "", fmt.Errorf("look up domain: %w", err)
	}
	if !ok {
		return "", "", errNotLocal
	}
	return local + "@" + domain, domain, nil
}
