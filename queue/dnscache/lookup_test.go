package dnscache

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"blitiri.com.ar/go/spf"
	"github.com/miekg/dns"
)

// The verify helper hands the resolver to spf.CheckHostWithSender.
var _ spf.DNSResolver = (*Resolver)(nil)

// netResolver is Go's own resolver asking s, for comparison.
func netResolver(s *testServer) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, s.addr)
	}}
}

// TestErrorsLikeNetResolver: for NXDOMAIN, NODATA and SERVFAIL the
// resolver's errors carry the same flags and text as net.Resolver's, so
// callers written for it (the queue's MX code, spf, dkim, dmarc) behave
// the same.
func TestErrorsLikeNetResolver(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{Attempts: 1})
	s.set(t, `nodata.test. 60 IN A 192.0.2.1`)
	s.setFlag(s.servfail, "fail.test", true)
	nr := netResolver(s)
	for _, name := range []string{"nxdomain.test", "nodata.test", "fail.test", "bad..name"} {
		_, want := nr.LookupTXT(t.Context(), name)
		_, got := r.LookupTXT(t.Context(), name)
		var wd, gd *net.DNSError
		if !errors.As(want, &wd) || !errors.As(got, &gd) {
			t.Fatalf("%s: net %#v, ours %#v: want *net.DNSError from both", name, want, got)
		}
		if wd.IsNotFound != gd.IsNotFound || wd.IsTemporary != gd.IsTemporary || wd.Err != gd.Err || wd.Name != gd.Name {
			t.Errorf("%s: net says %#v, ours %#v", name, wd, gd)
		}
	}
}

// TestLookupMethods: MX order, addresses of both families, PTR, TXT
// string joining and a CNAME chain inside one reply.
func TestLookupMethods(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{})
	ctx := t.Context()
	s.set(t, `m.test. 60 IN MX 20 b.m.test.`, `m.test. 60 IN MX 10 a.m.test.`)
	mxs, err := r.LookupMX(ctx, "m.test")
	if err != nil || len(mxs) != 2 || mxs[0].Host != "a.m.test." || mxs[1].Pref != 20 {
		t.Fatalf("LookupMX = %v, %v", mxs, err)
	}
	s.set(t, `null.test. 60 IN MX 0 .`)
	if mxs, err := r.LookupMX(ctx, "null.test"); err != nil || len(mxs) != 1 || mxs[0].Host != "." {
		t.Fatalf("null MX = %v, %v; want Host \".\" as net.Resolver gives", mxs, err)
	}

	s.set(t, `h.test. 60 IN A 192.0.2.7`)
	s.set(t, `h.test. 60 IN AAAA 2001:db8::7`)
	addrs, err := r.LookupNetIP(ctx, "ip", "h.test")
	want := []netip.Addr{netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("2001:db8::7")}
	if err != nil || !slices.Equal(addrs, want) {
		t.Fatalf("LookupNetIP = %v, %v", addrs, err)
	}
	if a6, err := r.LookupNetIP(ctx, "ip6", "h.test"); err != nil || len(a6) != 1 || !a6[0].Is6() {
		t.Fatalf("LookupNetIP ip6 = %v, %v", a6, err)
	}
	ips, err := r.LookupIPAddr(ctx, "h.test")
	if err != nil || len(ips) != 2 || !ips[0].IP.Equal(net.ParseIP("192.0.2.7")) {
		t.Fatalf("LookupIPAddr = %v, %v", ips, err)
	}
	if hs, err := r.LookupHost(ctx, "192.0.2.9"); err != nil || !slices.Equal(hs, []string{"192.0.2.9"}) {
		t.Fatalf("LookupHost(literal) = %v, %v", hs, err)
	}
	s.set(t, `v4only.test. 60 IN A 192.0.2.8`)
	if hs, err := r.LookupHost(ctx, "v4only.test"); err != nil || !slices.Equal(hs, []string{"192.0.2.8"}) {
		t.Fatalf("LookupHost(v4only) = %v, %v (a missing AAAA is no error)", hs, err)
	}
	_, err = r.LookupHost(ctx, "none.test")
	notFound(t, err)

	s.set(t, `7.2.0.192.in-addr.arpa. 60 IN PTR h.test.`)
	if names, err := r.LookupAddr(ctx, "192.0.2.7"); err != nil || !slices.Equal(names, []string{"h.test."}) {
		t.Fatalf("LookupAddr = %v, %v", names, err)
	}

	s.set(t, `t.test. 60 IN TXT "v=DKIM1; k=ed25519; " "p=abc"`)
	if txt := lookupTXT(t, r, "t.test"); !slices.Equal(txt, []string{"v=DKIM1; k=ed25519; p=abc"}) {
		t.Fatalf("TXT strings not joined: %q", txt)
	}

	// A reply that carries the whole chain (as recursive servers send it).
	s.setAnswer(t, "c1.test.", dns.TypeTXT, `c1.test. 60 IN CNAME c2.test.`, `c2.test. 60 IN TXT "via cname"`)
	s.set(t, `c2.test. 60 IN TXT "via cname"`)
	if txt := lookupTXT(t, r, "c1.test"); !slices.Equal(txt, []string{"via cname"}) {
		t.Fatalf("CNAME chain: %q", txt)
	}
	if n := s.count("c2.test", dns.TypeTXT); n != 0 {
		t.Fatalf("c2.test asked %d times although the reply held its records", n)
	}
}

// TestSystemResolvConf: no Server means the nameservers of resolv.conf,
// in order, and 127.0.0.1:53 when it lists none.
func TestSystemResolvConf(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(conf, []byte("search example.org\nnameserver 192.0.2.53\nnameserver 2001:db8::53\noptions ndots:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := New(Options{resolvConf: conf})
	if got := r.servers(); !slices.Equal(got, []string{"192.0.2.53:53", "[2001:db8::53]:53"}) {
		t.Fatalf("servers %v", got)
	}
	r = New(Options{resolvConf: filepath.Join(dir, "missing")})
	if got := r.servers(); !slices.Equal(got, []string{"127.0.0.1:53"}) {
		t.Fatalf("servers without resolv.conf %v", got)
	}
}
