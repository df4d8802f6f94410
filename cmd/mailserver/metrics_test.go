package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mailserver/mailserver/httpd"
	"github.com/mailserver/mailserver/store"
)

// scrape fetches /metrics from addr over a real socket and parses it with
// Prometheus's own text parser.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics: Content-Type %q, want the text exposition", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// metricValue is the value of the series of name whose labels include
// labels ("k=v" pairs); ok false when there is none.
func metricValue(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
series:
	for _, m := range f.GetMetric() {
		for _, kv := range labels {
			k, v, _ := strings.Cut(kv, "=")
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// loginScript logs in over IMAP with Python's imaplib (a client nobody
// here wrote): once with the right password, then with a wrong one.
const loginScript = `
import imaplib, sys
addr, user, pw = sys.argv[1:4]
h, p = addr.rsplit(":", 1)
i = imaplib.IMAP4(h, int(p))
i.login(user, pw)
i.select("INBOX")
print("messages", i.select("INBOX")[1][0].decode())
i.logout()
i = imaplib.IMAP4(h, int(p))
try:
    i.login(user, "wrong-" + pw)
    print("wrong password accepted")
except imaplib.IMAP4.error:
    print("refused")
i.logout()
`

// TestMetricsMoveWithTraffic: over real sockets, an SMTP delivery (go-smtp's
// client), an IMAP login and a failed one (Python's imaplib) move the
// counters that /metrics shows, as parsed by Prometheus's text parser;
// /healthz says ok (checked with curl).
func TestMetricsMoveWithTraffic(t *testing.T) {
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0", "imap": "127.0.0.1:0", "metrics": "127.0.0.1:0"},
		`domains = ["example.test"]`)
	e.mustRun(t, "alice-secret\n", "user", "add", "alice@example.test", "--password-stdin")
	s := e.start(t)
	defer s.stop(t)
	maddr := s.addrs["metrics"]
	if maddr == "" {
		t.Fatalf("no metrics listener in the log:\n%s", s.log)
	}

	before := scrape(t, maddr)
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "mailserver_queue_messages",
		"mailserver_imap_sessions", "mailserver_pop3_sessions", "mailserver_dns_cache_hits_total",
		"mailserver_tls_certificate_expiry_timestamp_seconds"} {
		if before[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// The self-signed certificate every listener serves (GetCertificate).
	if v, ok := metricValue(before, "mailserver_tls_certificate_expiry_timestamp_seconds", "name=mail.example.test"); !ok || v < float64(time.Now().Unix()) {
		t.Errorf("certificate expiry of mail.example.test = %v, %v; want a time in the future", v, ok)
	}
	if v, ok := metricValue(before, "mailserver_listener_up", "listener=smtp"); !ok || v != 1 {
		t.Errorf("mailserver_listener_up{listener=smtp} = %v, %v; want 1", v, ok)
	}

	c, err := smtp.Dial(s.addrs["smtp"])
	if err != nil {
		t.Fatal(err)
	}
	msg := "From: <bob@remote.test>\r\nTo: <alice@example.test>\r\nSubject: counted\r\n\r\nHello\r\n"
	if err := c.SendMail("bob@remote.test", []string{"alice@example.test"}, strings.NewReader(msg)); err != nil {
		t.Fatalf("SMTP delivery: %v", err)
	}
	c.Close()

	out, err := exec.Command("python3", "-c", loginScript, s.addrs["imap"], "alice@example.test", "alice-secret").CombinedOutput()
	if err != nil {
		t.Fatalf("python3 (Debian package python3): %v\n%s\nserver log:\n%s", err, out, s.log)
	}
	if got := string(out); got != "messages 1\nrefused\n" {
		t.Fatalf("imaplib said %q\nserver log:\n%s", got, s.log)
	}

	after := scrape(t, maddr)
	moved := func(name string, want float64, labels ...string) {
		t.Helper()
		b, _ := metricValue(before, name, labels...)
		a, ok := metricValue(after, name, labels...)
		if !ok {
			t.Errorf("%s%v: no such series", name, labels)
			return
		}
		if a-b < want {
			t.Errorf("%s%v went from %v to %v, want +%v at least", name, labels, b, a, want)
		}
	}
	moved("mailserver_smtp_transactions_total", 1, "listener=smtp", "outcome=accepted", "class=2xx")
	moved("mailserver_smtp_messages_accepted_total", 1, "listener=smtp")
	moved("mailserver_smtp_accepted_bytes_total", float64(len(msg)), "listener=smtp")
	moved("mailserver_deliveries_total", 1, "status=sent", "destination=local")
	moved("mailserver_auth_failures_total", 1, "protocol=imap", "reason=password")
	moved("mailserver_connections_total", 1, "listener=smtp")
	moved("mailserver_connections_total", 2, "listener=imap")
	moved("mailserver_store_commit_batch_size", 1)
	moved("mailserver_store_commit_duration_seconds", 1)
	if v, _ := metricValue(after, "mailserver_auth_failures_total", "protocol=imap", "reason=unknown_user"); v != 0 {
		t.Errorf("a wrong password counted as an unknown user (%v)", v)
	}
	if v, _ := metricValue(after, "mailserver_smtp_transactions_total", "listener=smtp", "outcome=rejected", "class=5xx"); v != 0 {
		t.Errorf("rejected transactions: %v, want 0", v)
	}

	// curl, a client nobody here wrote, on the health check.
	out, err = exec.Command("curl", "-sS", "-i", "http://"+maddr+"/healthz").CombinedOutput()
	if err != nil {
		t.Fatalf("curl (Debian package curl): %v\n%s", err, out)
	}
	if !strings.HasPrefix(string(out), "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(string(out), "\r\n\r\nok\n") {
		t.Errorf("curl /healthz:\n%s", out)
	}
	resp, err := http.Get("http://" + maddr + "/anything-else")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /anything-else: %s, want 404", resp.Status)
	}
	// No series carries a user name, an address or an IP as a label.
	for name, f := range after {
		for _, m := range f.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v := lp.GetValue(); strings.Contains(v, "@") || strings.Contains(v, "alice") || net.ParseIP(v) != nil {
					t.Errorf("%s has label %s=%q", name, lp.GetName(), v)
				}
			}
		}
	}
}

