package main

import (
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/queue/dkimtest"
)

// submitWithSmtplib sends messages with Python's smtplib: argv is addr,
// user, password (with STARTTLS and AUTH; "" for neither), then pairs of
// header From and body text.
const submitWithSmtplib = `
import smtplib, ssl, sys
addr, user, pw = sys.argv[1:4]
h, p = addr.rsplit(":", 1)
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(h, int(p))
if user:
    s.starttls(context=ctx)
    s.login(user, pw)
args = sys.argv[4:]
for i in range(0, len(args), 2):
    msg = ("From: " + args[i] + "\r\nTo: Bob <bob@remote.test>\r\nSubject: signed?\r\n" +
           "Date: Tue, 01 Dec 2026 12:00:00 +0000\r\nMessage-ID: <" + str(i) + "@example.test>\r\n" +
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
           args[i+1] + "\r\n")
    s.sendmail(user or args[i], ["bob@remote.test"], msg.encode("utf-8"), mail_options=["BODY=8BITMIME"])
s.quit()
`

// zoneTXT matches a TXT line of "dkim list" / "dkim rotate".
var zoneTXT = regexp.MustCompile(`(?m)^(\S+)\.\tIN\tTXT\t(.+)$`)

// dkimRecordsFrom parses the TXT records a dkim command printed, joining
// the quoted strings as a resolver does (RFC 6376 §3.6.2.2).
func dkimRecordsFrom(t *testing.T, out string) map[string]string {
	t.Helper()
	recs := map[string]string{}
	for _, m := range zoneTXT.FindAllStringSubmatch(out, -1) {
		var text strings.Builder
		for _, q := range regexp.MustCompile(`"([^"]*)"`).FindAllStringSubmatch(m[2], -1) {
			if len(q[1]) > 255 {
				t.Errorf("TXT string of %d octets", len(q[1]))
			}
			text.WriteString(q[1])
		}
		recs[m[1]] = text.String()
	}
	return recs
}

// TestDKIMSubmissionEndToEnd: a message submitted over 587 (smtplib,
// STARTTLS, AUTH) with a From in a local domain reaches the remote MX
// with an Ed25519 and an RSA signature that dkimpy verifies against the
// records "dkim list" prints; one with a foreign From, relayed for a
// trusted network on port 25, is not signed.
// Then rotate and retire run against the live server's admin socket.
func TestDKIMSubmissionEndToEnd(t *testing.T) {
	dnsAddr := startTestDNS(t, map[string]string{
		"remote.test.":    "MX 10 mx.remote.test.",
		"mx.remote.test.": "A 127.0.0.13",
	})
	probe, err := net.Listen("tcp", "127.0.0.13:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	got := make(chan string, 4)
	startTestRemote(t, fmt.Sprintf("127.0.0.13:%d", port), got)
	e := newTestEnv(t, map[string]string{"submission": "127.0.0.1:0", "smtp": "127.0.0.1:0"}, fmt.Sprintf(`domains = ["example.test"]
[smtp]
trusted_networks = ["127.0.0.0/8"]
[delivery]
resolver = %q
remote_port = %d
`, dnsAddr, port))
	e.mustRun(t, "pw\n", "user", "add", "alice@example.test", "--password-stdin")
	s := e.start(t)

	for _, args := range [][]string{
		{s.addrs["submission"], "alice@example.test", "pw", "Alice <alice@example.test>", "Grüße — signed " + strings.Repeat("long line ", 120)},
		{s.addrs["smtp"], "", "", "someone@foreign.test", "not ours to sign"},
		// A trusted network may send as the local domains without AUTH:
		// signed like submitted mail.
		{s.addrs["smtp"], "", "", "App <app@example.test>", "from the trusted network"},
	} {
		out, err := exec.Command("python3", append([]string{"-c", submitWithSmtplib}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("smtplib: %v\n%s\nserver log:\n%s", err, out, s.log)
		}
	}
	var msgs []string
	for len(msgs) < 3 {
		select {
		case m := <-got:
			msgs = append(msgs, m)
		case <-time.After(15 * time.Second):
			t.Fatalf("%d of 3 messages delivered; server log:\n%s", len(msgs), s.log)
		}
	}
	var signed, foreign, trusted string
	for _, m := range msgs {
		switch {
		case strings.Contains(m, "foreign.test"):
			foreign = m
		case strings.Contains(m, "app@example.test"):
			trusted = m
		default:
			signed = m
		}
	}
	if strings.Contains(strings.ToLower(foreign), "dkim-signature") {
		t.Errorf("a message with a foreign From was signed:\n%s", foreign)
	}
	list := e.mustRun(t, "", "dkim", "list")
	t.Logf("dkim list:\n%s", list)
	recs := dkimRecordsFrom(t, list)
	if len(recs) != 2 || !strings.Contains(list, "signing") {
		t.Fatalf("dkim list:\n%s", list)
	}
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, []byte(signed), recs), "example.test")
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, []byte(trusted), recs), "example.test")

	// Rotation through the running server.
	rot := e.mustRun(t, "", "dkim", "rotate", "example.test")
	if n := len(dkimRecordsFrom(t, rot)); n != 2 || !strings.Contains(rot, "they sign from") {
		t.Fatalf("dkim rotate printed:\n%s", rot)
	}
	list = e.mustRun(t, "", "dkim", "list", "example.test")
	if len(dkimRecordsFrom(t, list)) != 4 || strings.Count(list, "next, signs from") != 2 || strings.Count(list, "  signing") != 2 {
		t.Fatalf("dkim list after rotate:\n%s", list)
	}
	old := regexp.MustCompile(`\b(\d{8}a)-ed\b`).FindStringSubmatch(list)
	if old == nil {
		t.Fatalf("no first selector in:\n%s", list)
	}
	if r := e.run(t, "", "dkim", "retire", "example.test", old[1]); r.code != 1 || !strings.Contains(r.stderr, "signing") {
		t.Fatalf("retire of the signing pair: exit %d, %q", r.code, r.stderr)
	}
	e.mustRun(t, "", "dkim", "rotate", "example.test", "--after", "0s")
	e.mustRun(t, "", "dkim", "retire", "example.test", old[1])
	s.stop(t)

	// Without a server the commands open the database directly.
	list = e.mustRun(t, "", "dkim", "list")
	if len(dkimRecordsFrom(t, list)) != 4 || strings.Contains(list, old[1]+"-") || strings.Count(list, "next, signs from") != 2 || strings.Count(list, "  signing") != 2 {
		t.Fatalf("dkim list without a server:\n%s", list)
	}
	e.mustRun(t, "", "dkim", "rotate", "example.test", "--after", "0s")
	if list = e.mustRun(t, "", "dkim", "list"); strings.Count(list, "old, retire") != 2 || strings.Count(list, "  signing") != 2 {
		t.Fatalf("dkim list after a second immediate rotation:\n%s", list)
	}
	if r := e.run(t, "", "dkim", "rotate", "nowhere.test"); r.code != 1 {
		t.Fatalf("rotate of an unknown domain: exit %d %q", r.code, r.stderr)
	}
	if r := e.run(t, "", "dkim", "rotate"); r.code != 2 {
		t.Fatalf("rotate without a domain: exit %d", r.code)
	}
}
