package smtpd

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// fakeDNS is an in-process DNS server (miekg/dns) on loopback, UDP and
// TCP on one port, answering from a zone of TXT and A records.
// Names in servfail get SERVFAIL (a temporary error for the resolver).
type fakeDNS struct {
	addr string
	mu   sync.Mutex
	txt  map[string][]string // fqdn, lower case → one string per record
	a    map[string][]string
	fail map[string]bool
}

func newFakeDNS(t testing.TB) *fakeDNS {
	t.Helper()
	f := &fakeDNS{txt: map[string][]string{}, a: map[string][]string{}, fail: map[string]bool{}}
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ln == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		f.addr = pc.LocalAddr().String()
		if ln, err = net.Listen("tcp", f.addr); err != nil {
			pc.Close() // the TCP port is taken: another pair
			if try == 20 {
				t.Fatal(err)
			}
		}
	}
	ok := make(chan struct{}, 2)
	started := func() { ok <- struct{}{} }
	h := dns.HandlerFunc(f.serve)
	us := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: started}
	ts := &dns.Server{Listener: ln, Handler: h, NotifyStartedFunc: started}
	go us.ActivateAndServe()
	go ts.ActivateAndServe()
	<-ok
	<-ok
	t.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
	return f
}

// addTXT adds a TXT record (split into 255-octet strings as RFC 7208
// §3.3 and RFC 6376 §3.6.2.2 expect for long records).
func (f *fakeDNS) addTXT(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := dns.Fqdn(strings.ToLower(name))
	f.txt[k] = append(f.txt[k], value)
}

func (f *fakeDNS) addA(name, ip string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := dns.Fqdn(strings.ToLower(name))
	f.a[k] = append(f.a[k], ip)
}

func (f *fakeDNS) servfail(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[dns.Fqdn(strings.ToLower(name))] = true
}

// exists reports whether any record is at name or below it.
func (f *fakeDNS) exists(name string) bool {
	for _, m := range []map[string][]string{f.txt, f.a} {
		for k := range m {
			if k == name || strings.HasSuffix(k, "."+name) {
				return true
			}
		}
	}
	return false
}

func (f *fakeDNS) serve(w dns.ResponseWriter, req *dns.Msg) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 60, Rrtype: q.Qtype}
	switch {
	case f.fail[name]:
		m.Rcode = dns.RcodeServerFailure
	case q.Qtype == dns.TypeTXT:
		for _, v := range f.txt[name] {
			var parts []string
			for len(v) > 255 {
				parts, v = append(parts, v[:255]), v[255:]
			}
			m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: append(parts, v)})
		}
	case q.Qtype == dns.TypeA:
		for _, ip := range f.a[name] {
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.ParseIP(ip)})
		}
	}
	if m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0 && !f.exists(name) {
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

// resolver is a *net.Resolver that asks only this server.
func (f *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, f.addr)
	}}
}
