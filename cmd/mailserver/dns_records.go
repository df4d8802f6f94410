package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailserver/mailserver/httpd"
	"github.com/mailserver/mailserver/store"
)

// The DNS records a local domain should publish, derived from the
// configuration (hostname, public_ips, [listen]) and the domain's DKIM
// keys. "mailserver dns records" prints them (dns_cmd.go) and "mailserver
// dns check" looks each one up (dns_check.go).

// recordTTL is the TTL of the printed records: an hour, short enough that
// a mistake is corrected quickly, long enough for caches to help.
const recordTTL = 3600

// record kinds: how "dns check" compares what DNS has with the record.
const (
	kindMX     = "MX"
	kindSPF    = "SPF"
	kindDKIM   = "DKIM"
	kindDMARC  = "DMARC"
	kindTLSRPT = "TLS-RPT"
	kindMTASTS = "MTA-STS"
	kindSRV    = "SRV"
	kindCNAME  = "CNAME"
	kindAddr   = "A/AAAA"
	kindPTR    = "PTR"
)

// zoneRecord is one record to publish, with the comment printed above it.
type zoneRecord struct {
	kind    string
	comment []string
	rr      dns.RR
	addr    netip.Addr // for a PTR record, the address it is of
	// orAddrs, for a CNAME record, are addresses that do as well: the
	// name may have A/AAAA records of the server instead.
	orAddrs []netip.Addr
}

// mtaSTSPolicy is the MTA-STS policy (RFC 8461 §3.2) of every local
// domain, exactly the text the https listener serves at
// mta-sts.DOMAIN (serve_http.go): its digest is the TXT record's id.
func mtaSTSPolicy(cfg *Config) string {
	return httpd.MTASTSPolicy(cfg.MTASTS.Mode, cfg.Hostname, cfg.MTASTS.MX, cfg.MTASTS.MaxAge)
}

// mtaSTSID is the policy's id (RFC 8461 §3.1: 1 to 32 alphanumerics that
// change whenever the policy does): a digest of the policy text.
func mtaSTSID(policy string) string {
	sum := sha256.Sum256([]byte(policy))
	return hex.EncodeToString(sum[:10])
}

// srvService is one RFC 6186 / RFC 8314 service with its [listen] key.
type srvService struct {
	name     string // _name._tcp
	listen   string // the [listen] address; "" = off
	port     uint16 // the well-known port
	describe string
}

func srvServices(l ListenConfig) []srvService {
	return []srvService{
		{"submissions", l.Submissions, 465, "mail submission, implicit TLS (RFC 8314 §5.1)"},
		{"submission", l.Submission, 587, "mail submission, STARTTLS (RFC 6186 §3.1)"},
		{"imaps", l.IMAPS, 993, "IMAP, implicit TLS (RFC 6186 §3.2, RFC 8314)"},
		{"imap", l.IMAP, 143, "IMAP, STARTTLS (RFC 6186 §3.2)"},
		{"pop3s", l.POP3S, 995, "POP3, implicit TLS (RFC 6186 §3.3, RFC 8314)"},
		{"pop3", l.POP3, 110, "POP3, STLS (RFC 6186 §3.3)"},
	}
}

// srvPort is the port a client should use: the configured one, or the
// well-known port when the listener has port 0 (an ephemeral port is no
// use to publish).
func (s srvService) srvPort() uint16 {
	_, p, err := net.SplitHostPort(s.listen)
	if err != nil {
		return s.port
	}
	var n uint16
	if _, err := fmt.Sscan(p, &n); err != nil || n == 0 {
		return s.port
	}
	return n
}

