package webmail

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// testEnv is the webmail over a real HTTPS test server with a real store
// in a temporary directory, and two users.
type testEnv struct {
	t     testing.TB
	st    *store.Store
	h     *Handler
	srv   *httptest.Server
	alice *store.User
	bob   *store.User
}

const testPassword = "correct horse battery"

func newTestEnv(t testing.TB, mod ...func(*Options)) *testEnv {
	t.Helper()
	return newTestEnvWithStore(t, nil, mod...)
}

// newTestEnvWithStore is newTestEnv with the store's options changed by smod.
func newTestEnvWithStore(t testing.TB, smod func(*store.Options), mod ...func(*Options)) *testEnv {
	t.Helper()
	so := &store.Options{AuthDelays: []time.Duration{0}, PasswordHashSlots: 2}
	if smod != nil {
		smod(so)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "mail.db"), so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	alice, err := st.AddUser(ctx, "alice@example.test", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	bob, err := st.AddUser(ctx, "bob@example.test", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Store: st, Hostname: "mail.example.test", Logger: slog.New(slog.NewTextHandler(testLog{t}, nil))}
	for _, m := range mod {
		m(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &testEnv{t: t, st: st, h: h, srv: srv, alice: alice, bob: bob}
}

// client is one browser: a cookie jar, redirects not followed.
type client struct {
	e    *testEnv
	hc   *http.Client
	csrf string
}

func (e *testEnv) client() *client {
	jar, _ := cookiejar.New(nil)
	hc := *e.srv.Client() // a copy: each client its own jar
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{e: e, hc: &hc}
}

var (
	csrfMetaRe  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	csrfFieldRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// do sends a request and returns the response and its body.
func (c *client) do(req *http.Request) (*http.Response, string) {
	c.e.t.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if m := csrfMetaRe.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) {
	c.e.t.Helper()
	req, err := http.NewRequest("GET", c.e.srv.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return c.do(req)
}

// post sends a form; the session's CSRF token is added unless the form
// has a csrf field already.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	req, err := http.NewRequest("POST", c.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login logs in through the login form.
func (c *client) login(address, password string) *http.Response {
	c.e.t.Helper()
	_, body := c.get("/webmail/login")
	m := csrfFieldRe.FindStringSubmatch(body)
	if m == nil {
		c.e.t.Fatalf("login page without token:\n%s", body)
	}
	resp, _ := c.post("/webmail/login", url.Values{"csrf": {m[1]}, "address": {address}, "password": {password}})
	if resp.StatusCode == http.StatusSeeOther {
		c.get("/webmail/") // picks up the session's CSRF token
	}
	return resp
}

// mustLogin logs in as address or fails the test.
func (c *client) mustLogin(address string) *client {
	c.e.t.Helper()
	if resp := c.login(address, testPassword); resp.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: %s", address, resp.Status)
	}
	if c.csrf == "" {
		c.e.t.Fatal("no CSRF token after login")
	}
	return c
}

// deliver appends a message to a user's mailbox (no SMTP).
func (e *testEnv) deliver(u *store.User, mailbox, msg string, flags ...string) uint32 {
	e.t.Helper()
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "\r\n", "\n"), "\n", "\r\n")
	res, err := e.st.Append(context.Background(), u.ID, mailbox, store.NewBody([]byte(msg)), store.AppendOptions{Flags: flags})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.UID
}

// mailbox is a user's mailbox by name.
func (e *testEnv) mailbox(u *store.User, name string) *store.Mailbox {
	e.t.Helper()
	mb, err := e.st.MailboxByName(context.Background(), u.ID, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return mb
}

// clock is a settable time for session expiry tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func fakeClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// testLog writes the handler's log into the test's.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
