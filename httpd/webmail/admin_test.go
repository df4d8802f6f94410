package webmail

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// adminGETs are the admin pages (one of each handler reached by GET).
var adminGETs = []string{
	"/webmail/admin/",
	"/webmail/admin/domains",
	"/webmail/admin/domains/dns?domain=example.test",
	"/webmail/admin/users",
	"/webmail/admin/users/edit?address=bob@example.test",
	"/webmail/admin/aliases",
	"/webmail/admin/queue",
	"/webmail/admin/queue/1",
}

// adminPOSTs are the admin actions, each with a form that would change
// something (confirmed, so a missing refusal would show as a change).
var adminPOSTs = []struct {
	path string
	form url.Values
}{
	{"/webmail/admin/domains/add", form("name", "new.test")},
	{"/webmail/admin/domains/delete", form("name", "example.test", "confirm", "yes")},
	{"/webmail/admin/users/add", form("address", "eve@example.test", "password", "eve-pass-1234", "password2", "eve-pass-1234", "admin", "on")},
	{"/webmail/admin/users/password", form("address", "bob@example.test", "password", "taken-over-1", "password2", "taken-over-1")},
	{"/webmail/admin/users/quota", form("address", "bob@example.test", "quota_mb", "1")},
	{"/webmail/admin/users/admin", form("address", "bob@example.test", "admin", "on")},
	{"/webmail/admin/users/delete", form("address", "alice@example.test", "confirm", "yes")},
	{"/webmail/admin/aliases/add", form("address", "all@example.test", "targets", "bob@example.test")},
	{"/webmail/admin/aliases/delete", form("address", "info@example.test", "confirm", "yes")},
	{"/webmail/admin/queue/1/retry", nil},
	{"/webmail/admin/queue/retry-all", nil},
	{"/webmail/admin/queue/1/bounce", form("confirm", "yes")},
	{"/webmail/admin/queue/1/delete", form("confirm", "yes")},
}

