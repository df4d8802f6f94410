package webmail

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// TestAdminAddUser: a user added through the page is listed, can log in
// with the password given, and has the quota and role chosen; bad input
// gets a clear message, status and the form back (without the password).
func TestAdminAddUser(t *testing.T) {
	e, _ := newAdminEnv(t)
	alice := e.client().mustLogin("alice@example.test")
	resp, body := alice.post("/webmail/admin/users/add", form("address", "Carol@Example.test",
		"password", "carol-pass-123", "password2", "carol-pass-123", "quota_mb", "5", "quota_messages", "100", "admin", "on"))
	loc := wantRedirect(t, "add user", resp, body, "/webmail/admin/users?")
	resp, body = alice.get(loc)
	wantStatus(t, "users page", resp, body, http.StatusOK)
	if !strings.Contains(body, "Added user carol@example.test.") || !strings.Contains(body, `data-address="carol@example.test"`) {
		t.Fatalf("users page after adding carol:\n%s", body)
	}
	carol := e.user("carol@example.test")
	if carol == nil || !carol.Admin || carol.Quota != (store.Quota{MaxBytes: 5 * megabyte, MaxMessages: 100}) {
		t.Fatalf("carol in the store: %+v", carol)
	}
	if !strings.Contains(body, "5.0 MB, at most 100 messages") {
		t.Fatalf("users page does not show carol's quota:\n%s", body)
	}
	if resp := e.client().login("carol@example.test", "carol-pass-123"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("carol cannot log in: %s", resp.Status)
	}

	for _, c := range []struct {
		name string
		form url.Values
		code int
		msg  string
	}{
		{"duplicate", form("address", "carol@example.test", "password", "another-pw-9", "password2", "another-pw-9"),
			http.StatusConflict, "The user carol@example.test already exists."},
		{"invalid address", form("address", "not an address", "password", "another-pw-9", "password2", "another-pw-9"),
			http.StatusBadRequest, "is not a valid e-mail address"},
		{"no address", form("address", "", "password", "another-pw-9", "password2", "another-pw-9"),
			http.StatusBadRequest, "Enter the new user&#39;s e-mail address."},
		{"unknown domain", form("address", "dave@nowhere.test", "password", "another-pw-9", "password2", "another-pw-9"),
			http.StatusBadRequest, "is not a local domain: add the domain first"},
		{"empty password", form("address", "dave@example.test", "password", "", "password2", ""),
			http.StatusBadRequest, "Enter a password."},
		{"short password", form("address", "dave@example.test", "password", "abc12", "password2", "abc12"),
			http.StatusBadRequest, "too short"},
		{"common password", form("address", "dave@example.test", "password", "Password123", "password2", "Password123"),
			http.StatusBadRequest, "one of the most used passwords"},
		{"password is the address", form("address", "dave@example.test", "password", "dave@example.test", "password2", "dave@example.test"),
			http.StatusBadRequest, "must not be the address"},
		{"passwords differ", form("address", "dave@example.test", "password", "dave-pass-123", "password2", "dave-pass-124"),
			http.StatusBadRequest, "do not match"},
		{"bad quota", form("address", "dave@example.test", "password", "dave-pass-123", "password2", "dave-pass-123", "quota_mb", "-1"),
			http.StatusBadRequest, "must be a whole number"},
	} {
		resp, body := alice.post("/webmail/admin/users/add", c.form)
		wantStatus(t, c.name, resp, body, c.code)
		if !strings.Contains(body, c.msg) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: page lacks %q in an alert:\n%s", c.name, c.msg, body)
		}
		if a := c.form.Get("address"); a != "" && !strings.Contains(body, `value="`+a+`"`) {
			t.Errorf("%s: the form lost the address typed", c.name)
		}
		if p := c.form.Get("password"); len(p) > 3 && strings.Contains(body, p) && p != c.form.Get("address") {
			t.Errorf("%s: the page shows the password", c.name)
		}
	}
	if e.user("dave@example.test") != nil {
		t.Fatal("a refused add created the user")
	}
}

