package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// "mailserver dns check": each record of domainRecords looked up through
// the resolver the server uses ([dns] resolver, queue/dnscache).

// checkStatus is the outcome for one record.
type checkStatus string

const (
	statusOK        checkStatus = "OK"
	statusMissing   checkStatus = "missing"
	statusDifferent checkStatus = "different"
	statusError     checkStatus = "error" // the lookup failed (SERVFAIL, timeout)
)

// checkResolver is what the check asks DNS; *dnscache.Resolver has it.
type checkResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupRR(ctx context.Context, name string, qtype uint16) ([]dns.RR, error)
}

// checkResult is one record's outcome; found says what DNS has instead
// when it is not OK.
type checkResult struct {
	status checkStatus
	found  string
}

// lookupFailed turns a lookup error into missing (the name or the record
// does not exist) or error (DNS did not answer).
func lookupFailed(err error) checkResult {
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return checkResult{status: statusMissing}
	}
	return checkResult{statusError, err.Error()}
}

// checkRecord looks rec up and compares.
func checkRecord(ctx context.Context, r checkResolver, rec *zoneRecord) checkResult {
	name := rec.rr.Header().Name
	switch want := rec.rr.(type) {
	case *dns.MX:
		mxs, err := r.LookupMX(ctx, name)
		if err != nil {
			return lookupFailed(err)
		}
		var hosts []string
		for _, mx := range mxs {
			if strings.EqualFold(dns.Fqdn(mx.Host), want.Mx) {
				return checkResult{status: statusOK}
			}
			hosts = append(hosts, fmt.Sprintf("%d %s", mx.Pref, mx.Host))
		}
		return notOK(hosts)
	case *dns.TXT:
		return checkTXT(ctx, r, rec.kind, name, strings.Join(want.Txt, ""))
	case *dns.SRV:
		rrs, err := r.LookupRR(ctx, name, dns.TypeSRV)
		if err != nil {
			return lookupFailed(err)
		}
		var found []string
		for _, rr := range rrs {
			srv, ok := rr.(*dns.SRV)
			if !ok {
				continue
			}
			if strings.EqualFold(srv.Target, want.Target) && (want.Target == "." || srv.Port == want.Port) {
				return checkResult{status: statusOK}
			}
			found = append(found, fmt.Sprintf("%d %d %d %s", srv.Priority, srv.Weight, srv.Port, srv.Target))
		}
		return notOK(found)
	case *dns.CNAME:
		return checkCNAME(ctx, r, name, want.Target, rec.orAddrs)
	case *dns.A:
		return checkAddr(ctx, r, "ip4", name, want.A)
	case *dns.AAAA:
		return checkAddr(ctx, r, "ip6", name, want.AAAA)
	case *dns.PTR:
		return checkReverse(ctx, r, rec.addr, want.Ptr)
	}
	return checkResult{statusError, "no check for " + dns.TypeToString[rec.rr.Header().Rrtype]}
}

// notOK is missing when DNS has nothing of the kind, else different.
func notOK(found []string) checkResult {
	if len(found) == 0 {
		return checkResult{status: statusMissing}
	}
	return checkResult{statusDifferent, strings.Join(found, ", ")}
}

// txtTag is the version tag that identifies a kind's TXT record among
// the others at the name (RFC 7208 §4.5, RFC 7489 §6.6.3, RFC 8460 §3,
// RFC 8461 §3.1; a DKIM key record may omit v=, RFC 6376 §3.6.1).
var txtTag = map[string]string{
	kindSPF:    "v=spf1",
	kindDMARC:  "v=dmarc1",
	kindTLSRPT: "v=tlsrptv1",
	kindMTASTS: "v=stsv1",
}

// checkTXT finds the kind's record among the TXT records at name.
func checkTXT(ctx context.Context, r checkResolver, kind, name, want string) checkResult {
	txts, err := r.LookupTXT(ctx, name)
	if err != nil {
		return lookupFailed(err)
	}
	var found []string
	for _, t := range txts {
		if tag := txtTag[kind]; tag != "" && !hasTag(t, tag) {
			continue
		}
		found = append(found, t)
	}
	if len(found) == 1 && txtMatches(kind, found[0], want) {
		return checkResult{status: statusOK}
	}
	res := notOK(quoteAll(found))
	if len(found) > 1 && kind != kindDKIM {
		// RFC 7208 §4.5, RFC 7489 §6.6.3: more than one is an error.
		res.found = fmt.Sprintf("%d records (there must be one): %s", len(found), res.found)
	}
	return res
}