// publicAddrs are cfg.PublicIPs parsed (validate has checked them).
func publicAddrs(cfg *Config) []netip.Addr {
	var out []netip.Addr
	for _, s := range cfg.PublicIPs {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// spfRecord is the SPF policy (RFC 7208): the domain's MX hosts, and the
// public addresses when they are known; others soft-fail (~all), so a
// forgotten sender is marked, not refused, while DMARC does the
// enforcing.
func spfRecord(addrs []netip.Addr) string {
	var b strings.Builder
	b.WriteString("v=spf1 mx")
	for _, a := range addrs {
		if a.Is4() {
			b.WriteString(" ip4:" + a.String())
		} else {
			b.WriteString(" ip6:" + a.String())
		}
	}
	b.WriteString(" ~all")
	return b.String()
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: dns.Fqdn(name), Rrtype: t, Class: dns.ClassINET, Ttl: recordTTL}
}

// txt splits text into strings of at most 255 octets (RFC 1035 §3.3.14);
// receivers join them (RFC 6376 §3.6.2.2, RFC 7208 §3.3).
func txt(name, text string) *dns.TXT {
	r := &dns.TXT{Hdr: hdr(name, dns.TypeTXT)}
	for len(text) > 255 {
		r.Txt = append(r.Txt, text[:255])
		text = text[255:]
	}
	r.Txt = append(r.Txt, text)
	return r
}

// domainRecords lists every record domain should publish. keys are the
// domain's DKIM keys (signing, next and old: all must be published).
func domainRecords(cfg *Config, domain string, keys []store.DKIMKey) []zoneRecord {
	domain = dns.Fqdn(strings.ToLower(domain))
	host := dns.Fqdn(strings.ToLower(cfg.Hostname))
	addrs := publicAddrs(cfg)
	bare := strings.TrimSuffix(domain, ".") // for the comments
	postmaster := "postmaster@" + bare
	var out []zoneRecord
	add := func(kind string, rr dns.RR, comment ...string) {
		out = append(out, zoneRecord{kind: kind, comment: comment, rr: rr})
	}

	add(kindMX, &dns.MX{Hdr: hdr(domain, dns.TypeMX), Preference: 10, Mx: host},
		"Mail for "+bare+" is delivered to "+host+" (RFC 5321 §5.1).")
	spfWhy := "SPF (RFC 7208): the domain's MX hosts send its mail"
	if len(addrs) > 0 {
		spfWhy += ", and the addresses in public_ips"
	}
	add(kindSPF, txt(domain, spfRecord(addrs)), spfWhy+"; other senders soft-fail.",
		"With [delivery] relay_host, add the relay's own mechanism (its provider documents an include:).")
	for i := range keys {
		k := &keys[i]
		add(kindDKIM, txt(k.DNSName(), k.DNSRecord()),
			fmt.Sprintf("DKIM key %s (%s, RFC 6376 §3.6.1): receivers check the signatures with it.", k.Selector, k.Algorithm))
	}
	add(kindDMARC, txt("_dmarc."+domain, "v=DMARC1; p=quarantine; rua=mailto:"+postmaster),
		"DMARC (RFC 7489): mail that fails SPF and DKIM alignment with From goes to the receiver's spam;",
		"aggregate reports go to "+postmaster+". Once the reports show all your mail passing,",
		"change p=quarantine to p=reject.")
	add(kindTLSRPT, txt("_smtp._tls."+domain, "v=TLSRPTv1; rua=mailto:"+postmaster),
		"SMTP TLS reporting (RFC 8460): senders report TLS failures delivering to "+bare+".")
	if cfg.Listen.HTTPS != "" {
		add(kindMTASTS, txt("_mta-sts."+domain, "v=STSv1; id="+mtaSTSID(mtaSTSPolicy(cfg))),
			"MTA-STS (RFC 8461): senders fetch the policy (mode "+cfg.MTASTS.Mode+") from https://mta-sts."+bare+"/.well-known/mta-sts.txt,",
			"which this server serves; the id changes whenever the policy does ([mta_sts] in the config).")
	}
	for _, s := range srvServices(cfg.Listen) {
		name := "_" + s.name + "._tcp." + domain
		if s.listen == "" {
			// RFC 6186 §4: target "." says the service is not offered.
			add(kindSRV, &dns.SRV{Hdr: hdr(name, dns.TypeSRV), Target: "."},
				s.describe+": turned off ([listen] "+s.name+" = \"\"), so clients do not try it.")
			continue
		}
		add(kindSRV, &dns.SRV{Hdr: hdr(name, dns.TypeSRV), Priority: 0, Weight: 1, Port: s.srvPort(), Target: host},
			s.describe+": mail clients find the server with it.")
	}
	web := srvService{name: "autodiscover", listen: cfg.Listen.HTTPS, port: 443}
	if web.listen == "" {
		add(kindSRV, &dns.SRV{Hdr: hdr("_autodiscover._tcp."+domain, dns.TypeSRV), Target: "."},
			"Outlook's autodiscover: turned off ([listen] https = \"\").")
	} else {
		add(kindSRV, &dns.SRV{Hdr: hdr("_autodiscover._tcp."+domain, dns.TypeSRV), Priority: 0, Weight: 1, Port: web.srvPort(), Target: host},
			"Outlook finds its autodiscover service with it ([MS-OXDSCLI]), on the https listener.")
	}
	// The web front's names (httpd): they point at the server, which
	// answers for them (and gets their certificate, with ACME).
	alias := func(sub, why string) {
		name := sub + "." + domain
		if name == host {
			return
		}
		out = append(out, zoneRecord{kind: kindCNAME, rr: &dns.CNAME{Hdr: hdr(name, dns.TypeCNAME), Target: host}, orAddrs: addrs,
			comment: []string{why, "Or A/AAAA records of the server's addresses instead of the CNAME."}})
	}
	if cfg.Listen.HTTP != "" || cfg.Listen.HTTPS != "" {
		alias("autoconfig", "Thunderbird fetches its settings from http(s)://autoconfig."+bare+"/mail/config-v1.1.xml.")
	}
	if cfg.Listen.HTTPS != "" {
		alias("autodiscover", "Outlook asks https://autodiscover."+bare+"/autodiscover/autodiscover.xml for its settings.")
		alias("mta-sts", "The MTA-STS policy host (RFC 8461 §3.3); it needs a certificate senders trust.")
	}
	for _, a := range addrs {
		var rr dns.RR
		if a.Is4() {
			rr = &dns.A{Hdr: hdr(host, dns.TypeA), A: a.AsSlice()}
		} else {
			rr = &dns.AAAA{Hdr: hdr(host, dns.TypeAAAA), AAAA: a.AsSlice()}
		}
		add(kindAddr, rr, "The MX host's address (public_ips); in the zone of "+host)
	}
	for _, a := range addrs {
		rev, _ := dns.ReverseAddr(a.String())
		out = append(out, zoneRecord{kind: kindPTR, addr: a, rr: &dns.PTR{Hdr: hdr(rev, dns.TypePTR), Ptr: host}, comment: []string{
			"Reverse DNS of " + a.String() + ": not in your zone; set it at the provider of the address.",
			"Many receivers refuse mail from an address whose PTR does not name a host that resolves back to it."}})
	}
	return out
}

// writeRecords prints the records as zone-file lines, each after its
// comment.
func writeRecords(w io.Writer, cfg *Config, domain string, recs []zoneRecord) {
	fmt.Fprintf(w, "; DNS records for %s, served by %s (zone-file syntax).\n", domain, cfg.Hostname)
	if len(cfg.PublicIPs) == 0 {
		fmt.Fprintf(w, "; public_ips is not set: no A/AAAA or PTR records are printed and SPF names the MX only.\n")
	}
	for _, r := range recs {
		fmt.Fprintln(w)
		for _, c := range r.comment {
			fmt.Fprintf(w, "; %s\n", c)
		}
		fmt.Fprintln(w, r.rr.String())
	}
}