// TestAdminResetPassword: the new password works, the old one does not,
// the user's webmail sessions end; a weak one is refused.
func TestAdminResetPassword(t *testing.T) {
	e, _ := newAdminEnv(t)
	alice := e.client().mustLogin("alice@example.test")
	bob := e.client().mustLogin("bob@example.test")
	resp, body := alice.post("/webmail/admin/users/password", form("address", "bob@example.test", "password", "short", "password2", "short"))
	wantStatus(t, "weak password", resp, body, http.StatusBadRequest)
	if !strings.Contains(body, "too short") {
		t.Fatalf("weak password page:\n%s", body)
	}
	resp, body = alice.post("/webmail/admin/users/password", form("address", "bob@example.test", "password", "bobs-new-secret", "password2", "bobs-new-secret"))
	loc := wantRedirect(t, "reset password", resp, body, "/webmail/admin/users/edit?")
	if _, body := alice.get(loc); !strings.Contains(body, "Changed the password of bob@example.test") {
		t.Fatalf("user page after the reset:\n%s", body)
	}
	if resp, _ := bob.get("/webmail/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's session after the reset: %s, want the login page", resp.Status)
	}
	if resp := e.client().login("bob@example.test", testPassword); resp.StatusCode == http.StatusSeeOther {
		t.Fatal("the old password still logs in")
	}
	if resp := e.client().login("bob@example.test", "bobs-new-secret"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the new password: %s", resp.Status)
	}
	// The administrator's own reset keeps the session it is done from.
	resp, body = alice.post("/webmail/admin/users/password", form("address", "alice@example.test", "password", "alices-new-secret", "password2", "alices-new-secret"))
	wantRedirect(t, "own password", resp, body, "/webmail/admin/users/edit?")
	if resp, body := alice.get("/webmail/admin/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("own session after own reset: %s\n%s", resp.Status, body)
	}
	resp, body = alice.post("/webmail/admin/users/password", form("address", "nobody@example.test", "password", "whatever-123", "password2", "whatever-123"))
	wantStatus(t, "reset of a missing user", resp, body, http.StatusNotFound)
}

// TestAdminQuotaAndFlag: setting a quota, back to the default, and
// giving and taking the administrator right; one's own right and account
// cannot be taken from one's own session.
func TestAdminQuotaAndFlag(t *testing.T) {
	e, _ := newAdminEnv(t)
	alice := e.client().mustLogin("alice@example.test")
	resp, body := alice.post("/webmail/admin/users/quota", form("address", "bob@example.test", "quota_mb", "2", "quota_messages", ""))
	wantRedirect(t, "set quota", resp, body, "/webmail/admin/users/edit?")
	if u := e.user("bob@example.test"); u.Quota != (store.Quota{MaxBytes: 2 * megabyte}) {
		t.Fatalf("bob's quota %+v", u.Quota)
	}
	_, body = alice.get("/webmail/admin/users/edit?address=bob@example.test")
	if !strings.Contains(body, `name="quota_mb" value="2"`) {
		t.Fatalf("user page does not show bob's quota in the form:\n%s", body)
	}
	resp, body = alice.post("/webmail/admin/users/quota", form("address", "bob@example.test", "quota_mb", "many"))
	wantStatus(t, "bad quota", resp, body, http.StatusBadRequest)
	if !strings.Contains(body, `value="many"`) {
		t.Fatalf("bad quota: the form lost what was typed:\n%s", body)
	}
	resp, body = alice.post("/webmail/admin/users/quota", form("address", "bob@example.test", "quota_mb", "0", "quota_messages", "0"))
	wantRedirect(t, "quota back to the default", resp, body, "/webmail/admin/users/edit?")
	if u := e.user("bob@example.test"); u.Quota != (store.Quota{}) {
		t.Fatalf("bob's quota %+v, want the default", u.Quota)
	}
	resp, body = alice.post("/webmail/admin/users/quota", form("address", "nobody@example.test", "quota_mb", "1"))
	wantStatus(t, "quota of a missing user", resp, body, http.StatusNotFound)

	resp, body = alice.post("/webmail/admin/users/admin", form("address", "bob@example.test", "admin", "on"))
	wantRedirect(t, "make bob admin", resp, body, "/webmail/admin/users/edit?")
	bob := e.client().mustLogin("bob@example.test")
	if resp, body := bob.get("/webmail/admin/users"); resp.StatusCode != http.StatusOK {
		t.Fatalf("bob as admin: %s\n%s", resp.Status, body)
	}
	resp, body = alice.post("/webmail/admin/users/admin", form("address", "bob@example.test", "admin", "off"))
	wantRedirect(t, "take bob's right", resp, body, "/webmail/admin/users/edit?")
	if resp, _ := bob.get("/webmail/admin/users"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob after the right was taken: %s", resp.Status)
	}
	resp, body = alice.post("/webmail/admin/users/admin", form("address", "bob@example.test", "admin", "maybe"))
	wantStatus(t, "admin=maybe", resp, body, http.StatusBadRequest)

	resp, body = alice.post("/webmail/admin/users/admin", form("address", "alice@example.test", "admin", "off"))
	wantStatus(t, "own right", resp, body, http.StatusConflict)
	resp, body = alice.post("/webmail/admin/users/delete", form("address", "alice@example.test", "confirm", "yes"))
	wantStatus(t, "own account", resp, body, http.StatusConflict)
	if u := e.user("alice@example.test"); u == nil || !u.Admin {
		t.Fatalf("alice after refused self-changes: %+v", u)
	}
}

