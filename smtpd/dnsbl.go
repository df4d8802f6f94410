package smtpd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// DNSBL is one DNS blocklist (RFC 5782): a client whose reversed address
// under Zone has an A record matching Codes (any 127.0.0.0/8 address but
// the 127.255.255.0/24 error codes when Codes is empty) scores Weight.
type DNSBL struct {
	Zone   string
	Codes  []codeRange // empty: any listing
	Weight int
}

// codeRange is a range of listing addresses, lo..hi inclusive.
type codeRange struct{ lo, hi netip.Addr }

// DNSBLOptions turn on DNS blocklist checks on port 25.
type DNSBLOptions struct {
	Lists []DNSBL
	// Threshold is the total weight that refuses a client (default 1).
	Threshold int
	// Timeout bounds the lookups (default DefaultDNSBLTimeout); a list
	// that does not answer in time counts as not listing the client.
	Timeout time.Duration
	// Resolver looks the lists up (the DNS cache); nil turns the checks
	// off.
	Resolver Resolver
}

// DefaultDNSBLTimeout bounds a session's blocklist lookups.
const DefaultDNSBLTimeout = 10 * time.Second

// ParseDNSBL reads a blocklist in Postfix's postscreen_dnsbl_sites
// syntax: "zone", "zone*weight", "zone=127.0.0.2*weight" or
// "zone=127.0.0.[2..11]" (one address, or a range in the last octet).
// Linear in the length of s.
func ParseDNSBL(s string) (DNSBL, error) {
	l := DNSBL{Weight: 1}
	rest := s
	if i := strings.LastIndexByte(rest, '*'); i >= 0 {
		w, err := strconv.Atoi(rest[i+1:])
		if err != nil || w < -100 || w > 100 {
			return l, fmt.Errorf("dnsbl %q: weight after '*' must be an integer from -100 to 100", s)
		}
		l.Weight, rest = w, rest[:i]
	}
	if i := strings.IndexByte(rest, '='); i >= 0 {
		r, err := parseCodeRange(rest[i+1:])
		if err != nil {
			return l, fmt.Errorf("dnsbl %q: %w", s, err)
		}
		l.Codes, rest = []codeRange{r}, rest[:i]
	}
	zone := strings.TrimSuffix(strings.ToLower(rest), ".")
	if zone == "" || len(zone) > 200 || strings.Contains(zone, "..") || strings.HasPrefix(zone, ".") {
		return l, fmt.Errorf("dnsbl %q: %q is not a DNS zone", s, rest)
	}
	for i := 0; i < len(zone); i++ {
		c := zone[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return l, fmt.Errorf("dnsbl %q: %q is not a DNS zone", s, rest)
		}
	}
	l.Zone = zone
	return l, nil
}

// parseCodeRange reads "127.0.0.2" or "127.0.0.[2..11]".
func parseCodeRange(s string) (codeRange, error) {
	if i := strings.IndexByte(s, '['); i >= 0 {
		if !strings.HasSuffix(s, "]") {
			return codeRange{}, errors.New("a range is written 127.0.0.[lo..hi]")
		}
		lo, hi, ok := strings.Cut(s[i+1:len(s)-1], "..")
		if !ok {
			return codeRange{}, errors.New("a range is written 127.0.0.[lo..hi]")
		}
		a, err1 := netip.ParseAddr(s[:i] + lo)
		b, err2 := netip.ParseAddr(s[:i] + hi)
		if err1 != nil || err2 != nil || !a.Is4() || !b.Is4() || b.Less(a) {
			return codeRange{}, fmt.Errorf("%q is not a range of IPv4 addresses", s)
		}
		return codeRange{a, b}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return codeRange{}, fmt.Errorf("%q is not an IPv4 address", s)
	}
	return codeRange{a, a}, nil
}

// dnsblQuery is the name a list is asked for ip: the address's octets
// (IPv4) or nibbles (IPv6) reversed, under the zone (RFC 5782 §2.1, §2.4).
func dnsblQuery(ip netip.Addr, zone string) string {
	ip = ip.Unmap()
	var b strings.Builder
	if ip.Is4() {
		a := ip.As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(a[i])))
			b.WriteByte('.')
		}
	} else {
		a := ip.As16()
		const hex = "0123456789abcdef"
		for i := 15; i >= 0; i-- {
			b.WriteByte(hex[a[i]&0xf])
			b.WriteByte('.')
			b.WriteByte(hex[a[i]>>4])
			b.WriteByte('.')
		}
	}
	b.WriteString(zone)
	return b.String()
}

