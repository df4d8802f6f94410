package main

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/imapd"
	"github.com/mailserver/mailserver/pop3d"
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/smtpd"
)

// TestConfigDomainsBeforeFirstStart: with domains = ["example.test"] in
// the config, every command that opens the database sees it before serve
// ever ran.
func TestConfigDomainsBeforeFirstStart(t *testing.T) {
	e := newTestEnv(t, offListeners, `domains = ["example.test"]`)
	out := e.mustRun(t, "pw\n", "user", "add", "alice@example.test", "--password-stdin")
	if !strings.Contains(out, "added user alice@example.test") {
		t.Fatalf("user add printed %q", out)
	}
	e.mustRun(t, "", "alias", "add", "info@example.test", "alice@example.test")
	if out := e.mustRun(t, "", "domain", "list"); strings.TrimSpace(out) != "example.test" {
		t.Fatalf("domain list:\n%s", out)
	}
	// Adding a domain the config lists already is not an error.
	if out := e.mustRun(t, "", "domain", "add", "example.test"); !strings.Contains(out, "already local") {
		t.Fatalf("domain add of a config domain printed %q", out)
	}
	// A domain that is not in the config still needs domain add.
	if r := e.run(t, "pw\n", "user", "add", "bob@other.test", "--password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "domain") {
		t.Fatalf("user add in an unknown domain: exit %d, %q", r.code, r.stderr)
	}
}

