package webmail

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/queue/sieve"
)

func TestSettingsNeedSessionAndCSRF(t *testing.T) {
	e := newTestEnv(t)
	anon := e.client()
	if r, _ := anon.get("/webmail/settings"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("settings without session: %s", r.Status)
	}
	posts := map[string]url.Values{
		"/webmail/settings/password": {"old": {testPassword}, "new": {"new password 1"}, "new2": {"new password 1"}},
		"/webmail/settings/vacation": {"enabled": {"1"}, "text": {"away"}, "days": {"7"}},
		"/webmail/settings/spam":     {"spam": {"inbox"}},
	}
	for p, f := range posts {
		if r, _ := anon.post(p, f); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without session: %s", p, r.Status)
		}
	}
	c := e.client().mustLogin("alice@example.test")
	for p, f := range posts {
		g := url.Values{"csrf": {"forged"}}
		for k, v := range f {
			g[k] = v
		}
		if r, _ := c.post(p, g); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s with a forged token: %s", p, r.Status)
		}
	}
	ctx := context.Background()
	if u, _ := e.st.UserByAddress(ctx, "alice@example.test"); u.SpamToInbox {
		t.Error("spam preference changed without token")
	}
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.alice.ID); name != "" {
		t.Error("vacation turned on without token")
	}
	if c2 := e.client(); c2.login("alice@example.test", testPassword).StatusCode != http.StatusSeeOther {
		t.Error("password changed without token")
	}
	r, body := c.get("/webmail/settings")
	if r.StatusCode != 200 {
		t.Fatalf("settings: %s", r.Status)
	}
	for _, id := range []string{"password-old", "password-new", "password-new2", "vacation-enabled", "vacation-subject", "vacation-text",
		"vacation-days", "vacation-start", "vacation-end", "spam-junk", "spam-inbox"} {
		if !strings.Contains(body, `id="`+id+`"`) || !strings.Contains(body, `for="`+id+`"`) {
			t.Errorf("control #%s missing or without label", id)
		}
	}
}

func TestSettingsChangePassword(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	other := e.client().mustLogin("alice@example.test")
	bob := e.client().mustLogin("bob@example.test")
	for _, bad := range []struct {
		form url.Values
		code int
	}{
		{url.Values{"old": {"wrong password"}, "new": {"new password 1"}, "new2": {"new password 1"}}, http.StatusForbidden},
		{url.Values{"old": {testPassword}, "new": {"new password 1"}, "new2": {"new password 2"}}, http.StatusUnprocessableEntity},
		{url.Values{"old": {testPassword}, "new": {"short"}, "new2": {"short"}}, http.StatusUnprocessableEntity},
		{url.Values{"old": {""}, "new": {"new password 1"}, "new2": {"new password 1"}}, http.StatusBadRequest},
	} {
		if r, _ := c.post("/webmail/settings/password", bad.form); r.StatusCode != bad.code {
			t.Errorf("%v: %s, want %d", bad.form, r.Status, bad.code)
		}
	}
	if r, _ := other.get("/webmail/"); r.StatusCode != 200 {
		t.Fatalf("refused changes ended the other session: %s", r.Status)
	}
	r, body := c.post("/webmail/settings/password", url.Values{"old": {testPassword}, "new": {"new password 1"}, "new2": {"new password 1"}})
	if r.StatusCode != 200 || !strings.Contains(body, "Your password is changed") {
		t.Fatalf("change: %s", r.Status)
	}
	if r, _ := c.get("/webmail/"); r.StatusCode != 200 {
		t.Errorf("the session that changed it ended: %s", r.Status)
	}
	if r, _ := other.get("/webmail/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the other session of alice lives on: %s", r.Status)
	}
	if r, _ := bob.get("/webmail/"); r.StatusCode != 200 {
		t.Errorf("bob's session ended: %s", r.Status)
	}
	if e.client().login("alice@example.test", testPassword).StatusCode == http.StatusSeeOther {
		t.Error("the old password still works")
	}
	if e.client().login("alice@example.test", "new password 1").StatusCode != http.StatusSeeOther {
		t.Error("the new password does not work")
	}
}