// matches reports whether a listing address counts.
func (l *DNSBL) matches(a netip.Addr) bool {
	a = a.Unmap()
	if !a.Is4() || a.As4()[0] != 127 {
		return false // RFC 5782 §2.3: listings are in 127.0.0.0/8
	}
	if len(l.Codes) == 0 {
		// 127.255.255.0/24: Spamhaus's error codes (a public resolver, a
		// quota), which are not listings.
		return !netip.MustParsePrefix("127.255.255.0/24").Contains(a)
	}
	for _, r := range l.Codes {
		if !a.Less(r.lo) && !r.hi.Less(a) {
			return true
		}
	}
	return false
}

// dnsblVerdict is the outcome of a session's blocklist lookups.
type dnsblVerdict struct {
	done   chan struct{}
	refuse *smtp.SMTPError // nil: not refused
}

// startDNSBL looks the client up in every list, concurrently, in the
// background from the start of the session; RCPT waits for the outcome.
// A lookup that fails (timeout, SERVFAIL) counts as not listed.
func (s *Server) startDNSBL(sess *session) *dnsblVerdict {
	o := s.opts.DNSBL
	if o == nil || len(o.Lists) == 0 || o.Resolver == nil || s.opts.Mode != ModeMX || s.trusted(sess.ip) {
		return nil
	}
	v := &dnsblVerdict{done: make(chan struct{})}
	ip := sess.ip
	go func() {
		defer close(v.done)
		ctx, cancel := context.WithTimeout(s.ctx, o.timeout())
		defer cancel()
		type hit struct {
			list *DNSBL
			text string
		}
		results := make(chan *hit, len(o.Lists))
		for i := range o.Lists {
			l := &o.Lists[i]
			go func() {
				name := dnsblQuery(ip, l.Zone)
				addrs, err := o.Resolver.LookupIPAddr(ctx, name)
				if err != nil {
					var de *net.DNSError
					if !errors.As(err, &de) || !de.IsNotFound {
						sess.log.Info("dnsbl lookup failed; not counted", "list", l.Zone, "err", err)
					}
					results <- nil
					return
				}
				for _, a := range addrs {
					if na, ok := netip.AddrFromSlice(a.IP); ok && l.matches(na) {
						text := ""
						if txt, err := o.Resolver.LookupTXT(ctx, name); err == nil && len(txt) > 0 {
							text = txt[0]
						}
						results <- &hit{l, text}
						return
					}
				}
				results <- nil
			}()
		}
		score := 0
		var first *hit
		for range o.Lists {
			if h := <-results; h != nil {
				score += h.list.Weight
				if first == nil {
					first = h
				}
			}
		}
		if first != nil && score >= o.threshold() {
			msg := "Service unavailable; client [" + ip.Unmap().String() + "] blocked using " + first.list.Zone
			if t := sanitizeReply(first.text); t != "" {
				msg += "; " + t
			}
			sess.log.Warn("client refused: listed in a DNS blocklist", "list", first.list.Zone, "score", score, "text", first.text)
			// RFC 5782 has no reply code; 554 5.7.1 is what Postfix and
			// postscreen answer.
			v.refuse = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: sanitizeReply(msg)}
		}
	}()
	return v
}

// wait returns the refusal, if any, once the lookups are done.
func (v *dnsblVerdict) wait(ctx context.Context) *smtp.SMTPError {
	if v == nil {
		return nil
	}
	select {
	case <-v.done:
		return v.refuse
	case <-ctx.Done():
		return nil
	}
}

func (o *DNSBLOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultDNSBLTimeout
}

func (o *DNSBLOptions) threshold() int {
	if o.Threshold > 0 {
		return o.Threshold
	}
	return 1
}

// isPostmaster reports whether a recipient is the postmaster (bare, or
// of a domain).
func isPostmaster(addr string) bool {
	local, _, _ := strings.Cut(addr, "@")
	return strings.EqualFold(local, "postmaster")
}
