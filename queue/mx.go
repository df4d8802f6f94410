package queue

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// mxHosts returns the hosts to try for domain, best first, or the outcome
// that ends the attempt for every recipient of the domain.
//
// RFC 5321 §5.1: MX records in order of preference, randomised among equal
// preferences; no MX record means the domain itself is the host (implicit
// MX); a host that names this server, and every less preferred one, is
// dropped (if that leaves nothing for a domain that is not ours, it is a
// mail loop: 5.4.6). RFC 7505: a null MX ("0 .") means the domain accepts
// no mail: 5.1.10 at once. A name that does not exist is permanent; a DNS
// failure (SERVFAIL, timeout) is temporary.
func (q *Queue) mxHosts(ctx context.Context, domain string) ([]string, *outcome) {
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || ascii == "" {
		o := permFail(550, "5.1.2", "bad destination domain %q", domain)
		return nil, &o
	}
	mxs, err := q.opts.Resolver.LookupMX(ctx, ascii)
	if err != nil && len(mxs) == 0 {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			// No MX records (or no such name: the address lookup of the
			// implicit MX then tells).
			return []string{ascii}, nil
		}
		o := tempFail("4.4.3", "MX lookup for %s failed: %v", ascii, err)
		return nil, &o
	}
	var hosts []*net.MX
	for _, mx := range mxs {
		if mx.Host == "." || mx.Host == "" {
			continue // RFC 7505 §3: a null MX among others is ignored
		}
		hosts = append(hosts, mx)
	}
	if len(hosts) == 0 {
		o := permFail(556, "5.1.10", "domain %s does not accept mail (null MX, RFC 7505)", ascii)
		return nil, &o
	}
	rand.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	slices.SortStableFunc(hosts, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	var out []string
	for _, mx := range hosts {
		name := strings.TrimSuffix(mx.Host, ".")
		if strings.EqualFold(name, q.opts.Hostname) {
			break // ourselves: drop this and every less preferred host
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		o := permFail(554, "5.4.6", "mail for %s loops back to myself (MX %s)", ascii, q.opts.Hostname)
		return nil, &o
	}
	return out, nil
}

// hostAddrs resolves one host's addresses. notFound reports a name
// without addresses (permanent if no host of the domain has any).
func (q *Queue) hostAddrs(ctx context.Context, host string) (addrs []netip.Addr, notFound bool, err error) {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{a}, false, nil // an address literal (relay_host)
	}
	addrs, err = q.opts.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, true, err
		}
		return nil, false, err
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, false, nil
}

// isSelf reports whether dialling addr at the remote port would reach
// this server's own SMTP listener.
func (q *Queue) isSelf(addr netip.Addr, port int) bool {
	for _, s := range q.opts.SelfAddrs {
		if int(s.Port()) != port {
			continue
		}
		if s.Addr() == addr {
			return true
		}
		if s.Addr().IsUnspecified() && isLocalAddr(addr) {
			return true
		}
	}
	return false
}

// isLocalAddr reports whether addr belongs to this machine.
func isLocalAddr(addr netip.Addr) bool {
	if addr.IsLoopback() || addr.IsUnspecified() {
		return true
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range ifaddrs {
		if n, ok := ia.(*net.IPNet); ok {
			if a, ok := netip.AddrFromSlice(n.IP); ok && a.Unmap() == addr {
				return true
			}
		}
	}
	return false
}
