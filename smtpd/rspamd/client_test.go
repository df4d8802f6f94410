package rspamd_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/smtpd/rspamd"
	"github.com/mailserver/mailserver/smtpd/rspamd/rspamdtest"
)

var inst *rspamdtest.Instance

func TestMain(m *testing.M) {
	var err error
	inst, err = rspamdtest.Start(rspamdtest.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	inst.Stop()
	os.Exit(code)
}

func client() *rspamd.Client {
	return &rspamd.Client{ScanURL: inst.ScanURL, ControllerURL: inst.ControllerURL, Password: rspamdtest.Password}
}

const gtube = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

func message(extra, body string) string {
	return "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: lunch\r\n" +
		"Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" + fmt.Sprint(len(body), len(extra)) + "@example.com>\r\n" +
		extra + "\r\n" + body + "\r\n"
}

func check(t *testing.T, msg string) *rspamd.Result {
	t.Helper()
	r, err := client().Check(context.Background(), strings.NewReader(msg), int64(len(msg)), &rspamd.Meta{
		IP: "192.0.2.7", Helo: "mx.example.com", From: "alice@example.com", Rcpts: []string{"bob@example.net", "carol@example.net"},
		QueueID: "ABC", TLS: "TLS_AES_128_GCM_SHA256", TLSVer: "TLSv1.3", MTAName: "mx.example.net",
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckActions(t *testing.T) {
	for _, c := range []struct {
		name, extra, body, action string
		spam                      bool
	}{
		{"clean", "", "Shall we meet at noon? The usual place.", rspamd.ActionNoAction, false},
		{"junk", "X-Test-Spam: yes\r\n", "Shall we meet at noon?", rspamd.ActionAddHeader, true},
		{"soft", "X-Test-Soft: yes\r\n", "Shall we meet at noon?", rspamd.ActionSoftReject, true},
		{"gtube", "", gtube, rspamd.ActionReject, true},
		{"rewrite", "X-Test-Rewrite: yes\r\n", "Shall we meet at noon?", rspamd.ActionRewriteSubj, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := check(t, message(c.extra, c.body))
			if r.Action != c.action || r.IsSpam() != c.spam {
				t.Fatalf("action %q spam %v, want %q %v (score %.2f)", r.Action, r.IsSpam(), c.action, c.spam, r.Score)
			}
			h := r.Headers()
			if !strings.HasPrefix(h, "X-Spamd-Result: default: ") || !strings.Contains(h, "\r\nX-Spam-Score: ") ||
				strings.Contains(h, "X-Spam: Yes") != c.spam || !strings.HasSuffix(h, "\r\n") {
				t.Fatalf("headers:\n%s", h)
			}
			if c.name == "rewrite" && r.Subject != "[SPAM] lunch" {
				t.Fatalf("rewritten subject %q", r.Subject)
			}
			if c.name == "gtube" && r.SMTPMessage() == "" {
				t.Fatal("no smtp_message for GTUBE")
			}
		})
	}
}

func TestLearnAndStat(t *testing.T) {
	ctx := context.Background()
	c := client()
	before, err := c.Stat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spam0, ham0, err := inst.Learns()
	if err != nil {
		t.Fatal(err)
	}
	spam := message("", "Cheap watches, cheap pills, act now, limited offer, click here to claim your prize today, winner winner")
	if err := c.Learn(ctx, true, []byte(spam)); err != nil {
		t.Fatal(err)
	}
	// The same message again is reported, not counted twice.
	if err := c.Learn(ctx, true, []byte(spam)); !errors.Is(err, rspamd.ErrAlreadyLearned) {
		t.Fatalf("second learn: %v, want ErrAlreadyLearned", err)
	}
	ham := message("", "Minutes of the committee meeting attached, please review the budget items before Thursday afternoon session")
	if err := c.Learn(ctx, false, []byte(ham)); err != nil {
		t.Fatal(err)
	}
	spamN, hamN, err := inst.Learns()
	if err != nil {
		t.Fatal(err)
	}
	if spamN != spam0+1 || hamN != ham0+1 {
		t.Fatalf("learned spam %d ham %d, were %d %d", spamN, hamN, spam0, ham0)
	}
	after, err := c.Stat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Learned != before.Learned+2 {
		t.Fatalf("learned %d, was %d", after.Learned, before.Learned)
	}
}

func TestWrongPassword(t *testing.T) {
	c := client()
	c.Password = "wrong"
	err := c.Learn(context.Background(), true, []byte(message("", "some text here for the classifier to read")))
	if err == nil || errors.Is(err, rspamd.ErrAlreadyLearned) {
		t.Fatalf("learn with a wrong password: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	c := &rspamd.Client{ScanURL: "http://127.0.0.1:1", Timeout: 1e9}
	if _, err := c.Check(context.Background(), strings.NewReader("x"), 1, &rspamd.Meta{}); err == nil {
		t.Fatal("no error from a closed port")
	}
}