// runVacation runs the user's active script on a message to them.
func runVacation(t *testing.T, e *testEnv, userID uint64, now time.Time) *sieve.Vacation {
	t.Helper()
	_, src, _, err := e.st.ActiveSieveScript(context.Background(), userID)
	if err != nil || src == nil {
		t.Fatalf("no active script: %v", err)
	}
	sc, err := sieve.Parse(src, sieve.Limits{})
	if err != nil {
		t.Fatalf("the script does not parse: %v\n%s", err, src)
	}
	res, err := sc.Run(context.Background(), &sieve.Input{EnvelopeFrom: "carol@remote.test", EnvelopeTo: "alice@example.test",
		Message: []byte("From: carol@remote.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nhello\r\n"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Actions {
		if v, ok := a.(sieve.Vacation); ok {
			return &v
		}
		if v, ok := a.(*sieve.Vacation); ok {
			return v
		}
	}
	return nil
}

func TestSettingsVacation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	c := e.client().mustLogin("alice@example.test")
	text := "I am away until Monday.\nUrgent: call \"Bob\" \\ the office."
	r, body := c.post("/webmail/settings/vacation", url.Values{"enabled": {"1"}, "subject": {"Away ✈"}, "text": {text}, "days": {"3"}})
	if r.StatusCode != 200 || !strings.Contains(body, "The vacation reply is on.") {
		t.Fatalf("vacation on: %s\n%s", r.Status, body)
	}
	name, _, _, _ := e.st.ActiveSieveScript(ctx, e.alice.ID)
	if name != "vacation" {
		t.Fatalf("active script %q", name)
	}
	v := runVacation(t, e, e.alice.ID, time.Time{})
	if v == nil || v.Reason != strings.ReplaceAll(text, "\n", "\r\n")+"\r\n" || v.Subject != "Away ✈" || v.Seconds != 3*86400 {
		t.Fatalf("vacation action %+v", v)
	}
	// The form shows the settings again.
	_, body = c.get("/webmail/settings")
	if !strings.Contains(body, `value="Away ✈"`) || !strings.Contains(body, `value="3"`) || !strings.Contains(body, `id="vacation-enabled" name="enabled" value="1" checked`) {
		t.Errorf("settings page does not show the vacation:\n%s", body)
	}
	// Bad input is refused with the reason.
	for _, bad := range []url.Values{
		{"enabled": {"1"}, "text": {""}, "days": {"7"}},
		{"enabled": {"1"}, "text": {"x"}, "days": {"0"}},
		{"enabled": {"1"}, "text": {"x"}, "days": {"7"}, "start": {"2026-13-01"}},
		{"enabled": {"1"}, "text": {"x"}, "days": {"7"}, "start": {"2026-12-10"}, "end": {"2026-12-01"}},
	} {
		if r, _ := c.post("/webmail/settings/vacation", bad); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v: %s", bad, r.Status)
		}
	}
	// Off.
	r, _ = c.post("/webmail/settings/vacation", url.Values{"subject": {"Away"}, "text": {text}, "days": {"3"}})
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.alice.ID); r.StatusCode != 200 || name != "" {
		t.Errorf("vacation off: %s, active %q", r.Status, name)
	}
	// Bob's scripts are untouched.
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.bob.ID); name != "" {
		t.Errorf("bob's active script %q", name)
	}
}

func TestSettingsVacationDates(t *testing.T) {
	e := newTestEnv(t)
	c := e.client().mustLogin("alice@example.test")
	if r, body := c.post("/webmail/settings/vacation", url.Values{"enabled": {"1"}, "text": {"away"}, "days": {"7"},
		"start": {"2026-12-20"}, "end": {"2027-01-03"}}); r.StatusCode != 200 {
		t.Fatalf("%s\n%s", r.Status, body)
	}
	for when, want := range map[string]bool{"2026-12-19": false, "2026-12-20": true, "2027-01-03": true, "2027-01-04": false} {
		d, _ := time.ParseInLocation(time.DateOnly, when, time.Local)
		if got := runVacation(t, e, e.alice.ID, d.Add(12*time.Hour)) != nil; got != want {
			t.Errorf("on %s: vacation %v, want %v", when, got, want)
		}
	}
}

func TestSettingsVacationReplacesOtherScriptOnlyWhenConfirmed(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	filter := []byte("require \"fileinto\";\r\nif header :contains \"subject\" \"x\" { fileinto \"X\"; }\r\n")
	if err := e.st.PutSieveScript(ctx, e.alice.ID, "myfilter", filter); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetActiveSieveScript(ctx, e.alice.ID, "myfilter"); err != nil {
		t.Fatal(err)
	}
	c := e.client().mustLogin("alice@example.test")
	form := url.Values{"enabled": {"1"}, "text": {"away"}, "days": {"7"}}
	r, body := c.post("/webmail/settings/vacation", form)
	if r.StatusCode != http.StatusConflict || !strings.Contains(body, `id="vacation-confirm"`) || !strings.Contains(body, "myfilter") {
		t.Fatalf("no confirmation asked: %s\n%s", r.Status, body)
	}
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.alice.ID); name != "myfilter" {
		t.Fatalf("replaced before confirmation: %q", name)
	}
	form.Set("confirm_replace", "1")
	if r, body := c.post("/webmail/settings/vacation", form); r.StatusCode != 200 || !strings.Contains(body, "myfilter") {
		t.Fatalf("confirmed: %s", r.Status)
	}
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.alice.ID); name != "vacation" {
		t.Fatalf("active %q after confirmation", name)
	}
	if got, _ := e.st.SieveScript(ctx, e.alice.ID, "myfilter"); string(got) != string(filter) {
		t.Error("the user's own script was changed")
	}
	// Off again: the user's script is back.
	if r, body := c.post("/webmail/settings/vacation", url.Values{"text": {"away"}, "days": {"7"}}); r.StatusCode != 200 || !strings.Contains(body, "active again") {
		t.Fatalf("off: %s\n%s", r.Status, body)
	}
	if name, _, _, _ := e.st.ActiveSieveScript(ctx, e.alice.ID); name != "myfilter" {
		t.Errorf("active %q after the vacation", name)
	}
}

func TestSettingsSpam(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	c := e.client().mustLogin("alice@example.test")
	if r, _ := c.post("/webmail/settings/spam", url.Values{"spam": {"inbox"}}); r.StatusCode != 200 {
		t.Fatalf("spam inbox: %s", r.Status)
	}
	if u, _ := e.st.UserByAddress(ctx, "alice@example.test"); !u.SpamToInbox {
		t.Error("not set")
	}
	if u, _ := e.st.UserByAddress(ctx, "bob@example.test"); u.SpamToInbox {
		t.Error("bob's preference changed")
	}
	_, body := c.get("/webmail/settings")
	if !strings.Contains(body, `id="spam-inbox" name="spam" value="inbox" checked`) {
		t.Error("the page does not show the preference")
	}
	c.post("/webmail/settings/spam", url.Values{"spam": {"junk"}})
	if u, _ := e.st.UserByAddress(ctx, "alice@example.test"); u.SpamToInbox {
		t.Error("not cleared")
	}
	if r, _ := c.post("/webmail/settings/spam", url.Values{"spam": {"elsewhere"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("bad value: %s", r.Status)
	}
}