// TestPostmasterSetting: the postmaster key is read, validated and
// printed; serve warns at start-up when nobody receives postmaster mail,
// and names the address when someone does.
func TestPostmasterSetting(t *testing.T) {
	if r := newTestEnv(t, offListeners, `postmaster = "not an address"`).run(t, "", "config"); r.code != 1 || !strings.Contains(r.stderr, "postmaster:") {
		t.Fatalf("bad postmaster: exit %d, %q", r.code, r.stderr)
	}

	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"}, `domains = ["example.test"]`)
	if out := e.mustRun(t, "", "config"); !strings.Contains(out, `postmaster = ""`) {
		t.Fatalf("config does not print the postmaster key:\n%s", out)
	}
	s := e.start(t)
	if !strings.Contains(s.log.String(), "level=WARN msg=\"no postmaster") {
		t.Fatalf("no start-up warning without a postmaster:\n%s", s.log)
	}
	s.stop(t)

	// The first user created is the postmaster by default.
	e.mustRun(t, "pw\n", "user", "add", "alice@example.test", "--password-stdin")
	s = e.start(t)
	if log := s.log.String(); strings.Contains(log, "no postmaster") || !strings.Contains(log, "msg=postmaster address=alice@example.test") {
		t.Fatalf("start-up log with a user:\n%s", log)
	}
	s.stop(t)

	e2 := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"}, `domains = ["example.test"]
postmaster = "pm@example.test"`)
	if out := e2.mustRun(t, "", "config"); !strings.Contains(out, `postmaster = "pm@example.test"`) {
		t.Fatalf("config:\n%s", out)
	}
	s = e2.start(t)
	if !strings.Contains(s.log.String(), "msg=postmaster address=pm@example.test") {
		t.Fatalf("start-up log with postmaster set:\n%s", s.log)
	}
	s.stop(t)
}

// TestDefaultsFromPackages: every embedded default a package also has is
// that package's constant (one source for each default), with the values
// chosen for issue 10.
func TestDefaultsFromPackages(t *testing.T) {
	c := defaultConfig()
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"delivery.concurrency", c.Delivery.Concurrency, queue.DefaultConcurrency},
		{"delivery.per_domain_concurrency", c.Delivery.PerDomainConcurrency, queue.DefaultPerDomainConcurrency},
		{"delivery.retry_initial", c.Delivery.RetryInitial.Duration, queue.DefaultRetryInitial},
		{"delivery.retry_max", c.Delivery.RetryMax.Duration, queue.DefaultRetryMax},
		{"delivery.lifetime", c.Delivery.Lifetime.Duration, queue.DefaultLifetime},
		{"delivery.delay_warning", c.Delivery.DelayWarning.Duration, queue.DefaultDelayWarning},
		{"delivery.remote_port", c.Delivery.RemotePort, queue.DefaultRemotePort},
		{"smtp.max_message_bytes", c.SMTP.MaxMessageBytes, int64(smtpd.DefaultMaxMessageBytes)},
		{"smtp.max_recipients", c.SMTP.MaxRecipients, smtpd.DefaultMaxRecipients},
		{"smtp.max_line_length", c.SMTP.MaxLineLength, smtpd.DefaultMaxLineLength},
		{"smtp.max_connections", c.SMTP.MaxConnections, smtpd.DefaultMaxConnections},
		{"smtp.max_connections_per_ip", c.SMTP.MaxConnectionsPerIP, smtpd.DefaultMaxConnectionsPerIP},
		{"smtp.read_timeout", c.SMTP.ReadTimeout.Duration, smtpd.DefaultReadTimeout},
		{"smtp.data_timeout", c.SMTP.DataTimeout.Duration, smtpd.DefaultDataTimeout},
		{"pop3.max_connections", c.POP3.MaxConnections, pop3d.DefaultMaxConnections},
		{"imap.max_connections", c.IMAP.MaxConnections, imapd.DefaultMaxConnections},
		{"imap.max_connections_per_user", c.IMAP.MaxConnectionsPerUser, imapd.DefaultMaxConnectionsPerUser},
		// The values themselves: Postfix's destination concurrency (20)
		// and client connection count limit (50).
		{"delivery.concurrency value", c.Delivery.Concurrency, 32},
		{"delivery.per_domain_concurrency value", c.Delivery.PerDomainConcurrency, 20},
		{"smtp.max_connections_per_ip value", c.SMTP.MaxConnectionsPerIP, 50},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: config default %v, package default %v", tc.key, tc.got, tc.want)
		}
	}
}

// TestSIGTERMFinishesDelivery: SIGTERM while a remote is slow to answer
// the final dot of DATA lets that delivery finish: the remote gets the
// message once, serve logs status=sent and stops cleanly, and nothing is
// left in the queue.
func TestSIGTERMFinishesDelivery(t *testing.T) {
	dnsAddr := startTestDNS(t, map[string]string{
		"remote.test.":    "MX 10 mx.remote.test.",
		"mx.remote.test.": "A 127.0.0.13",
	})
	ln, err := net.Listen("tcp", "127.0.0.13:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}, 4), make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	got := make(chan string, 4)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &slowSession{entered: entered, release: release, got: got}, nil
	}))
	srv.Domain = "mx.remote.test"
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"}, fmt.Sprintf(`domains = ["example.test"]
[smtp]
trusted_networks = ["127.0.0.0/8"]
[delivery]
resolver = %q
remote_port = %d
retry_initial = "1h"
retry_max = "1h"
`, dnsAddr, ln.Addr().(*net.TCPAddr).Port))
	s := e.start(t)
	py := fmt.Sprintf(`import smtplib
host, port = %q.rsplit(":", 1)
s = smtplib.SMTP(host, int(port))
s.sendmail("alice@example.test", ["bob@remote.test"], "From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: in flight\r\n\r\nhello\r\n")
s.quit()
`, s.addrs["smtp"])
	if out, err := exec.Command("python3", "-c", py).CombinedOutput(); err != nil {
		t.Fatalf("smtplib: %v\n%s\nserver log:\n%s", err, out, s.log)
	}
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatalf("the remote never got DATA:\n%s", s.log)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "shutdown to wait for the delivery", func() bool {
		return strings.Contains(s.log.String(), "waiting for deliveries in flight") || strings.Contains(s.log.String(), "status=deferred")
	})
	close(release)
	s.waitStopped(t)
	if !strings.Contains(s.log.String(), "status=sent") {
		t.Fatalf("the delivery in flight was not finished:\n%s", s.log)
	}
	if len(got) != 1 {
		t.Fatalf("remote got %d messages", len(got))
	}
	if out := e.mustRun(t, "", "queue", "list"); !strings.Contains(out, "queue is empty") {
		t.Fatalf("queue list after the shutdown:\n%s", out)
	}
}

type slowSession struct {
	entered chan<- struct{}
	release <-chan struct{}
	got     chan<- string
}

func (s *slowSession) Reset()                               {}
func (s *slowSession) Logout() error                        { return nil }
func (s *slowSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *slowSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *slowSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.entered <- struct{}{}
	<-s.release
	s.got <- string(b)
	return nil
}
