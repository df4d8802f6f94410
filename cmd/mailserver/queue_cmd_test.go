package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// TestQueueAdminRoundTrip runs every queue operation through a real admin
// socket against a real store and queue.
func TestQueueAdminRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(filepath.Join(dir, "mail.db"), &store.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	alice, err := st.AddUser(ctx, "alice@example.test", "pw")
	if err != nil {
		t.Fatal(err)
	}
	q := queue.New(st, queue.Options{Hostname: "mail.example.test"}) // no scheduler: mail stays queued
	var ids []uint64
	for i := range 3 {
		res, err := q.Submit(ctx, &queue.Envelope{From: "alice@example.test",
			Recipients: []queue.Recipient{{Address: fmt.Sprintf("r%d@remote.test", i)}}},
			store.NewBody([]byte("Subject: queued\r\n\r\nhi\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.QueueID)
	}

	sock := filepath.Join(dir, adminSocketFile)
	srv, err := listenAdmin(sock, adminHandler(&directAdmin{st: st, q: q}, log), log)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Shutdown(ctx)
	var c admin = newAdminClient(sock)
	defer c.Close()

	list, err := c.QueueList(ctx)
	if err != nil || len(list) != 3 || list[0].Recipients[0].Address != "r0@remote.test" {
		t.Fatalf("list: %v %+v", err, list)
	}
	var out bytes.Buffer
	if err := writeQueueList(&out, list, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "r2@remote.test") || !strings.Contains(out.String(), "3 messages, 3 recipients pending") {
		t.Fatalf("queue list output:\n%s", out.String())
	}
	m, err := c.QueueShow(ctx, ids[1])
	if err != nil || m.Sender != "alice@example.test" || m.Recipients[0].State != store.RcptQueued {
		t.Fatalf("show: %v %+v", err, m)
	}
	if _, err := c.QueueShow(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("show of a missing ID: %v, want ErrNotFound", err)
	}
	if n, err := c.QueueRetry(ctx, ids[0], false); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if n, err := c.QueueRetry(ctx, 0, true); err != nil || n != 3 {
		t.Fatalf("retry --all: %d %v", n, err)
	}
	if err := c.QueueDelete(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := c.QueueDelete(ctx, ids[2]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if err := c.QueueBounce(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.QueueList(ctx); len(list) != 1 || list[0].ID != ids[0] {
		t.Fatalf("after delete and bounce: %+v", list)
	}
	// The bounce's DSN is in alice's INBOX.
	mb, _ := st.MailboxByName(ctx, alice.ID, "INBOX")
	if mb.Messages != 1 {
		t.Fatalf("alice has %d messages after the bounce, want the DSN", mb.Messages)
	}
}

// TestQueueCommandsOnRunningServer: mail relayed through the running
// binary to a remote that is down is deferred and shown by "queue list";
// once the remote is up, "queue retry" delivers it at once. "queue show",
// "queue bounce" and "queue delete" work through the socket too.
func TestQueueCommandsOnRunningServer(t *testing.T) {
	dnsAddr := startTestDNS(t, map[string]string{
		"remote.test.":    "MX 10 mx.remote.test.",
		"mx.remote.test.": "A 127.0.0.12",
	})
	// A port with nothing behind it on 127.0.0.12 (yet).
	probe, err := net.Listen("tcp", "127.0.0.12:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"}, fmt.Sprintf(`domains = ["example.test"]
[smtp]
trusted_networks = ["127.0.0.0/8"]
[delivery]
resolver = %q
remote_port = %d
retry_initial = "1h"
retry_max = "1h"
`, dnsAddr, port))
	e.mustRun(t, "", "domain", "add", "example.test")
	e.mustRun(t, "pw\n", "user", "add", "alice@example.test", "--password-stdin")
	s := e.start(t)

	// Two messages through the server's SMTP listener, with Python's smtplib.
	for _, subject := range []string{"first", "second"} {
		py := fmt.Sprintf(`import smtplib
host, port = %q.rsplit(":", 1)
s = smtplib.SMTP(host, int(port))
s.sendmail("alice@example.test", ["bob@remote.test"], "From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: %s\r\n\r\nhello\r\n")
s.quit()
`, s.addrs["smtp"], subject)
		if out, err := exec.Command("python3", "-c", py).CombinedOutput(); err != nil {
			t.Fatalf("smtplib: %v\n%s\nserver log:\n%s", err, out, s.log)
		}
	}
	var list string
	waitUntil(t, "two deferrals in queue list", func() bool {
		list = e.mustRun(t, "", "queue", "list")
		return strings.Count(list, "deferred") == 2
	})
	if !strings.Contains(list, "bob@remote.test") || !strings.Contains(list, "refused") || !strings.Contains(list, "bob@remote.test: deferred (1 attempt, next in ") {
		t.Fatalf("queue list:\n%s", list)
	}
	t.Logf("queue list:\n%s", list)
	ids := regexp.MustCompile(`(?m)^(\d+) +\S+ +\d+  \S+$`).FindAllStringSubmatch(list, -1)
	if len(ids) != 2 {
		t.Fatalf("queue list IDs %v:\n%s", ids, list)
	}
	show := e.mustRun(t, "", "queue", "show", ids[0][1])
	if !strings.Contains(show, "sender: alice@example.test") || !strings.Contains(show, "state: deferred") || !strings.Contains(show, "attempts: 1") {
		t.Fatalf("queue show:\n%s", show)
	}

	// The remote comes up; "queue retry" sends the first one now.
	got := make(chan string, 4)
	startTestRemote(t, fmt.Sprintf("127.0.0.12:%d", port), got)
	if out := e.mustRun(t, "", "queue", "retry", ids[0][1]); !strings.Contains(out, "retrying message") {
		t.Fatalf("queue retry printed %q", out)
	}
	select {
	case data := <-got:
		if !strings.Contains(data, "Subject: first") {
			t.Fatalf("delivered %q", data)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("not delivered after queue retry; server log:\n%s", s.log)
	}
	waitUntil(t, "one message left", func() bool {
		return strings.Contains(e.mustRun(t, "", "queue", "list"), "1 messages, 1 recipients pending")
	})
	e.mustRun(t, "", "queue", "bounce", ids[1][1])
	if out := e.mustRun(t, "", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Fatalf("queue list after bounce:\n%s", out)
	}
	if r := e.run(t, "", "queue", "delete", ids[1][1]); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("delete of a gone message: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run(t, "", "queue", "retry"); r.code != 2 {
		t.Fatalf("queue retry without ID: exit %d", r.code)
	}
	if !strings.Contains(s.log.String(), "status=sent") || !strings.Contains(s.log.String(), "op="+pathQueueRetry) {
		t.Fatalf("server log lacks the delivery or the admin call:\n%s", s.log)
	}
	s.stop(t)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startTestDNS serves name → record (zone file syntax after the name) on
// 127.0.0.1, UDP and TCP, and returns its address.
func startTestDNS(t *testing.T, zone map[string]string) string {
	t.Helper()
	rrs := map[string][]dns.RR{}
	for name, rec := range zone {
		rr, err := dns.NewRR(name + " 60 IN " + rec)
		if err != nil {
			t.Fatal(err)
		}
		rrs[name] = append(rrs[name], rr)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		list, ok := rrs[strings.ToLower(q.Name)]
		for _, rr := range list {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
		if !ok {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	return serveTestDNS(t, h)
}

// serveTestDNS serves h over UDP and TCP on one loopback port and returns
// the address.
func serveTestDNS(t *testing.T, h dns.Handler) string {
	t.Helper()
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ln == nil; try++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close() // the TCP port is taken: another pair
			if try == 20 {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	us := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: wg.Done}
	ts := &dns.Server{Listener: ln, Handler: h, NotifyStartedFunc: wg.Done}
	go us.ActivateAndServe()
	go ts.ActivateAndServe()
	wg.Wait()
	t.Cleanup(func() { us.Shutdown(); ts.Shutdown() })
	return pc.LocalAddr().String()
}

// startTestRemote runs a go-smtp server at addr that sends each message
// it accepts to got.
func startTestRemote(t *testing.T, addr string, got chan<- string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{got: got}, nil }))
	srv.Domain = "mx.remote.test"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

type sinkSession struct{ got chan<- string }

func (s *sinkSession) Reset()                               {}
func (s *sinkSession) Logout() error                        { return nil }
func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err == nil {
		s.got <- string(b)
	}
	return err
}