// queueOne queues a message from alice to a remote recipient; its ID.
func queueOne(t *testing.T, ta *testAdmin, rcpt string) uint64 {
	t.Helper()
	res, err := ta.q.Submit(context.Background(), &queue.Envelope{From: "alice@example.test",
		Recipients: []queue.Recipient{{Address: rcpt}}},
		store.NewBody([]byte("From: alice@example.test\r\nTo: "+rcpt+"\r\nSubject: queued\r\n\r\nhello\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	return res.QueueID
}

// snapshot is what the admin actions could change, to compare before
// and after refused requests.
func snapshot(t *testing.T, e *testEnv, ta *testAdmin) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	domains, _ := ta.Domains(ctx)
	users, _ := ta.Users(ctx)
	aliases, _ := ta.Aliases(ctx)
	queued, _ := ta.QueueList(ctx)
	b.WriteString(strings.Join(domains, ","))
	for _, u := range users {
		b.WriteString(" " + u.Address)
		if u.Admin {
			b.WriteString("(admin)")
		}
		if u.User.Quota.MaxBytes != 0 {
			b.WriteString("(quota)")
		}
	}
	for _, a := range aliases {
		b.WriteString(" " + a.Address)
	}
	for _, m := range queued {
		for _, r := range m.Recipients {
			b.WriteString(" q:" + r.Address + ":" + string(r.State))
		}
	}
	if _, err := e.st.Authenticate(ctx, store.Login{Protocol: "webmail", Username: "bob@example.test", Password: testPassword}); err != nil {
		b.WriteString(" bob's password changed")
	}
	return b.String()
}

// TestAdminRefusesNonAdmin: a logged-in user who is not an
// administrator gets 403 from every admin page and action, changes
// nothing, and has no Admin link in the nav; the administrator has it.
func TestAdminRefusesNonAdmin(t *testing.T) {
	e, ta := newAdminEnv(t)
	if err := ta.AddAlias(context.Background(), "info@example.test", []string{"alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	queueOne(t, ta, "far@remote.test")
	before := snapshot(t, e, ta)
	bob := e.client().mustLogin("bob@example.test")
	if _, body := bob.get("/webmail/"); strings.Contains(body, `href="/webmail/admin/"`) {
		t.Fatal("a non-admin's nav links the admin pages")
	}
	for _, p := range adminGETs {
		resp, body := bob.get(p)
		wantStatus(t, "GET "+p+" as a non-admin", resp, body, http.StatusForbidden)
		if !strings.Contains(body, "Administrators only") || strings.Contains(body, `href="/webmail/admin/"`) {
			t.Fatalf("GET %s as a non-admin:\n%s", p, body)
		}
	}
	for _, p := range adminPOSTs {
		resp, body := bob.post(p.path, p.form)
		wantStatus(t, "POST "+p.path+" as a non-admin", resp, body, http.StatusForbidden)
	}
	if after := snapshot(t, e, ta); after != before {
		t.Fatalf("a non-admin changed things:\nbefore %s\nafter  %s", before, after)
	}
	alice := e.client().mustLogin("alice@example.test")
	if _, body := alice.get("/webmail/"); !strings.Contains(body, `href="/webmail/admin/"`) {
		t.Fatal("the administrator's nav does not link the admin pages")
	}
}

// TestAdminRefusesAnonymous: without a session, an admin page sends the
// browser to the login page and an action is refused with 401.
func TestAdminRefusesAnonymous(t *testing.T) {
	e, ta := newAdminEnv(t)
	queueOne(t, ta, "far@remote.test")
	before := snapshot(t, e, ta)
	anon := e.client()
	for _, p := range adminGETs {
		resp, body := anon.get(p)
		wantRedirect(t, "anonymous GET "+p, resp, body, "/webmail/login")
	}
	for _, p := range adminPOSTs {
		f := url.Values{"csrf": {"guessed"}}
		for k, v := range p.form {
			f[k] = v
		}
		resp, body := anon.post(p.path, f)
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
			t.Fatalf("anonymous POST %s: %s\n%s", p.path, resp.Status, body)
		}
	}
	if after := snapshot(t, e, ta); after != before {
		t.Fatalf("an anonymous client changed things:\nbefore %s\nafter  %s", before, after)
	}
}

// TestAdminRefusesMissingCSRF: the administrator's own session without
// the token, with a wrong one, from another origin, or by GET changes
// nothing.
func TestAdminRefusesMissingCSRF(t *testing.T) {
	e, ta := newAdminEnv(t)
	queueOne(t, ta, "far@remote.test")
	before := snapshot(t, e, ta)
	alice := e.client().mustLogin("alice@example.test")
	for _, p := range adminPOSTs {
		for _, token := range []string{"", "wrong"} {
			f := url.Values{"csrf": {token}}
			for k, v := range p.form {
				f[k] = v
			}
			resp, body := alice.post(p.path, f)
			wantStatus(t, "POST "+p.path+" with CSRF token "+token, resp, body, http.StatusForbidden)
		}
		// The right token from a foreign page.
		f := url.Values{"csrf": {alice.csrf}}
		for k, v := range p.form {
			f[k] = v
		}
		req, _ := http.NewRequest("POST", e.srv.URL+p.path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.test")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, body := alice.do(req)
		wantStatus(t, "cross-site POST "+p.path, resp, body, http.StatusForbidden)
		// A GET (a link, an image) changes nothing either.
		// (405; retry-all reads as the page of queue ID "retry-all": 404.)
		resp, body = alice.get(p.path + "?" + f.Encode())
		if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %s, want 405\n%s", p.path, resp.Status, body)
		}
	}
	if after := snapshot(t, e, ta); after != before {
		t.Fatalf("requests without a valid CSRF token changed things:\nbefore %s\nafter  %s", before, after)
	}
}

// TestAdminFlagReadEveryRequest: taking the flag away (CLI, another
// administrator) refuses the next request of a session already open.
func TestAdminFlagReadEveryRequest(t *testing.T) {
	e, _ := newAdminEnv(t)
	alice := e.client().mustLogin("alice@example.test")
	resp, body := alice.get("/webmail/admin/")
	wantStatus(t, "admin overview", resp, body, http.StatusOK)
	if err := e.st.SetAdmin(context.Background(), "alice@example.test", false); err != nil {
		t.Fatal(err)
	}
	resp, body = alice.get("/webmail/admin/")
	wantStatus(t, "admin overview after the flag was taken away", resp, body, http.StatusForbidden)
}

// TestAdminPagesLabelled: every control of every admin page has a
// label, and the pages render for the administrator.
func TestAdminPagesLabelled(t *testing.T) {
	e, ta := newAdminEnv(t)
	if id := queueOne(t, ta, "far@remote.test"); id != 1 {
		t.Fatalf("queue ID %d, the pages list assumes 1", id)
	}
	alice := e.client().mustLogin("alice@example.test")
	for _, p := range adminGETs {
		resp, body := alice.get(p)
		wantStatus(t, "GET "+p, resp, body, http.StatusOK)
		if u := unlabelled(t, body); len(u) > 0 {
			t.Errorf("%s: controls without a label: %v", p, u)
		}
		if !strings.Contains(body, `aria-current="page">Admin`) {
			t.Errorf("%s: the nav does not mark Admin as current", p)
		}
	}
	// The confirmation pages too.
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/webmail/admin/domains/delete", form("name", "example.test")},
		{"/webmail/admin/users/delete", form("address", "bob@example.test")},
		{"/webmail/admin/queue/1/delete", nil},
	} {
		resp, body := alice.post(p.path, p.form)
		wantStatus(t, "POST "+p.path+" unconfirmed", resp, body, http.StatusOK)
		if u := unlabelled(t, body); len(u) > 0 || !strings.Contains(body, `id="admin-confirm-form"`) {
			t.Errorf("%s: confirmation page without its form, or controls without a label (%v)", p.path, u)
		}
	}
}
