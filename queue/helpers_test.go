package queue

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/mailserver/mailserver/store"
	"github.com/miekg/dns"
)

// fakeDNS is an in-process DNS server (LIBRARIES.md §7) with a zone the
// test changes as it goes.
type fakeDNS struct {
	addr string

	mu       sync.Mutex
	rrs      map[uint16]map[string][]dns.RR
	names    map[string]bool
	servfail map[string]bool
	queries  map[string]int // by "name/TYPE"
}

func newFakeDNS(t testing.TB) *fakeDNS {
	t.Helper()
	d := &fakeDNS{rrs: map[uint16]map[string][]dns.RR{}, names: map[string]bool{}, servfail: map[string]bool{}, queries: map[string]int{}}
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ln == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		d.addr = pc.LocalAddr().String()
		if ln, err = net.Listen("tcp", d.addr); err != nil {
			pc.Close() // the TCP port is taken: another pair
			if try == 20 {
				t.Fatal(err)
			}
		}
	}
	ok := make(chan struct{}, 2)
	started := func() { ok <- struct{}{} }
	us := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(d.serve), NotifyStartedFunc: started}
	ts := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(d.serve), NotifyStartedFunc: started}
	go us.ActivateAndServe()
	go ts.ActivateAndServe()
	<-ok
	<-ok
	t.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
	return d
}

// add adds a record in zone file syntax, e.g. "example.test. MX 10 mx.example.test.".
func (d *fakeDNS) add(t testing.TB, record string) {
	t.Helper()
	rr, err := dns.NewRR(record)
	if err != nil {
		t.Fatal(err)
	}
	h := rr.Header()
	if h.Ttl == 0 {
		h.Ttl = 60
	}
	name := strings.ToLower(h.Name)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rrs[h.Rrtype] == nil {
		d.rrs[h.Rrtype] = map[string][]dns.RR{}
	}
	d.rrs[h.Rrtype][name] = append(d.rrs[h.Rrtype][name], rr)
	d.names[name] = true
}

func (d *fakeDNS) setServfail(name string) {
	d.mu.Lock()
	d.servfail[dns.Fqdn(name)] = true
	d.mu.Unlock()
}

func (d *fakeDNS) serve(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	d.mu.Lock()
	d.queries[name+"/"+dns.TypeToString[q.Qtype]]++
	switch {
	case d.servfail[name]:
		m.Rcode = dns.RcodeServerFailure
	default:
		m.Answer = append(m.Answer, d.rrs[q.Qtype][name]...)
		if len(m.Answer) == 0 && !d.names[name] {
			m.Rcode = dns.RcodeNameError
		}
	}
	d.mu.Unlock()
	w.WriteMsg(m)
}

// count returns how many queries for name (absolute, lower case) and
// type ("MX", "A") arrived.
func (d *fakeDNS) count(name, qtype string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queries[name+"/"+qtype]
}

func (d *fakeDNS) resolver() Resolver { return NewResolver(d.addr) }

// txn is one mail transaction a remote server accepted.
type txn struct {
	from     string
	to       []string
	data     []byte
	tls      bool
	authUser string
	mailOpts smtp.MailOptions
	rcptOpts []smtp.RcptOptions
}

// remote is a scriptable go-smtp server standing in for a remote MTA.
type remote struct {
	ip  string
	srv *smtp.Server
	ln  net.Listener

	mu sync.Mutex
	// rcpt and data decide the replies; nil accepts.
	rcpt  func(to string) error
	data  func() error
	txns  []txn
	delay time.Duration // before answering DATA
	user  string        // AUTH PLAIN credentials required, if set
	pass  string
	// discard: count transactions without keeping them (benchmarks).
	discard bool
	count   int
}

func (r *remote) setRcpt(f func(string) error) { r.mu.Lock(); r.rcpt = f; r.mu.Unlock() }
func (r *remote) setData(f func() error)       { r.mu.Lock(); r.data = f; r.mu.Unlock() }

func (r *remote) transactions() []txn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]txn(nil), r.txns...)
}

func (r *remote) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &remoteSession{r: r, c: c}, nil
}

type remoteSession struct {
	r    *remote
	c    *smtp.Conn
	cur  txn
	user string
}

func (s *remoteSession) Reset()        { s.cur = txn{} }
func (s *remoteSession) Logout() error { return nil }
func (s *remoteSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.r.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = txn{from: from}
	if opts != nil {
		s.cur.mailOpts = *opts
	}
	return nil
}
func (s *remoteSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.r.mu.Lock()
	f := s.r.rcpt
	s.r.mu.Unlock()
	if f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	s.cur.to = append(s.cur.to, to)
	if opts != nil {
		s.cur.rcptOpts = append(s.cur.rcptOpts, *opts)
	} else {
		s.cur.rcptOpts = append(s.cur.rcptOpts, smtp.RcptOptions{})
	}
	return nil
}
func (s *remoteSession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	f, delay := s.r.data, s.r.delay
	s.r.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if f != nil {
		if err := f(); err != nil {
			return err
		}
	}
	s.cur.data = b
	_, s.cur.tls = s.c.TLSConnectionState()
	s.cur.authUser = s.user
	s.r.mu.Lock()
	s.r.count++
	if !s.r.discard {
		s.r.txns = append(s.r.txns, s.cur)
	}
	s.r.mu.Unlock()
	return nil
}
func (s *remoteSession) AuthMechanisms() []string {
	if s.r.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}