// TestAdminDeleteUser: the first POST asks, and deletes nothing; the
// confirmed one deletes the account and its mail and ends its sessions.
func TestAdminDeleteUser(t *testing.T) {
	e, _ := newAdminEnv(t)
	e.deliver(e.bob, "INBOX", "Subject: hi\n\nhello\n")
	alice := e.client().mustLogin("alice@example.test")
	bob := e.client().mustLogin("bob@example.test")
	resp, body := alice.post("/webmail/admin/users/delete", form("address", "bob@example.test"))
	wantStatus(t, "unconfirmed delete", resp, body, http.StatusOK)
	if !strings.Contains(body, "Delete the user bob@example.test?") || !strings.Contains(body, `name="confirm" value="yes"`) ||
		!strings.Contains(body, "1 message") {
		t.Fatalf("confirmation page:\n%s", body)
	}
	if e.user("bob@example.test") == nil {
		t.Fatal("an unconfirmed delete deleted the user")
	}
	resp, body = alice.post("/webmail/admin/users/delete", form("address", "bob@example.test", "confirm", "yes"))
	loc := wantRedirect(t, "confirmed delete", resp, body, "/webmail/admin/users?")
	if _, body := alice.get(loc); !strings.Contains(body, "Deleted user bob@example.test") || strings.Contains(body, `data-address="bob@example.test"`) {
		t.Fatalf("users page after the delete:\n%s", body)
	}
	if e.user("bob@example.test") != nil {
		t.Fatal("bob still exists")
	}
	if resp, _ := bob.get("/webmail/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deleted bob's session: %s, want the login page", resp.Status)
	}
	resp, body = alice.post("/webmail/admin/users/delete", form("address", "bob@example.test", "confirm", "yes"))
	wantStatus(t, "delete again", resp, body, http.StatusNotFound)
	if _, err := e.st.Authenticate(context.Background(), store.Login{Protocol: "imap", Username: "bob@example.test", Password: testPassword}); err == nil {
		t.Fatal("deleted bob still authenticates")
	}
}

func TestCheckNewPassword(t *testing.T) {
	for _, c := range []struct {
		pw, repeat, want string
	}{
		{"", "", "Enter a password."},
		{"abc", "abc", "too short"},
		{"ab cd ef", "ab cd eg", "do not match"},
		{"aaaaaaaaaa", "aaaaaaaaaa", "too weak"},
		{"abababab", "abababab", "too weak"},
		{"Qwertyuiop", "Qwertyuiop", "most used"},
		{"alice@example.test", "alice@example.test", "not be the address"},
		{"ALICE123", "ALICE123", ""},
		{"alice", "alice", "too short"},
		{" padded pass ", " padded pass ", "space"},
		{"\xff\xfe bad utf8!", "\xff\xfe bad utf8!", "UTF-8"},
		{strings.Repeat("long pass ", 103), strings.Repeat("long pass ", 103), "too long"},
		{"correct horse battery", "correct horse battery", ""},
		{"ünïcödé-pässwörd", "ünïcödé-pässwörd", ""},
	} {
		got := checkNewPassword(c.pw, c.repeat, "alice@example.test")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("checkNewPassword(%q): %q, want %q", c.pw, got, c.want)
		}
	}
}
