package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// testZone is an authoritative DNS server for the records a test
// publishes: NXDOMAIN for a name it has no record of, NODATA for a
// missing type.
type testZone struct {
	mu  sync.Mutex
	rrs []dns.RR
}

func (z *testZone) set(rrs []dns.RR) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.rrs = rrs
}

func (z *testZone) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	z.mu.Lock()
	defer z.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	exists := false
	for _, rr := range z.rrs {
		if strings.EqualFold(rr.Header().Name, q.Name) {
			exists = true
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	if !exists {
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

// parseZone reads zone-file text as a name server does (comments and
// blank lines skipped).
func parseZone(t *testing.T, text string) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(strings.NewReader(text), "", "records")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("dns records output is not a zone file: %v\n%s", err, text)
	}
	return rrs
}

// checkLine finds the line of "dns check" output for kind at name.
func checkLine(t *testing.T, out, kind, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^(\S+)\s+` + regexp.QuoteMeta(kind) + `\s+` + regexp.QuoteMeta(name) + `\s.*$`).FindString(out)
	if m == "" {
		t.Fatalf("dns check prints no %s line for %s:\n%s", kind, name, out)
	}
	return m
}

func without(rrs []dns.RR, drop func(dns.RR) bool) []dns.RR {
	return slices.DeleteFunc(slices.Clone(rrs), drop)
}

// TestDNSRecordsAndCheck: what "dns records" prints loads into a real
// zone (miekg/dns's zone-file parser, served by a test name server); "dns
// check" through [dns] resolver then says OK for every record and exits
// 0. A removed record is "missing", a changed one "different", and both
// exit 1; an A record that no longer has the public address breaks the
// forward confirmation of its PTR. The same through a running server's
// admin socket.
func TestDNSRecordsAndCheck(t *testing.T) {
	zone := &testZone{}
	dnsAddr := serveTestDNS(t, zone)
	e := newTestEnv(t, map[string]string{"submissions": "127.0.0.1:0", "imaps": "127.0.0.1:0", "smtp": "127.0.0.1:0",
		"http": "127.0.0.1:0", "https": "127.0.0.1:0"},
		fmt.Sprintf("domains = [\"example.test\"]\npublic_ips = [\"192.0.2.10\", \"2001:db8::10\"]\n[dns]\nresolver = %q\n", dnsAddr))

	// Nothing published yet.
	r := e.run(t, "", "dns", "check", "example.test")
	if r.code != 1 || strings.Contains(r.stdout, "OK ") || !strings.Contains(r.stderr, "missing or different") {
		t.Fatalf("dns check of an empty zone: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	out := e.mustRun(t, "", "dns", "records", "example.test")
	t.Logf("dns records:\n%s", out)
	direct := out
	rrs := parseZone(t, out)
	count := map[string]int{}
	for _, rr := range rrs {
		count[dns.TypeToString[rr.Header().Rrtype]]++
	}
	// MX; TXT: SPF, 2 DKIM, DMARC, TLS-RPT, MTA-STS; six mail SRV and
	// _autodiscover; CNAMEs autoconfig, autodiscover, mta-sts; A, AAAA;
	// two PTR.
	if want := map[string]int{"MX": 1, "TXT": 6, "SRV": 7, "CNAME": 3, "A": 1, "AAAA": 1, "PTR": 2}; !maps.Equal(count, want) {
		t.Fatalf("dns records printed %v, want %v", count, want)
	}
	for _, want := range []string{
		"example.test.\t3600\tIN\tMX\t10 mail.example.test.",
		`"v=spf1 mx ip4:192.0.2.10 ip6:2001:db8::10 ~all"`,
		`_dmarc.example.test.	3600	IN	TXT	"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.test"`,
		"p=reject",
		`_smtp._tls.example.test.	3600	IN	TXT	"v=TLSRPTv1; rua=mailto:postmaster@example.test"`,
		`_mta-sts.example.test.	3600	IN	TXT	"v=STSv1; id=`,
		"_submissions._tcp.example.test.\t3600\tIN\tSRV\t0 1 465 mail.example.test.",
		"_imaps._tcp.example.test.\t3600\tIN\tSRV\t0 1 993 mail.example.test.",
		"_submission._tcp.example.test.\t3600\tIN\tSRV\t0 0 0 .",
		"_pop3._tcp.example.test.\t3600\tIN\tSRV\t0 0 0 .",
		"_autodiscover._tcp.example.test.\t3600\tIN\tSRV\t0 1 443 mail.example.test.",
		"autoconfig.example.test.\t3600\tIN\tCNAME\tmail.example.test.",
		"autodiscover.example.test.\t3600\tIN\tCNAME\tmail.example.test.",
		"mta-sts.example.test.\t3600\tIN\tCNAME\tmail.example.test.",
		"mail.example.test.\t3600\tIN\tAAAA\t2001:db8::10",
		"10.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\tmail.example.test.",
		"set it at the provider",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dns records lacks %q", want)
		}
	}
	dkim := dkimRecordsFrom(t, e.mustRun(t, "", "dkim", "list", "example.test"))
	for name, text := range dkim {
		found := false
		for _, rr := range rrs {
			if txt, ok := rr.(*dns.TXT); ok && txt.Hdr.Name == name+"." && strings.Join(txt.Txt, "") == text {
				found = true
			}
		}
		if !found {
			t.Errorf("dns records lacks the DKIM record of %s that dkim list prints", name)
		}
	}

	zone.set(rrs)
	out = e.mustRun(t, "", "dns", "check", "example.test")
	t.Logf("dns check:\n%s", out)
	if n := len(regexp.MustCompile(`(?m)^OK `).FindAllString(out, -1)); n != len(rrs) {
		t.Fatalf("dns check says OK for %d of %d records:\n%s", n, len(rrs), out)
	}
	checkLine(t, out, "PTR", "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")

	// p=reject, as the comment advises, is still right.
	reject := slices.Clone(rrs)
	for i, rr := range reject {
		if rr.Header().Name == "_dmarc.example.test." {
			reject[i], _ = dns.NewRR(`_dmarc.example.test. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:postmaster@example.test"`)
		}
	}
	zone.set(reject)
	e.mustRun(t, "", "dns", "check", "example.test")

	// An A record of the server's address instead of a CNAME is right
	// too.
	byAddr := without(rrs, func(rr dns.RR) bool { return rr.Header().Name == "mta-sts.example.test." })
	a, _ := dns.NewRR("mta-sts.example.test. 3600 IN A 192.0.2.10")
	zone.set(append(byAddr, a))
	e.mustRun(t, "", "dns", "check", "example.test")

	for _, tc := range []struct {
		what       string
		zone       []dns.RR
		kind, name string
		status     string
	}{
		{"DMARC removed", without(rrs, func(rr dns.RR) bool { return rr.Header().Name == "_dmarc.example.test." }),
			"DMARC", "_dmarc.example.test.", "missing"},
		{"one DKIM key removed", without(rrs, func(rr dns.RR) bool { return strings.HasSuffix(rr.Header().Name, "-rsa._domainkey.example.test.") }),
			"DKIM", "", "missing"},
		{"MX elsewhere", replaced(t, rrs, dns.TypeMX, "example.test. 3600 IN MX 10 mx.elsewhere.test."),
			"MX", "example.test.", "different"},
		{"SPF of a provider", replaced(t, rrs, dns.TypeTXT, `example.test. 3600 IN TXT "v=spf1 include:_spf.provider.test ~all"`),
			"SPF", "example.test.", "different"},
		{"submissions on another port", replaced(t, rrs, dns.TypeSRV, "_submissions._tcp.example.test. 3600 IN SRV 0 1 2465 mail.example.test."),
			"SRV", "_submissions._tcp.example.test.", "different"},
		{"autoconfig elsewhere", replaced(t, rrs, dns.TypeCNAME, "autoconfig.example.test. 3600 IN CNAME web.provider.test."),
			"CNAME", "autoconfig.example.test.", "different"},
		{"autodiscover removed", without(rrs, func(rr dns.RR) bool { return rr.Header().Name == "autodiscover.example.test." }),
			"CNAME", "autodiscover.example.test.", "missing"},
		{"PTR to another name", replaced(t, rrs, dns.TypePTR, "10.2.0.192.in-addr.arpa. 3600 IN PTR host-10.provider.test."),
			"PTR", "10.2.0.192.in-addr.arpa.", "different"},
		// The A record no longer has the address: its PTR still names
		// mail.example.test, but that name does not lead back.
		{"A elsewhere", replaced(t, rrs, dns.TypeA, "mail.example.test. 3600 IN A 192.0.2.99"),
			"PTR", "10.2.0.192.in-addr.arpa.", "different"},
	} {
		zone.set(tc.zone)
		r := e.run(t, "", "dns", "check", "example.test")
		t.Logf("%s: dns check:\n%s%s", tc.what, r.stdout, r.stderr)
		if r.code != 1 || !strings.Contains(r.stderr, "missing or different") {
			t.Errorf("%s: dns check exit %d, stderr %q\n%s", tc.what, r.code, r.stderr, r.stdout)
			continue
		}
		var line string
		if tc.name == "" {
			line = regexp.MustCompile(`(?m)^missing\s+DKIM\s+\S+-rsa\._domainkey.*$`).FindString(r.stdout)
		} else {
			line = checkLine(t, r.stdout, tc.kind, tc.name)
		}
		if !strings.HasPrefix(line, tc.status+" ") {
			t.Errorf("%s: want %s, dns check printed:\n%s", tc.what, tc.status, r.stdout)
		}
		if tc.status == "different" && !strings.Contains(r.stdout, "found: ") {
			t.Errorf("%s: dns check does not say what it found:\n%s", tc.what, r.stdout)
		}
	}

	// The same through the admin socket of a running server.
	zone.set(rrs)
	s := e.start(t)
	if got := e.mustRun(t, "", "dns", "records", "example.test"); got != direct {
		t.Errorf("dns records through the admin socket:\n%s\nwithout a server:\n%s", got, direct)
	}
	e.mustRun(t, "", "dns", "check", "example.test")
	if r := e.run(t, "", "dns", "records", "nowhere.test"); r.code != 1 || !strings.Contains(r.stderr, "not a local domain") {
		t.Errorf("dns records of an unknown domain: exit %d %q", r.code, r.stderr)
	}
	s.stop(t)
	if r := e.run(t, "", "dns", "records"); r.code != 2 {
		t.Errorf("dns records without a domain: exit %d", r.code)
	}
}

// replaced is rrs with the first record of type t whose name is the new
// record's swapped for it.
func replaced(t *testing.T, rrs []dns.RR, typ uint16, record string) []dns.RR {
	t.Helper()
	nr, err := dns.NewRR(record)
	if err != nil {
		t.Fatal(err)
	}
	out := slices.Clone(rrs)
	for i, rr := range out {
		if rr.Header().Rrtype == typ && rr.Header().Name == nr.Header().Name {
			out[i] = nr
			return out
		}
	}
	t.Fatalf("no %s record for %s", dns.TypeToString[typ], nr.Header().Name)
	return nil
}

// TestPublicIPsValid: documentation and global addresses of both families
// pass validation (the bad ones are in TestValidateNamesKey).
func TestPublicIPsValid(t *testing.T) {
	cfg := defaultConfig()
	cfg.Hostname = "mail.example.test"
	cfg.PublicIPs = []string{"192.0.2.10", "2001:db8::10", "203.0.113.7"}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
}
