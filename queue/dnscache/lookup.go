package dnscache

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// The methods below have net.Resolver's signatures and error behaviour,
// so that *Resolver satisfies blitiri.com.ar/go/spf's DNSResolver, the
// queue's Resolver and go-msgauth's TXT lookup hooks.

// LookupTXT returns the TXT records of name; the strings of one record
// are joined without separator, as net.Resolver does (RFC 7208 §3.3,
// RFC 6376 §3.6.2.2 want exactly that).
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, strings.Join(rr.(*dns.TXT).Txt, ""))
	}
	return out, nil
}

// LookupMX returns name's MX records sorted by preference, randomised
// among equal preferences (RFC 5321 §5.1), hosts absolute with a trailing
// dot; a null MX (RFC 7505) comes back as Host ".".
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	out := make([]*net.MX, 0, len(rrs))
	for _, rr := range rrs {
		mx := rr.(*dns.MX)
		out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	slices.SortStableFunc(out, func(a, b *net.MX) int { return cmp.Compare(a.Pref, b.Pref) })
	return out, nil
}

// LookupNetIP returns host's addresses: network "ip4" (A), "ip6" (AAAA)
// or "ip" (both, IPv4 first: mail to IPv6 is more often refused for
// missing reverse DNS). An address literal is returned as it is.
func (r *Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	var types []uint16
	switch network {
	case "ip":
		types = []uint16{dns.TypeA, dns.TypeAAAA}
	case "ip4":
		types = []uint16{dns.TypeA}
	case "ip6":
		types = []uint16{dns.TypeAAAA}
	default:
		return nil, &net.DNSError{Err: "unsupported network " + network, Name: host}
	}
	results := make([][]dns.RR, len(types))
	errs := make([]error, len(types))
	var wg sync.WaitGroup
	for i, t := range types {
		wg.Go(func() { results[i], errs[i] = r.lookup(ctx, host, t) })
	}
	wg.Wait()
	var out []netip.Addr
	for _, rrs := range results {
		for _, rr := range rrs {
			switch rr := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(rr.A.To4()); ok {
					out = append(out, a)
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(rr.AAAA); ok {
					out = append(out, a)
				}
			}
		}
	}
	if len(out) > 0 {
		return out, nil // like net.Resolver: one family's failure is ignored then
	}
	return nil, pickError(errs)
}

// pickError returns the error to report when no address family answered:
// a temporary one over "not found", since the name may yet resolve.
func pickError(errs []error) error {
	for _, err := range errs {
		var de *net.DNSError
		if errors.As(err, &de) && !de.IsNotFound {
			return err
		}
	}
	return errs[0]
}

// LookupIPAddr returns host's addresses (A and AAAA).
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()}
	}
	return out, nil
}

// LookupHost returns host's addresses as strings.
func (r *Resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

// LookupAddr returns the names (absolute, with a trailing dot) that the
// PTR records of addr's reverse name give (RFC 1035 §3.5, RFC 3596 §2.5).
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "unrecognized address", Name: addr}
	}
	rrs, err := r.lookup(ctx, rev, dns.TypePTR)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, rr.(*dns.PTR).Ptr)
	}
	return out, nil
}

// LookupRR returns name's records of type qtype, for the types the
// methods above do not cover (TLSA, SRV, CAA, ...). The records are
// copies; their TTLs are as the server sent them.
func (r *Resolver) LookupRR(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	rrs, err := r.lookup(ctx, name, qtype)
	if err != nil {
		return nil, err
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
	}
	return out, nil
}

// LookupSecure is LookupRR that also reports whether the server
// validated the answer with DNSSEC (the AD bit, RFC 4035 §3.2.3), as DANE
// (RFC 7672 §2.1) needs for TLSA and MX records. Only a validating
// resolver the host trusts (on the same host, or over a secure path)
// makes the bit mean anything (RFC 6698 §4.1). A negative answer reports
// authenticated as the server said too, with the error.
func (r *Resolver) LookupSecure(ctx context.Context, name string, qtype uint16) (rrs []dns.RR, authenticated bool, err error) {
	fqdn, err := absolute(name)
	if err != nil {
		return nil, false, err
	}
	a, authenticated, err := r.resolve(ctx, fqdn, qtype)
	if err != nil {
		return nil, false, r.dnsError(name, err)
	}
	rrs, err = r.records(name, a)
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		out[i] = dns.Copy(rr)
	}
	return out, authenticated, err
}

// lookup resolves name/qtype and turns every non-answer into a
// *net.DNSError like net.Resolver's. The records returned are the cache's
// own: callers read them only.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	fqdn, err := absolute(name)
	if err != nil {
		return nil, err
	}
	a, _, err := r.resolve(ctx, fqdn, qtype)
	if err != nil {
		return nil, r.dnsError(name, err)
	}
	return r.records(name, a)
}

// absolute returns name as the cache keys it: absolute and lower case;
// a name that is no domain name is "no such host", as net says.
func absolute(name string) (string, error) {
	fqdn := strings.ToLower(dns.Fqdn(name))
	if _, ok := dns.IsDomainName(fqdn); !ok || name == "" {
		return "", &net.DNSError{Err: errNoSuchHost, Name: name, IsNotFound: true}
	}
	return fqdn, nil
}

// records returns a positive answer's records, or the error that stands
// for any other answer.
func (r *Resolver) records(name string, a *answer) ([]dns.RR, error) {
	switch a.kind {
	case positive:
		return a.rrs, nil
	case nxdomain, nodata:
		// net.Resolver reports NODATA as "no such host" with IsNotFound
		// too; callers (SPF's void lookups, RFC 7208 §4.6.4) treat both
		// alike.
		return nil, &net.DNSError{Err: errNoSuchHost, Name: name, Server: a.server, IsNotFound: true}
	default:
		return nil, &net.DNSError{Err: errServerFailed.Error(), Name: name, Server: a.server, IsTemporary: true}
	}
}

// errNoSuchHost is net's text for a name without records.
const errNoSuchHost = "no such host"

// dnsError maps a resolution that got no reply (timeout, network error,
// the caller's context ending) onto net.Resolver's error.
func (r *Resolver) dnsError(name string, err error) error {
	de := &net.DNSError{Name: name, Server: r.serverName(), IsTemporary: true, UnwrapErr: err}
	var ne *netError
	if errors.As(err, &ne) {
		de.Server = ne.server
	}
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.Canceled):
		de.Err = "operation was canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &te) && te.Timeout():
		de.Err, de.IsTimeout = "i/o timeout", true
	default:
		de.Err = err.Error()
	}
	return de
}
