package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// TestWebmailAdminOperations: the webmail's Admin over a real store and
// queue does what the CLI does: users with usage and effective quota,
// the admin flag, aliases, queue actions, and the DNS records of a
// domain with their DKIM TXT records and, checked against a real name
// server, their status.
func TestWebmailAdminOperations(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), &store.Options{Logger: log, DefaultQuota: store.Quota{MaxBytes: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := queue.New(st, queue.Options{Hostname: "mail.example.test"}) // no scheduler: mail stays queued
	cfg := defaultConfig()
	cfg.Hostname = "mail.example.test"
	zone := &testZone{}
	cfg.DNS.Resolver = serveTestDNS(t, zone)
	w := newWebAdmin(&directAdmin{st: st, q: q}, &cfg)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.AddDomain(ctx, "example.test"))
	if err := w.AddDomain(ctx, "example.test"); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate domain: %v", err)
	}
	u, err := w.AddUser(ctx, "Alice@Example.test", "pw-alice", store.Quota{}, true)
	must(err)
	if u.Address != "alice@example.test" || !u.Admin {
		t.Fatalf("AddUser: %+v", u)
	}
	_, err = w.AddUser(ctx, "bob@example.test", "pw-bob", store.Quota{MaxBytes: 5000}, false)
	must(err)
	if _, err := w.AddUser(ctx, "bob@example.test", "pw", store.Quota{}, false); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	if _, err := w.AddUser(ctx, "not an address", "pw", store.Quota{}, false); !errors.Is(err, store.ErrInvalidAddress) {
		t.Fatalf("invalid address: %v", err)
	}
	res, err := q.Submit(ctx, &queue.Envelope{From: "alice@example.test",
		Recipients: []queue.Recipient{{Address: "bob@example.test"}, {Address: "far@remote.test"}}},
		store.NewBody([]byte("Subject: hi\r\n\r\nhello\r\n")))
	must(err)

	users, err := w.Users(ctx)
	must(err)
	if len(users) != 2 || !users[0].Admin || users[1].Admin {
		t.Fatalf("Users: %+v", users)
	}
	bob := users[1]
	if bob.Usage.Messages != 1 || bob.Usage.Bytes == 0 || bob.Effective.MaxBytes != 5000 || users[0].Effective.MaxBytes != 1<<20 {
		t.Fatalf("bob's usage and quotas: %+v; alice's effective quota %+v", bob, users[0].Effective)
	}
	must(w.SetQuota(ctx, "bob@example.test", store.Quota{}))
	must(w.SetAdmin(ctx, "bob@example.test", true))
	if b, err := w.User(ctx, "bob@example.test"); err != nil || !b.Admin || b.Quota != (store.Quota{}) {
		t.Fatalf("bob after SetQuota and SetAdmin: %+v %v", b, err)
	}
	must(w.SetPassword(ctx, "bob@example.test", "new-pw"))
	if _, err := st.Authenticate(ctx, store.Login{Protocol: "webmail", Username: "bob@example.test", Password: "new-pw"}); err != nil {
		t.Fatalf("new password: %v", err)
	}

	must(w.AddAlias(ctx, "info@example.test", []string{"alice@example.test", "bob@example.test"}))
	aliases, err := w.Aliases(ctx)
	must(err)
	if len(aliases) != 1 || aliases[0].Address != "info@example.test" || len(aliases[0].Targets) != 2 {
		t.Fatalf("aliases: %+v", aliases)
	}
	must(w.DeleteAlias(ctx, "info@example.test"))

	list, err := w.QueueList(ctx)
	must(err)
	if len(list) != 1 || list[0].ID != res.QueueID {
		t.Fatalf("queue: %+v", list)
	}
	must(w.QueueRetry(ctx, res.QueueID))
	m, err := w.QueueShow(ctx, res.QueueID)
	must(err)
	if m.Recipients[0].Address != "far@remote.test" {
		t.Fatalf("queued recipients: %+v", m.Recipients)
	}
	hdr, err := w.QueueHeader(ctx, res.QueueID)
	must(err)
	if string(hdr) != "Subject: hi\r\n" {
		t.Fatalf("QueueHeader: %q", hdr)
	}
	must(w.QueueBounce(ctx, res.QueueID))
	if m, err := w.QueueShow(ctx, res.QueueID); err == nil && m.Recipients[0].State.Pending() {
		t.Fatalf("still pending after bounce: %+v", m.Recipients)
	}
	if _, err := w.QueueShow(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("show of a missing message: %v", err)
	}
	if err := w.QueueDelete(ctx, 999); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete of a missing message: %v", err)
	}

	// DNS: the records, then a check where only the DKIM keys are
	// published.
	if _, err := w.DNSRecords(ctx, "other.test", false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("records of a non-local domain: %v", err)
	}
	keys, err := st.DKIMKeys(ctx, "example.test")
	must(err)
	if len(keys) == 0 {
		t.Fatal("no DKIM keys for a new domain")
	}
	recs, err := w.DNSRecords(ctx, "Example.TEST", false)
	must(err)
	var published []dns.RR
	dkim := 0
	for _, r := range recs {
		if r.Status != "" {
			t.Fatalf("unchecked record with a status: %+v", r)
		}
		if r.Kind == kindMX && (r.Name != "example.test." || r.Value != "10 mail.example.test.") {
			t.Fatalf("MX record %+v", r)
		}
		if r.Kind != kindDKIM {
			continue
		}
		dkim++
		if r.Type != "TXT" || !strings.Contains(r.Value, "p=") || !strings.HasPrefix(r.Zone, r.Name) {
			t.Fatalf("DKIM record %+v", r)
		}
		rr, err := dns.NewRR(r.Zone)
		must(err)
		published = append(published, rr)
	}
	if dkim != len(keys) {
		t.Fatalf("%d DKIM records for %d keys", dkim, len(keys))
	}
	zone.set(published)
	checked, err := w.DNSRecords(ctx, "example.test", true)
	must(err)
	for _, r := range checked {
		want := "missing"
		if r.Kind == kindDKIM {
			want = "OK"
		}
		if r.Status != want {
			t.Errorf("%s %s: status %q (found %q), want %q", r.Kind, r.Name, r.Status, r.Found, want)
		}
	}

	must(w.DeleteUser(ctx, "bob@example.test"))
	if _, err := w.User(ctx, "bob@example.test"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
	if err := w.DeleteDomain(ctx, "example.test"); !errors.Is(err, store.ErrDomainInUse) {
		t.Fatalf("delete of a domain in use: %v", err)
	}
	domains, err := w.Domains(ctx)
	must(err)
	if len(domains) != 1 || domains[0] != "example.test" {
		t.Fatalf("domains %v", domains)
	}
}

func TestReadHeaderSection(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", "A: 1\r\nB: 2\r\n"},
		{"A: 1\nB: 2\n\nbody", "A: 1\nB: 2\n"},
		{"A: 1\r\n", "A: 1\r\n"},
		{"A: " + strings.Repeat("x", 100), "A: " + strings.Repeat("x", 17)},
	} {
		got, err := readHeaderSection(strings.NewReader(c.in), 20)
		if err != nil || string(got) != c.want {
			t.Errorf("readHeaderSection(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
