package webmail

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// testAdmin is Admin over a real store and queue (no scheduler, so
// queued mail stays queued), as cmd/mailserver's webmailAdmin is over
// the server's; its DNS records are the domain's DKIM keys only (cmd's
// tests check the full set against a name server).
type testAdmin struct {
	st *store.Store
	q  *queue.Queue
}

var _ Admin = (*testAdmin)(nil)

func (a *testAdmin) Domains(ctx context.Context) ([]string, error) { return a.st.Domains(ctx) }
func (a *testAdmin) AddDomain(ctx context.Context, name string) error {
	return a.st.AddDomain(ctx, name)
}
func (a *testAdmin) DeleteDomain(ctx context.Context, name string) error {
	return a.st.DeleteDomain(ctx, name)
}

func (a *testAdmin) Users(ctx context.Context) ([]AdminUser, error) {
	users, err := a.st.Users(ctx)
	if err != nil {
		return nil, err
	}
	var out []AdminUser
	for _, u := range users {
		usage, err := a.st.Usage(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, AdminUser{User: u, Effective: a.st.EffectiveQuota(&u), Usage: usage})
	}
	return out, nil
}

func (a *testAdmin) User(ctx context.Context, address string) (*store.User, error) {
	return a.st.UserByAddress(ctx, address)
}

func (a *testAdmin) AddUser(ctx context.Context, address, password string, quota store.Quota, admin bool) (*store.User, error) {
	u, err := a.st.AddUser(ctx, address, password)
	if err != nil {
		return nil, err
	}
	if quota != (store.Quota{}) {
		if err := a.st.SetQuota(ctx, u.Address, quota); err != nil {
			return nil, err
		}
	}
	if admin {
		if err := a.st.SetAdmin(ctx, u.Address, true); err != nil {
			return nil, err
		}
		u.Admin = true
	}
	return u, nil
}

func (a *testAdmin) DeleteUser(ctx context.Context, address string) error {
	return a.st.DeleteUser(ctx, address)
}
func (a *testAdmin) SetPassword(ctx context.Context, address, password string) error {
	return a.st.SetPassword(ctx, address, password)
}
func (a *testAdmin) SetQuota(ctx context.Context, address string, q store.Quota) error {
	return a.st.SetQuota(ctx, address, q)
}
func (a *testAdmin) SetAdmin(ctx context.Context, address string, admin bool) error {
	return a.st.SetAdmin(ctx, address, admin)
}
func (a *testAdmin) Aliases(ctx context.Context) ([]store.Alias, error) { return a.st.Aliases(ctx) }
func (a *testAdmin) AddAlias(ctx context.Context, address string, targets []string) error {
	return a.st.AddAlias(ctx, address, targets)
}
func (a *testAdmin) DeleteAlias(ctx context.Context, address string) error {
	return a.st.DeleteAlias(ctx, address)
}
func (a *testAdmin) QueueList(ctx context.Context) ([]store.QueuedMessage, error) {
	return a.q.List(ctx)
}
func (a *testAdmin) QueueShow(ctx context.Context, id uint64) (*store.QueuedMessage, error) {
	return a.q.Get(ctx, id)
}
func (a *testAdmin) QueueHeader(ctx context.Context, id uint64) ([]byte, error) {
	m, err := a.q.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	b, err := a.st.ReadBodyBytes(m.BodyID)
	if err != nil {
		return nil, err
	}
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		b = b[:i+2]
	}
	return b, nil
}
func (a *testAdmin) QueueRetry(ctx context.Context, id uint64) error  { return a.q.Retry(ctx, id) }
func (a *testAdmin) QueueRetryAll(ctx context.Context) (int, error)   { return a.q.RetryAll(ctx) }
func (a *testAdmin) QueueBounce(ctx context.Context, id uint64) error { return a.q.Bounce(ctx, id) }
func (a *testAdmin) QueueDelete(ctx context.Context, id uint64) error { return a.q.Delete(ctx, id) }

func (a *testAdmin) DNSRecords(ctx context.Context, domain string, check bool) ([]AdminDNSRecord, error) {
	ok, err := a.st.IsLocalDomain(ctx, domain)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, store.ErrNotFound
	}
	keys, err := a.st.DKIMKeys(ctx, domain)
	if err != nil {
		return nil, err
	}
	var out []AdminDNSRecord
	for _, k := range keys {
		v := `"` + k.DNSRecord() + `"`
		r := AdminDNSRecord{Kind: "DKIM", Name: k.DNSName() + ".", Type: "TXT", Value: v,
			Zone: k.DNSName() + ".\t3600\tIN\tTXT\t" + v, Comment: []string{"DKIM key " + k.Selector}}
		if check {
			r.Status, r.Found = "missing", ""
		}
		out = append(out, r)
	}
	return out, nil
}

// newAdminEnv is the webmail with the admin pages on; alice is an
// administrator, bob is not.
func newAdminEnv(t *testing.T) (*testEnv, *testAdmin) {
	t.Helper()
	var ta *testAdmin
	e := newTestEnv(t, func(o *Options) {
		st := o.Store.(*store.Store)
		ta = &testAdmin{st: st, q: queue.New(st, queue.Options{Hostname: "mail.example.test"})}
		o.Admin = ta
	})
	if err := e.st.SetAdmin(context.Background(), "alice@example.test", true); err != nil {
		t.Fatal(err)
	}
	return e, ta
}

// user is the store's record of address, nil if there is none.
func (e *testEnv) user(address string) *store.User {
	e.t.Helper()
	u, err := e.st.UserByAddress(context.Background(), address)
	if err != nil {
		return nil
	}
	return u
}

// wantStatus fails unless resp has the status code.
func wantStatus(t *testing.T, what string, resp *http.Response, body string, code int) {
	t.Helper()
	if resp.StatusCode != code {
		t.Fatalf("%s: %s, want %d\n%s", what, resp.Status, code, body)
	}
}

// wantRedirect fails unless resp is a 303 to a path starting with
// prefix, and returns the location.
func wantRedirect(t *testing.T, what string, resp *http.Response, body, prefix string) string {
	t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("%s: %s to %q, want 303 to %s...\n%s", what, resp.Status, loc, prefix, body)
	}
	return loc
}

// unlabelled lists the form controls of page (except hidden inputs and
// buttons, which their text labels) that no <label for> names.
func unlabelled(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	var controls []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			switch n.Data {
			case "label":
				labels[attr["for"]] = true
			case "input", "select", "textarea":
				if attr["type"] != "hidden" && attr["type"] != "submit" {
					controls = append(controls, n.Data+"#"+attr["id"])
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	var out []string
	for _, c := range controls {
		_, id, _ := strings.Cut(c, "#")
		if id == "" || !labels[id] {
			out = append(out, c)
		}
	}
	return out
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
