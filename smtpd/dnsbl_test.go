package smtpd

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// slowResolver never answers for names under zone (a DNS timeout).
type slowResolver struct {
	Resolver
	zone string
}

func (r slowResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if strings.HasSuffix(host, "."+r.zone) {
		<-ctx.Done()
		return nil, &net.DNSError{Err: "i/o timeout", Name: host, IsTimeout: true, IsTemporary: true}
	}
	return r.Resolver.LookupIPAddr(ctx, host)
}

func TestDNSBL(t *testing.T) {
	d := newFakeDNS(t)
	// The test client connects from 127.0.0.1.
	d.addA("1.0.0.127.bl.test", "127.0.0.2")
	d.addTXT("1.0.0.127.bl.test", "Listed, see https://bl.test/lookup?127.0.0.1")
	d.addA("1.0.0.127.weak.test", "127.0.0.4")
	d.addA("1.0.0.127.codes.test", "127.0.0.10")
	d.addA("1.0.0.127.error.test", "127.255.255.254") // a blocklist's error code, not a listing
	d.servfail("1.0.0.127.broken.test")
	// clean.test lists nobody.
	d.addA("2.0.0.127.clean.test", "127.0.0.2")

	lists := func(specs ...string) *DNSBLOptions {
		o := &DNSBLOptions{Timeout: 500 * time.Millisecond}
		for _, s := range specs {
			l, err := ParseDNSBL(s)
			if err != nil {
				t.Fatal(err)
			}
			o.Lists = append(o.Lists, l)
		}
		return o
	}
	for _, c := range []struct {
		name      string
		opts      *DNSBLOptions
		refused   bool
		threshold int
	}{
		{"listed", lists("bl.test"), true, 0},
		{"unlisted", lists("clean.test"), false, 0},
		{"servfail", lists("broken.test"), false, 0},
		{"timeout", lists("slow.test"), false, 0},
		{"error code", lists("error.test"), false, 0},
		{"code matches", lists("codes.test=127.0.0.[2..11]"), true, 0},
		{"code does not match", lists("codes.test=127.0.0.2"), false, 0},
		{"below threshold", lists("weak.test*1", "clean.test*5"), false, 2},
		{"weights add up", lists("weak.test*1", "bl.test*1", "slow.test*5"), true, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Threshold = c.threshold
			e := newTestEnv(t, func(o *Options) {
				c.opts.Resolver = slowResolver{d.resolver(), "slow.test"}
				o.DNSBL = c.opts
			})
			cl := e.dialMX()
			if err := cl.Mail("carol@client.test", nil); err != nil {
				t.Fatal(err)
			}
			// Postmaster is reachable either way (RFC 5321 §4.5.1).
			if err := cl.Rcpt("postmaster@example.test", nil); err != nil {
				t.Fatalf("RCPT postmaster: %v", err)
			}
			err := cl.Rcpt("bob@example.test", nil)
			if !c.refused {
				if err != nil {
					t.Fatalf("RCPT: %v", err)
				}
				return
			}
			se, ok := err.(*smtp.SMTPError)
			if !ok || se.Code != 554 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) || !strings.Contains(se.Message, "blocked using ") {
				t.Fatalf("RCPT: %v, want 554 5.7.1 naming the list", err)
			}
			if c.name == "listed" && !strings.Contains(se.Message, "Listed, see https://bl.test/lookup?127.0.0.1") {
				t.Fatalf("the list's text is missing: %q", se.Message)
			}
			// The message to postmaster still goes through.
			w, err := cl.Data()
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("Subject: help\r\n\r\nI am listed, why?\r\n"))
			if err := w.Close(); err != nil {
				t.Fatalf("DATA to postmaster: %v", err)
			}
		})
	}
}

func TestDNSBLQuery(t *testing.T) {
	for _, c := range []struct{ ip, want string }{
		{"192.0.2.99", "99.2.0.192.zen.example"},
		{"::ffff:192.0.2.99", "99.2.0.192.zen.example"},
		// RFC 5782 §2.4.
		{"2001:db8:1:2:3:4:567:89ab", "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.zen.example"},
	} {
		if got := dnsblQuery(netip.MustParseAddr(c.ip), "zen.example"); got != c.want {
			t.Errorf("%s: %s, want %s", c.ip, got, c.want)
		}
	}
}

func TestParseDNSBL(t *testing.T) {
	for _, c := range []struct {
		in    string
		zone  string
		w     int
		codes int
		bad   bool
	}{
		{in: "zen.spamhaus.org", zone: "zen.spamhaus.org", w: 1},
		{in: "Zen.Spamhaus.Org.", zone: "zen.spamhaus.org", w: 1},
		{in: "b.barracudacentral.org*2", zone: "b.barracudacentral.org", w: 2},
		{in: "zen.spamhaus.org=127.0.0.[2..11]*3", zone: "zen.spamhaus.org", w: 3, codes: 1},
		{in: "list.dnswl.org=127.0.[0..255].[1..3]*-2", bad: true},
		{in: "bl.example=127.0.0.4", zone: "bl.example", w: 1, codes: 1},
		{in: "", bad: true},
		{in: "*2", bad: true},
		{in: "bad zone", bad: true},
		{in: "a..b", bad: true},
		{in: "x.example*lots", bad: true},
		{in: "x.example=127.0.0.[9..2]", bad: true},
		{in: "x.example=::1", bad: true},
	} {
		l, err := ParseDNSBL(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("%q: no error (%+v)", c.in, l)
			}
			continue
		}
		if err != nil || l.Zone != c.zone || l.Weight != c.w || len(l.Codes) != c.codes {
			t.Errorf("%q: %+v, %v", c.in, l, err)
		}
	}
}

func FuzzParseDNSBL(f *testing.F) {
	for _, s := range []string{"zen.spamhaus.org", "a.example=127.0.0.[2..11]*3", "x*-1", "=*", "a=1.2.3.[", "a.b=127.0.0.2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseDNSBL(s)
		if err != nil {
			return
		}
		if l.Zone == "" || strings.ContainsAny(l.Zone, " \r\n*=") {
			t.Fatalf("%q: zone %q", s, l.Zone)
		}
		// The query name is well-formed for any address.
		if q := dnsblQuery(netip.MustParseAddr("192.0.2.1"), l.Zone); !strings.HasSuffix(q, "."+l.Zone) {
			t.Fatalf("%q: query %q", s, q)
		}
	})
}
