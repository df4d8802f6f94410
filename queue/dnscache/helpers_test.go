package dnscache

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// testServer is an in-process authoritative DNS server on a loopback UDP
// and TCP port, whose zone tests change while it runs. It counts the
// queries it receives.
type testServer struct {
	addr string

	mu       sync.Mutex
	rrs      map[key][]dns.RR
	names    map[string]bool   // names that exist (NODATA rather than NXDOMAIN)
	soa      map[string]dns.RR // authority SOA added to negative answers, by name
	servfail map[string]bool
	truncate map[string]bool // UDP replies for these names carry TC and no answer
	silent   map[string]bool // no reply at all (a timeout)
	secure   map[string]bool // replies carry AD when the query asked (RFC 6840 §5.7)
	hold     chan struct{}   // when set, every query waits for it to close
	queries  map[key]int     // by name and type
	tcp      int             // queries over TCP
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	pc, ln := listenUDPAndTCP(t)
	s := &testServer{
		addr: pc.LocalAddr().String(), rrs: map[key][]dns.RR{}, names: map[string]bool{},
		soa: map[string]dns.RR{}, servfail: map[string]bool{}, truncate: map[string]bool{},
		silent: map[string]bool{}, secure: map[string]bool{}, queries: map[key]int{},
	}
	ok := make(chan struct{}, 2)
	started := func() { ok <- struct{}{} }
	us := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve), NotifyStartedFunc: started}
	ts := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(s.serve), NotifyStartedFunc: started}
	go us.ActivateAndServe()
	go ts.ActivateAndServe()
	<-ok
	<-ok
	t.Cleanup(func() {
		s.release()
		us.Shutdown()
		ts.Shutdown()
	})
	return s
}

// set replaces the records of the name and type of the given records
// (zone file syntax, e.g. "a.test. 60 IN TXT \"v=spf1 -all\"").
func (s *testServer) set(t testing.TB, records ...string) {
	t.Helper()
	var k key
	var rrs []dns.RR
	for _, rec := range records {
		rr, err := dns.NewRR(rec)
		if err != nil {
			t.Fatal(err)
		}
		h := rr.Header()
		k = key{strings.ToLower(h.Name), h.Rrtype}
		rrs = append(rrs, rr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rrs[k] = rrs
	s.names[k.name] = true
}

// setAnswer makes the reply to name/qtype carry exactly these records
// (a CNAME chain with its target's records, as recursive servers send).
func (s *testServer) setAnswer(t testing.TB, name string, qtype uint16, records ...string) {
	t.Helper()
	var rrs []dns.RR
	for _, rec := range records {
		rr, err := dns.NewRR(rec)
		if err != nil {
			t.Fatal(err)
		}
		rrs = append(rrs, rr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rrs[key{strings.ToLower(name), qtype}] = rrs
	s.names[strings.ToLower(name)] = true
}

// setSOA makes negative answers for name carry an SOA with this TTL and
// MINIMUM (RFC 2308 §3).
func (s *testServer) setSOA(t testing.TB, name string, ttl, minimum uint32) {
	t.Helper()
	rr, err := dns.NewRR(name + " 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60")
	if err != nil {
		t.Fatal(err)
	}
	soa := rr.(*dns.SOA)
	soa.Hdr.Ttl, soa.Minttl = ttl, minimum
	s.mu.Lock()
	s.soa[strings.ToLower(dns.Fqdn(name))] = soa
	s.mu.Unlock()
}

func (s *testServer) setFlag(m map[string]bool, name string, on bool) {
	s.mu.Lock()
	m[strings.ToLower(dns.Fqdn(name))] = on
	s.mu.Unlock()
}

// holdQueries makes queries wait until release.
func (s *testServer) holdQueries() {
	s.mu.Lock()
	s.hold = make(chan struct{})
	s.mu.Unlock()
}

func (s *testServer) release() {
	s.mu.Lock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
	s.mu.Unlock()
}

// count returns how many queries for name and type arrived.
func (s *testServer) count(name string, qtype uint16) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[key{strings.ToLower(dns.Fqdn(name)), qtype}]
}

func (s *testServer) tcpCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tcp
}

func (s *testServer) serve(w dns.ResponseWriter, req *dns.Msg) {
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	overTCP := w.LocalAddr().Network() == "tcp"
	s.mu.Lock()
	s.queries[key{name, q.Qtype}]++
	if overTCP {
		s.tcp++
	}
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	s.mu.Lock()
	m.AuthenticatedData = s.secure[name] && req.AuthenticatedData
	switch {
	case s.silent[name]:
		s.mu.Unlock()
		return
	case s.servfail[name]:
		m.Rcode = dns.RcodeServerFailure
	case s.truncate[name] && !overTCP:
		m.Truncated = true
	default:
		m.Answer = append(m.Answer, s.rrs[key{name, q.Qtype}]...)
		if q.Qtype != dns.TypeCNAME && len(m.Answer) == 0 {
			m.Answer = append(m.Answer, s.rrs[key{name, dns.TypeCNAME}]...)
		}
		if len(m.Answer) == 0 {
			if !s.names[name] {
				m.Rcode = dns.RcodeNameError
			}
			if soa := s.soa[name]; soa != nil {
				m.Ns = append(m.Ns, soa)
			}
		}
	}
	s.mu.Unlock()
	w.WriteMsg(m)
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newTestResolver returns a resolver asking s, on clock c.
func newTestResolver(s *testServer, c *fakeClock, opts Options) *Resolver {
	opts.Server = s.addr
	opts.Now = c.Now
	return New(opts)
}

func lookupTXT(t testing.TB, r *Resolver, name string) []string {
	t.Helper()
	txt, err := r.LookupTXT(context.Background(), name)
	if err != nil {
		t.Fatalf("LookupTXT(%s): %v", name, err)
	}
	return txt
}

// notFound asserts err is net.Resolver's "no such host".
func notFound(t testing.TB, err error) {
	t.Helper()
	de, ok := err.(*net.DNSError)
	if !ok || !de.IsNotFound || de.IsTemporary {
		t.Fatalf("error %#v, want a *net.DNSError with IsNotFound", err)
	}
}

// waitUntil polls cond; it fails the test (no timing is asserted) if
// cond never holds.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 5000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// listenUDPAndTCP binds one loopback port for both UDP and TCP; when the
// TCP half of a free UDP port is taken (another test's connection), it
// tries another port.
func listenUDPAndTCP(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	for try := 0; ; try++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		pc.Close()
		if try == 20 {
			t.Fatal(err)
		}
	}
}
