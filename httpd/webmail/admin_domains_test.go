package webmail

import (
	"context"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestAdminDomains: add (with clear errors for a duplicate or an invalid
// name), refuse to delete a domain in use, delete after confirmation.
func TestAdminDomains(t *testing.T) {
	e, ta := newAdminEnv(t)
	ctx := context.Background()
	alice := e.client().mustLogin("alice@example.test")
	resp, body := alice.post("/webmail/admin/domains/add", form("name", " New.TEST "))
	loc := wantRedirect(t, "add domain", resp, body, "/webmail/admin/domains?")
	_, body = alice.get(loc)
	if !strings.Contains(body, "Added domain new.test.") || !strings.Contains(body, `data-domain="new.test"`) ||
		!strings.Contains(body, `href="/webmail/admin/domains/dns?domain=new.test"`) {
		t.Fatalf("domains page after adding:\n%s", body)
	}
	for _, c := range []struct {
		name, domain string
		code         int
		msg          string
	}{
		{"duplicate", "new.test", http.StatusConflict, "The domain new.test already exists."},
		{"invalid", "not a domain", http.StatusBadRequest, "is not a valid domain name"},
		{"empty", "", http.StatusBadRequest, "Enter the domain name"},
		{"too long", strings.Repeat("a", 300) + ".test", http.StatusBadRequest, "too long"},
	} {
		resp, body := alice.post("/webmail/admin/domains/add", form("name", c.domain))
		wantStatus(t, c.name, resp, body, c.code)
		if !strings.Contains(body, c.msg) {
			t.Errorf("%s: page lacks %q:\n%s", c.name, c.msg, body)
		}
	}
	resp, body = alice.post("/webmail/admin/domains/delete", form("name", "example.test", "confirm", "yes"))
	wantStatus(t, "delete a domain with users", resp, body, http.StatusConflict)
	if !strings.Contains(body, "still has users or aliases") {
		t.Fatalf("domain in use:\n%s", body)
	}
	resp, body = alice.post("/webmail/admin/domains/delete", form("name", "new.test"))
	wantStatus(t, "unconfirmed delete", resp, body, http.StatusOK)
	if !strings.Contains(body, "Delete the domain new.test?") {
		t.Fatalf("confirmation page:\n%s", body)
	}
	if d, _ := ta.Domains(ctx); !slices.Contains(d, "new.test") {
		t.Fatal("an unconfirmed delete deleted the domain")
	}
	resp, body = alice.post("/webmail/admin/domains/delete", form("name", "new.test", "confirm", "yes"))
	wantRedirect(t, "confirmed delete", resp, body, "/webmail/admin/domains?")
	if d, _ := ta.Domains(ctx); slices.Contains(d, "new.test") {
		t.Fatal("new.test still a domain")
	}
	resp, body = alice.post("/webmail/admin/domains/delete", form("name", "new.test", "confirm", "yes"))
	wantStatus(t, "delete again", resp, body, http.StatusNotFound)
}

// TestAdminDNSPage: the records page shows the domain's DKIM TXT records
// (the public keys the store made with the domain), the zone-file text,
// and, checked, each record's status.
func TestAdminDNSPage(t *testing.T) {
	e, _ := newAdminEnv(t)
	alice := e.client().mustLogin("alice@example.test")
	keys, err := e.st.DKIMKeys(context.Background(), "example.test")
	if err != nil || len(keys) == 0 {
		t.Fatalf("DKIM keys: %v %v", keys, err)
	}
	resp, body := alice.get("/webmail/admin/domains/dns?domain=example.test")
	wantStatus(t, "DNS page", resp, body, http.StatusOK)
	text := html.UnescapeString(body)
	for _, k := range keys {
		if !strings.Contains(body, `data-kind="DKIM" data-name="`+k.DNSName()+`."`) || !strings.Contains(text, k.DNSRecord()) {
			t.Errorf("DNS page lacks the DKIM record of %s:\n%s", k.Selector, body)
		}
	}
	if !strings.Contains(body, `id="admin-dns-zone"`) || strings.Contains(body, "data-status=") {
		t.Fatalf("unchecked DNS page:\n%s", body)
	}
	_, body = alice.get("/webmail/admin/domains/dns?domain=example.test&check=1")
	if !strings.Contains(body, `data-status="missing"`) || !strings.Contains(body, "are missing or different") {
		t.Fatalf("checked DNS page:\n%s", body)
	}
	resp, body = alice.get("/webmail/admin/domains/dns?domain=elsewhere.test")
	wantStatus(t, "DNS page of a non-local domain", resp, body, http.StatusNotFound)
}

// TestAdminAliases: add (targets by comma or line), refuse bad input,
// delete after confirmation.
func TestAdminAliases(t *testing.T) {
	e, ta := newAdminEnv(t)
	ctx := context.Background()
	alice := e.client().mustLogin("alice@example.test")
	resp, body := alice.post("/webmail/admin/aliases/add", form("address", "team@example.test", "targets", "alice@example.test,\r\nbob@example.test far@remote.test"))
	loc := wantRedirect(t, "add alias", resp, body, "/webmail/admin/aliases?")
	if _, body := alice.get(loc); !strings.Contains(body, "Saved alias team@example.test.") ||
		!strings.Contains(body, "alice@example.test, bob@example.test, far@remote.test") {
		t.Fatalf("aliases page:\n%s", body)
	}
	resp, body = alice.post("/webmail/admin/aliases/add", form("address", "@example.test", "targets", "alice@example.test"))
	wantRedirect(t, "catch-all", resp, body, "/webmail/admin/aliases?")
	for _, c := range []struct {
		name, address, targets string
		code                   int
		msg                    string
	}{
		{"no targets", "x@example.test", " , ", http.StatusBadRequest, "at least one target"},
		{"bad target", "x@example.test", "alice@example.test, nope", http.StatusBadRequest, "The target &#34;nope&#34; is not a valid e-mail address."},
		{"bad address", "x y", "alice@example.test", http.StatusBadRequest, "is not a valid e-mail address"},
		{"foreign domain", "x@remote.test", "alice@example.test", http.StatusBadRequest, "is not a local domain"},
		{"no address", "", "alice@example.test", http.StatusBadRequest, "Enter the alias address"},
	} {
		resp, body := alice.post("/webmail/admin/aliases/add", form("address", c.address, "targets", c.targets))
		wantStatus(t, c.name, resp, body, c.code)
		if !strings.Contains(body, c.msg) {
			t.Errorf("%s: page lacks %q:\n%s", c.name, c.msg, body)
		}
	}
	resp, body = alice.post("/webmail/admin/aliases/delete", form("address", "team@example.test"))
	wantStatus(t, "unconfirmed delete", resp, body, http.StatusOK)
	if a, _ := ta.Aliases(ctx); len(a) != 2 {
		t.Fatalf("aliases after unconfirmed delete: %+v", a)
	}
	resp, body = alice.post("/webmail/admin/aliases/delete", form("address", "team@example.test", "confirm", "yes"))
	wantRedirect(t, "confirmed delete", resp, body, "/webmail/admin/aliases?")
	if a, _ := ta.Aliases(ctx); len(a) != 1 || a[0].Address != "@example.test" {
		t.Fatalf("aliases after delete: %+v", a)
	}
	resp, body = alice.post("/webmail/admin/aliases/delete", form("address", "team@example.test", "confirm", "yes"))
	wantStatus(t, "delete again", resp, body, http.StatusNotFound)
}