// TestMetricsListenerDefaultsToLoopback: [listen] metrics is on by
// default, on a loopback address.
func TestMetricsListenerDefaultsToLoopback(t *testing.T) {
	addr := defaultConfig().Listen.Metrics
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("default [listen] metrics %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Fatalf("default [listen] metrics %q is not a loopback address", addr)
	}
}

// failingListener fails its first Accept with a permanent error, so the
// accept loop on it stops for good.
type failingListener struct{ net.Listener }

func (l failingListener) Accept() (net.Conn, error) {
	return nil, errors.New("accept: the listener broke")
}

// TestHealthzReportsStoreAndListeners: /healthz, served by the real
// handler over a real socket, is 200 while the store commits and every
// accept loop runs; 503 with a one-line reason once an accept loop has
// stopped for good, and once the store is closed.
func TestHealthzReportsStoreAndListeners(t *testing.T) {
	cfg := defaultConfig()
	m, err := newServerMetrics(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir()+"/mail.db", &store.Options{Metrics: m.store})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpd.NewServer(httpd.MetricsHandler(m.reg, m.health(st), nil), httpd.ServerOptions{})
	t.Cleanup(func() { srv.Close() })
	stop := make(chan struct{})
	metricsLoop := &acceptLoop{ln: ln, srv: srv, log: slog.New(slog.DiscardHandler), stop: stop, watch: m.watch("metrics")}
	loopDone := make(chan error, 1)
	go func() { loopDone <- metricsLoop.run() }()
	t.Cleanup(func() { close(stop); ln.Close(); <-loopDone })

	health := func() (int, string) {
		t.Helper()
		// Until the accept loop above has started, /healthz may say so;
		// the request itself is what starts it being served.
		resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := health(); code != 200 || body != "ok\n" {
		t.Fatalf("healthy server: %d %q", code, body)
	}

	// An SMTP listener whose accept loop stops for good.
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	broken := &acceptLoop{ln: failingListener{inner}, srv: nopConnServer{}, log: slog.New(slog.DiscardHandler), stop: stop, watch: m.watch("smtp")}
	if err := broken.run(); err == nil {
		t.Fatal("the broken listener's loop returned nil")
	}
	code, body := health()
	if code != http.StatusServiceUnavailable || body != "listener not accepting: smtp\n" {
		t.Fatalf("with a stopped listener: %d %q", code, body)
	}
	fams := scrape(t, ln.Addr().String())
	if v, ok := metricValue(fams, "mailserver_listener_up", "listener=smtp"); !ok || v != 0 {
		t.Errorf("mailserver_listener_up{listener=smtp} = %v, %v; want 0", v, ok)
	}
	broken.watch.started() // as if it ran again, to see the store's part alone

	if code, body := health(); code != 200 {
		t.Fatalf("listener back: %d %q", code, body)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, body = health()
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "store cannot commit: ") ||
		strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
		t.Fatalf("with the store closed: %d %q", code, body)
	}
	if !strings.Contains(body, store.ErrClosed.Error()) {
		t.Errorf("reason %q does not say the store is closed", body)
	}
}

type nopConnServer struct{}

func (nopConnServer) ServeConn(c net.Conn, _ bool) { c.Close() }

// TestConnectionsOpenCountsClose: the accept loop's wrapper counts a
// connection in when accepted and out at its first Close, and keeps the
// *net.TCPConn methods the services use.
func TestConnectionsOpenCountsClose(t *testing.T) {
	cfg := defaultConfig()
	m, err := newServerMetrics(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := m.watch("imap")
	a, b := tcpPair(t)
	defer b.Close()
	c := w.accepted(a)
	if _, ok := c.(syscall.Conn); !ok {
		t.Error("the wrapper lost SyscallConn (imapd's quick ACKs need it)")
	}
	if _, ok := c.(interface{ CloseWrite() error }); !ok {
		t.Error("the wrapper lost CloseWrite")
	}
	gauge := func() float64 {
		fams, err := m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == "mailserver_connections_open" {
				return f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no mailserver_connections_open")
		return 0
	}
	if g := gauge(); g != 1 {
		t.Fatalf("open after accept: %v, want 1", g)
	}
	c.Close()
	c.Close()
	if g := gauge(); g != 0 {
		t.Fatalf("open after two Closes: %v, want 0", g)
	}
}

func tcpPair(t *testing.T) (*net.TCPConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var d net.Dialer
	client, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return server.(*net.TCPConn), client
}

// nopConn is a connection that does nothing.
type nopConn struct{ net.Conn }

func (nopConn) Close() error { return nil }

// BenchmarkConnectionWatch is the cost the metrics add to accepting and
// closing one connection (the wrapper and two counters; a TCP connection
// takes the same path with a *net.TCPConn inside).
func BenchmarkConnectionWatch(b *testing.B) {
	cfg := defaultConfig()
	m, err := newServerMetrics(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	w := m.watch("smtp")
	b.ReportAllocs()
	for b.Loop() {
		w.accepted(nopConn{}).Close()
	}
}