// hasTag reports whether the record starts with the version tag
// (case-insensitively, spaces around "=" allowed for DMARC).
func hasTag(record, tag string) bool {
	first, _, _ := strings.Cut(record, ";")
	first, _, _ = strings.Cut(strings.TrimSpace(first), " ")
	return strings.EqualFold(strings.ReplaceAll(first, " ", ""), tag)
}

// txtMatches compares a published record with the one printed. DMARC
// passes with p=reject too (the README says to move there); SPF with
// -all for ~all; the others must say the same up to white space.
func txtMatches(kind, got, want string) bool {
	switch kind {
	case kindDMARC:
		p := tagValue(got, "p")
		return p == "quarantine" || p == "reject"
	case kindSPF:
		g, w := strings.Fields(strings.ToLower(got)), strings.Fields(strings.ToLower(want))
		if len(g) > 0 && g[len(g)-1] == "-all" {
			g[len(g)-1] = "~all"
		}
		return slices.Equal(g, w)
	case kindDKIM:
		return strings.Join(strings.Fields(got), "") == strings.Join(strings.Fields(want), "")
	}
	return strings.EqualFold(strings.Join(strings.Fields(got), ""), strings.Join(strings.Fields(want), ""))
}

// tagValue is a tag=value list's value of tag (RFC 7489 §6.4), lower case.
func tagValue(record, tag string) string {
	for _, part := range strings.Split(record, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), tag) {
			return strings.ToLower(strings.TrimSpace(v))
		}
	}
	return ""
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// checkAddr: host's addresses of the family include want.
func checkAddr(ctx context.Context, r checkResolver, network, host string, want net.IP) checkResult {
	addrs, err := r.LookupNetIP(ctx, network, host)
	if err != nil {
		return lookupFailed(err)
	}
	w, _ := netip.AddrFromSlice(want)
	var found []string
	for _, a := range addrs {
		if a.Unmap() == w.Unmap() {
			return checkResult{status: statusOK}
		}
		found = append(found, a.String())
	}
	return notOK(found)
}

// checkReverse is forward-confirmed reverse DNS (RFC 8601 §2.7.3
// "iprev"): the PTR of the address names host, and host's A/AAAA
// records include the address.
func checkReverse(ctx context.Context, r checkResolver, addr netip.Addr, host string) checkResult {
	names, err := r.LookupAddr(ctx, addr.String())
	if err != nil {
		return lookupFailed(err)
	}
	if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(dns.Fqdn(n), host) }) {
		return notOK(names)
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		if res := lookupFailed(err); res.status == statusError {
			return res
		}
	}
	if slices.Contains(addrs, addr) {
		return checkResult{status: statusOK}
	}
	return checkResult{statusDifferent, fmt.Sprintf("the PTR names %s, but %s does not resolve to %s (not forward-confirmed)", host, host, addr)}
}

// checkCNAME: name is an alias of target, or (instead of the CNAME) has
// one of the server's addresses (public_ips).
func checkCNAME(ctx context.Context, r checkResolver, name, target string, orAddrs []netip.Addr) checkResult {
	rrs, err := r.LookupRR(ctx, name, dns.TypeCNAME)
	if err != nil {
		if res := lookupFailed(err); res.status == statusError {
			return res
		}
	}
	var found []string
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			if strings.EqualFold(c.Target, target) {
				return checkResult{status: statusOK}
			}
			found = append(found, "CNAME "+c.Target)
		}
	}
	if len(found) > 0 {
		return notOK(found)
	}
	addrs, err := r.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return lookupFailed(err)
	}
	for _, a := range addrs {
		if slices.Contains(orAddrs, a.Unmap()) {
			return checkResult{status: statusOK}
		}
		found = append(found, a.String())
	}
	return notOK(found)
}
