package webmail

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

func TestLoginSetsStrictSessionCookie(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	resp := c.login("alice@example.test", testPassword)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/webmail/" {
		t.Fatalf("login: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			sc = ck
		}
	}
	if sc == nil {
		t.Fatal("no session cookie")
	}
	if !sc.Secure || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/webmail/" {
		t.Errorf("cookie attributes: %+v", sc)
	}
	if len(sc.Value) < 43 { // 256 bits in base64url
		t.Errorf("session id %q too short", sc.Value)
	}
	r, body := c.get("/webmail/")
	if r.StatusCode != 200 || !strings.Contains(body, `id="folder-list"`) || !strings.Contains(body, `id="logout"`) {
		t.Fatalf("inbox: %s\n%s", r.Status, body)
	}
	if csp := r.Header.Get("Content-Security-Policy"); csp != pageCSP {
		t.Errorf("CSP %q", csp)
	}
}

func TestLoginWrongPassword(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	resp := c.login("alice@example.test", "wrong")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %s", resp.Status)
	}
	if r, _ := c.get("/webmail/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("without session: %s", r.Status)
	}
}

func TestLoginThrottledMessage(t *testing.T) {
	e := newTestEnvWithStore(t, func(o *store.Options) { o.AuthGuessLimit = 5 })
	// The store's guessing-run limit shared with IMAP: exhaust it from
	// the test client's network, then even the right password is
	// refused with a message saying to wait.
	c := e.client()
	var last *http.Response
	var body string
	for i := 0; i < 200; i++ {
		_, page := c.get("/webmail/login")
		m := csrfFieldRe.FindStringSubmatch(page)
		last, body = c.post("/webmail/login", url.Values{"csrf": {m[1]}, "address": {"alice@example.test"}, "password": {"guess" + string(rune('a'+i%26)) + strings.Repeat("x", i)}})
		if last.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if last.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Wait a few minutes") {
		t.Fatalf("never throttled: %s", last.Status)
	}
}

func TestLoginWithoutTokenRefused(t *testing.T) {
	e := newTestEnv(t)
	c := e.client()
	resp, _ := c.post("/webmail/login", url.Values{"address": {"alice@example.test"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("login without token: %s", resp.Status)
	}
}

func TestLogoutEndsSession(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	if r, _ := c.post("/webmail/logout", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", r.Status)
	}
	if e.h.sessions.count() != 0 {
		t.Fatal("session survives logout")
	}
	if r, _ := c.get("/webmail/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout: %s", r.Status)
	}
}

func TestCSRFRefused(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	for _, tok := range []string{"", "wrong"} {
		r, _ := c.post("/webmail/logout", url.Values{"csrf": {tok}})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("token %q: %s", tok, r.Status)
		}
	}
	// Another session's token does not do either.
	other := e.client().mustLogin("alice@example.test")
	if r, _ := c.post("/webmail/logout", url.Values{"csrf": {other.csrf}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("other session's token: %s", r.Status)
	}
	// A cross-site request with the right token is refused too.
	req, _ := http.NewRequest("POST", e.srv.URL+"/webmail/logout", strings.NewReader("csrf="+c.csrf))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.test")
	if r, _ := c.do(req); r.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin: %s", r.Status)
	}
	if e.h.sessions.count() != 2 {
		t.Fatalf("a refused logout ended a session: %d left", e.h.sessions.count())
	}
}

func TestSessionIdleAndLifetime(t *testing.T) {
	now := fakeClock()
	e := newTestEnv(t, func(o *Options) { o.Now = now.Now })
	c := e.client().mustLogin("alice@example.test")
	now.add(DefaultSessionIdle - 1)
	if r, _ := c.get("/webmail/"); r.StatusCode != 200 {
		t.Fatalf("before idle timeout: %s", r.Status)
	}
	now.add(DefaultSessionIdle + 1)
	if r, _ := c.get("/webmail/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after idle timeout: %s", r.Status)
	}
	c = e.client().mustLogin("alice@example.test")
	for i := 0; i < int(DefaultSessionLifetime/DefaultSessionIdle)+1; i++ {
		now.add(DefaultSessionIdle - 1)
		c.get("/webmail/")
	}
	if r, _ := c.get("/webmail/"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after lifetime: %s", r.Status)
	}
}

func TestEndUserEndsOtherSessions(t *testing.T) {
	e := newTestEnv(t)
	a1 := e.client().mustLogin("alice@example.test")
	a2 := e.client().mustLogin("alice@example.test")
	b := e.client().mustLogin("bob@example.test")
	keep := a1.hc.Jar.Cookies(mustURL(t, e.srv.URL+"/webmail/"))[0].Value
	e.h.EndUserSessions(e.alice.ID, keep)
	if r, _ := a1.get("/webmail/"); r.StatusCode != 200 {
		t.Errorf("kept session: %s", r.Status)
	}
	if r, _ := a2.get("/webmail/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("other session of the user: %s", r.Status)
	}
	if r, _ := b.get("/webmail/"); r.StatusCode != 200 {
		t.Errorf("another user's session: %s", r.Status)
	}
}

// TestLoginOriginNull: a browser sends "Origin: null" where the referrer
// policy hides the origin; with Sec-Fetch-Site same-origin that is a
// login from our own form, from anywhere else it is refused.
func TestLoginOriginNull(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		site string
		want int
	}{{"same-origin", http.StatusSeeOther}, {"cross-site", http.StatusForbidden}, {"same-site", http.StatusForbidden}} {
		c := e.client()
		_, page := c.get("/webmail/login")
		token := csrfFieldRe.FindStringSubmatch(page)[1]
		req, _ := http.NewRequest("POST", e.srv.URL+"/webmail/login", strings.NewReader(url.Values{
			"csrf": {token}, "address": {"alice@example.test"}, "password": {testPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "null")
		req.Header.Set("Sec-Fetch-Site", tc.site)
		if r, _ := c.do(req); r.StatusCode != tc.want {
			t.Errorf("Sec-Fetch-Site %s: %s, want %d", tc.site, r.Status, tc.want)
		}
	}
}

// TestSessionTableBounded: a user's sessions beyond the limit end the
// oldest, and expired sessions leave the table at the next login.
func TestSessionTableBounded(t *testing.T) {
	now := fakeClock()
	tab := newSessions(time.Minute, time.Hour, 3, now.Now)
	var first *Session
	for i := 0; i < 5; i++ {
		s := tab.create(1, "a@example.test")
		if first == nil {
			first = s
		}
		now.add(time.Second)
	}
	if tab.count() != 3 {
		t.Fatalf("%d sessions for one user", tab.count())
	}
	select {
	case <-first.Ended():
	default:
		t.Fatal("the oldest session did not end")
	}
	if tab.get(first.ID) != nil {
		t.Fatal("ended session still found")
	}
	now.add(2 * time.Minute)
	tab.create(2, "b@example.test")
	if tab.count() != 1 {
		t.Fatalf("expired sessions kept: %d", tab.count())
	}
}