func (s *remoteSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.r.user || password != s.r.pass {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

// remoteOpts configure startRemotes.
type remoteOpts struct {
	tls      *tls.Config // offer STARTTLS
	implicit bool        // TLS from the first byte instead
	dsn      bool
	utf8     bool
	maxRcpt  int
}

// startRemotes starts one remote server per loopback IP, all on the same
// port (MX records carry no port), and returns them with the port.
func startRemotes(t testing.TB, o remoteOpts, ips ...string) ([]*remote, int) {
	t.Helper()
	for try := 0; try < 20; try++ {
		var rs []*remote
		port := 0
		failed := false
		for _, ip := range ips {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
			if err != nil {
				failed = true
				break
			}
			port = ln.Addr().(*net.TCPAddr).Port
			r := &remote{ip: ip, ln: ln}
			srv := smtp.NewServer(r)
			srv.Domain = "remote-" + ip
			srv.EnableDSN, srv.EnableSMTPUTF8 = o.dsn, o.utf8
			srv.MaxRecipients = o.maxRcpt
			srv.AllowInsecureAuth = false
			if o.implicit {
				ln = tls.NewListener(ln, o.tls)
				r.ln = ln
			} else {
				srv.TLSConfig = o.tls
			}
			r.srv = srv
			rs = append(rs, r)
		}
		if failed {
			for _, r := range rs {
				r.ln.Close()
			}
			continue
		}
		for _, r := range rs {
			go r.srv.Serve(r.ln)
			t.Cleanup(func() { r.srv.Close() })
		}
		return rs, port
	}
	t.Fatal("no common free port on the loopback addresses")
	return nil, 0
}

// startRemoteAt starts a server on ip:port (a host that comes back up).
func startRemoteAt(t testing.TB, ip string, port int) *remote {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		t.Fatal(err)
	}
	r := &remote{ip: ip, ln: ln}
	r.srv = smtp.NewServer(r)
	r.srv.Domain = "remote-" + ip
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// freePort returns a port with no listener on any of ips.
func freePort(t testing.TB, ips ...string) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// testCert returns a server config with a fresh self-signed certificate
// for the given names, and a pool that trusts it.
func testCert(t testing.TB, names ...string) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: names, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// env is a store with a local domain and user, and a fake DNS.
type testEnv struct {
	t     testing.TB
	path  string
	st    *store.Store
	dns   *fakeDNS
	alice *store.User
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	e := &testEnv{t: t, path: filepath.Join(t.TempDir(), "mail.db"), dns: newFakeDNS(t)}
	e.open()
	ctx := context.Background()
	if err := e.st.AddDomain(ctx, "local.test"); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.alice, err = e.st.AddUser(ctx, "alice@local.test", "pw"); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *testEnv) open() {
	st, err := store.Open(e.path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.t.Cleanup(func() { st.Close() })
}

// opts are test queue options: fake DNS, the remotes' port, short retries.
func (e *testEnv) opts(port int) Options {
	return Options{
		Hostname: "mx.local.test", Logger: testLogger(e.t), Resolver: e.dns.resolver(),
		RemotePort: port, RetryInitial: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		ConnectTimeout: 2 * time.Second, IdleTimeout: 200 * time.Millisecond,
	}
}

// run starts q's scheduler until the test ends.
func run(t testing.TB, q *Queue) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// submit queues a message from alice (or from) to rcpts.
func submit(t testing.TB, q *Queue, from string, body string, rcpts ...string) *Result {
	t.Helper()
	env := &Envelope{From: from}
	for _, r := range rcpts {
		env.Recipients = append(env.Recipients, Recipient{Address: r})
	}
	res, err := q.Submit(context.Background(), env, store.NewBody([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// waitFor polls cond until it holds (10s at most).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// queueEmpty reports whether nothing is queued.
func queueEmpty(t testing.TB, st *store.Store) func() bool {
	return func() bool {
		l, err := st.QueueList(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(l) == 0
	}
}

// inbox returns the bodies in a user's INBOX.
func inbox(t testing.TB, st *store.Store, u *store.User) [][]byte {
	t.Helper()
	ctx := context.Background()
	mb, err := st.MailboxByName(ctx, u.ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := st.ReadBodyBytes(m.BodyID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// testLogger sends the queue's log lines to the test log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(b, "\n")))
	return len(b), nil
}

func smtpErr(code int, enh smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

func mustAddrPort(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return ap
}
