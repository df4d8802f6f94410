package smtpd

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// dkimKeys are a test's signing keys, as files dkimpy reads, and their
// public DNS records.
type dkimKeys struct {
	rsaFile, edFile string
	rsaRecord       string
	edRecord        string
	rsaKey          *rsa.PrivateKey
}

func newDKIMKeys(t testing.TB) *dkimKeys {
	t.Helper()
	dir := t.TempDir()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k := &dkimKeys{rsaFile: filepath.Join(dir, "rsa.pem"), edFile: filepath.Join(dir, "ed.key"), rsaKey: rk}
	must(t, os.WriteFile(k.rsaFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}), 0o600))
	k.rsaRecord = "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)
	epub, epriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// dkimpy reads an Ed25519 key as the base64 of its 32-octet seed
	// (RFC 8463 §4 publishes the raw public key).
	must(t, os.WriteFile(k.edFile, []byte(base64.StdEncoding.EncodeToString(epriv.Seed())), 0o600))
	k.edRecord = "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(epub)
	return k
}

// pySend signs msg with dkimpy (unless alg is "none"), optionally changes
// one body octet after signing, and sends it with Python's smtplib:
// neither the signer nor the client is ours. It returns the reply code
// to DATA (or to the command that failed).
const pySendScript = `
import sys, dkim, smtplib
addr, key, sel, dom, alg, mfrom, rcpt, tamper = sys.argv[1:9]
msg = sys.stdin.buffer.read()
if alg != "none":
    sig = dkim.sign(msg, sel.encode(), dom.encode(), open(key, "rb").read(),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
        canonicalize=(b"relaxed", b"relaxed"), signature_algorithm=alg.encode(), linesep=b"\r\n")
    msg = sig + msg
if tamper == "1":
    i = msg.rindex(b"Hello")
    msg = msg[:i] + b"J" + msg[i+1:]
host, port = addr.rsplit(":", 1)
s = smtplib.SMTP(host, int(port), local_hostname="client.test")
try:
    s.sendmail(mfrom, [rcpt], msg)
    print(250)
except smtplib.SMTPDataError as e:
    print(e.smtp_code)
except smtplib.SMTPResponseException as e:
    print(e.smtp_code)
s.quit()
`

type pyMessage struct {
	key, selector, domain, alg string // alg: rsa-sha256, ed25519-sha256 or none
	mailFrom, rcpt             string
	msg                        string
	tamper                     bool
}

func pySend(t *testing.T, addr string, m pyMessage) int {
	t.Helper()
	if m.alg == "" {
		m.alg, m.key, m.selector, m.domain = "none", "-", "-", "-"
	}
	tamper := "0"
	if m.tamper {
		tamper = "1"
	}
	cmd := exec.Command("/usr/bin/python3", "-c", pySendScript, addr, m.key, m.selector, m.domain, m.alg, m.mailFrom, m.rcpt, tamper)
	cmd.Stdin = strings.NewReader(m.msg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 (dkimpy, smtplib): %v\n%s", err, out)
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("python3 said %q", out)
	}
	return code
}

// mailbox returns the bodies of the messages in one of a user's mailboxes.
func (e *testEnv) mailbox(address, name string) []string {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.st.UserByAddress(ctx, address)
	if err != nil {
		e.t.Fatal(err)
	}
	mb, err := e.st.MailboxByName(ctx, u.ID, name)
	if err != nil {
		e.t.Fatal(err)
	}
	msgs, err := e.st.ListMessages(ctx, u.ID, mb.ID, 1, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		b, err := e.st.ReadBodyBytes(m.BodyID)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// find returns the message of bob's INBOX or Junk with the subject, and
// which of the two it is in ("" if none).
func (e *testEnv) find(subject string) (msg, where string) {
	for _, mb := range []string{"INBOX", "Junk"} {
		for _, m := range e.mailbox("bob@example.test", mb) {
			if strings.Contains(m, "\r\nSubject: "+subject+"\r\n") {
				return m, mb
			}
		}
	}
	return "", ""
}

// authResults returns the Authentication-Results fields of a message's
// header, unfolded.
func authResults(msg string) []string {
	h := readHeaderBlock(strings.NewReader(msg))
	var out []string
	for _, f := range h.fields {
		if strings.EqualFold(f.name, "Authentication-Results") {
			out = append(out, h.value(f))
		}
	}
	return out
}

// inboundZone publishes the records the inbound tests use.
func inboundZone(t testing.TB) (*fakeDNS, *dkimKeys) {
	keys := newDKIMKeys(t)
	d := newFakeDNS(t)
	for _, dom := range []string{"rsa.test", "ed.test", "pass.test", "client.test"} {
		d.addTXT(dom, "v=spf1 ip4:127.0.0.1 -all")
	}
	d.addTXT("sel._domainkey.rsa.test", keys.rsaRecord)
	d.addTXT("sel._domainkey.ed.test", keys.edRecord)
	d.addTXT("_dmarc.rsa.test", "v=DMARC1; p=reject")
	d.addTXT("_dmarc.ed.test", "v=DMARC1; p=reject; adkim=s; aspf=s")
	d.addTXT("fail.test", "v=spf1 ip4:192.0.2.1 -all")
	d.addTXT("softfail.test", "v=spf1 ip4:192.0.2.1 ~all")
	d.addTXT("neutral.test", "v=spf1 ip4:192.0.2.1 ?all")
	d.addTXT("none.test", "not an spf record")
	d.servfail("temperror.test")
	// RFC 7208 §4.5: two SPF records are a permerror.
	d.addTXT("permerror.test", "v=spf1 ip4:127.0.0.1 -all")
	d.addTXT("permerror.test", "v=spf1 -all")
	// RFC 7208 §4.6.4: more than 10 DNS-querying terms, or more than 2
	// lookups that find nothing, are a permerror, even when a later term
	// would pass.
	for i := range 11 {
		d.addTXT(fmt.Sprintf("l%d.lookups.test", i), fmt.Sprintf("v=spf1 include:l%d.lookups.test ?all", i+1))
	}
	d.addTXT("l11.lookups.test", "v=spf1 ?all")
	d.addTXT("lookups.test", "v=spf1 include:l0.lookups.test ip4:127.0.0.1 -all")
	d.addTXT("short.lookups.test", "v=spf1 include:l9.lookups.test ip4:127.0.0.1 -all") // 3 lookups: passes
	d.addTXT("voids.test", "v=spf1 a:v1.voids.test a:v2.voids.test a:v3.voids.test ip4:127.0.0.1 -all")
	d.addTXT("twovoids.test", "v=spf1 a:v1.voids.test a:v2.voids.test ip4:127.0.0.1 -all") // 2 voids: passes
	// DMARC policies; the senders' SPF fails and nothing is signed.
	for _, dom := range []string{"reject.test", "quarantine.test", "dmarcdns.test"} {
		d.addTXT(dom, "v=spf1 ip4:192.0.2.1 -all")
	}
	d.addTXT("_dmarc.reject.test", "v=DMARC1; p=reject; rua=mailto:dmarc@reject.test")
	d.addTXT("_dmarc.quarantine.test", "v=DMARC1; p=quarantine")
	d.servfail("_dmarc.dmarcdns.test")
	d.servfail("down._domainkey.rsa.test")
	d.addTXT("attacker.test", "v=spf1 ip4:127.0.0.1 -all")
	d.addTXT("amech.test", "v=spf1 a:host.amech.test -all")
	d.addA("host.amech.test", "127.0.0.1")
	return d, keys
}

// TestInboundVerification sends messages to port 25 signed by dkimpy and
// sent by smtplib, and checks the Authentication-Results each gets, and
// where it is stored.
func TestInboundVerification(t *testing.T) {
	d, keys := inboundZone(t)
	e := newTestEnv(t, func(o *Options) { o.Resolver = d.resolver() })
	msg := func(from, subject string) string {
		return "From: <" + from + ">\r\nTo: <bob@example.test>\r\nSubject: " + subject +
			"\r\nMessage-ID: <" + subject + "@client.test>\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\nHello Bob,\r\nthis is " + subject + ".\r\n"
	}
	rsaSig := func(m pyMessage) pyMessage {
		m.key, m.selector, m.domain, m.alg = keys.rsaFile, "sel", "rsa.test", "rsa-sha256"
		return m
	}
	edSig := func(m pyMessage) pyMessage {
		m.key, m.selector, m.domain, m.alg = keys.edFile, "sel", "ed.test", "ed25519-sha256"
		return m
	}
	cases := []struct {
		name  string
		m     pyMessage
		code  int
		where string   // "INBOX", "Junk" or "" (nothing stored)
		want  []string // in the one Authentication-Results field
	}{
		{"dkim-rsa", rsaSig(pyMessage{mailFrom: "a@rsa.test", msg: msg("a@rsa.test", "dkim-rsa")}), 250, "INBOX",
			[]string{"mx.example.test;", "spf=pass smtp.mailfrom=a@rsa.test", "dkim=pass header.d=rsa.test", "dmarc=pass"}},
		{"dkim-ed25519", edSig(pyMessage{mailFrom: "a@ed.test", msg: msg("a@ed.test", "dkim-ed25519")}), 250, "INBOX",
			[]string{"spf=pass", "dkim=pass header.d=ed.test", "dmarc=pass"}},
		// SPF passes, so DMARC passes through SPF; the signature fails.
		{"dkim-rsa-tampered", rsaSig(pyMessage{mailFrom: "a@rsa.test", msg: msg("a@rsa.test", "dkim-rsa-tampered"), tamper: true}), 250, "INBOX",
			[]string{"dkim=fail", "header.d=rsa.test", "dmarc=pass"}},
		{"dkim-ed25519-tampered", edSig(pyMessage{mailFrom: "a@ed.test", msg: msg("a@ed.test", "dkim-ed25519-tampered"), tamper: true}), 250, "INBOX",
			[]string{"dkim=fail", "header.d=ed.test"}},
		{"spf-pass", pyMessage{mailFrom: "x@pass.test", msg: msg("x@pass.test", "spf-pass")}, 250, "INBOX",
			[]string{"spf=pass smtp.mailfrom=x@pass.test", "dkim=none", "dmarc=none"}},
		{"spf-fail", pyMessage{mailFrom: "x@fail.test", msg: msg("x@fail.test", "spf-fail")}, 250, "INBOX",
			[]string{"spf=fail smtp.mailfrom=x@fail.test"}},
		{"spf-softfail", pyMessage{mailFrom: "x@softfail.test", msg: msg("x@softfail.test", "spf-softfail")}, 250, "INBOX",
			[]string{"spf=softfail smtp.mailfrom=x@softfail.test"}},
		{"spf-neutral", pyMessage{mailFrom: "x@neutral.test", msg: msg("x@neutral.test", "spf-neutral")}, 250, "INBOX",
			[]string{"spf=neutral smtp.mailfrom=x@neutral.test"}},
		{"spf-none", pyMessage{mailFrom: "x@none.test", msg: msg("x@none.test", "spf-none")}, 250, "INBOX",
			[]string{"spf=none smtp.mailfrom=x@none.test"}},
		{"spf-nxdomain", pyMessage{mailFrom: "x@nowhere.test", msg: msg("x@nowhere.test", "spf-nxdomain")}, 250, "INBOX",
			[]string{"spf=none smtp.mailfrom=x@nowhere.test"}},
		{"spf-temperror", pyMessage{mailFrom: "x@temperror.test", msg: msg("x@temperror.test", "spf-temperror")}, 250, "INBOX",
			[]string{"spf=temperror smtp.mailfrom=x@temperror.test"}},
		{"spf-permerror", pyMessage{mailFrom: "x@permerror.test", msg: msg("x@permerror.test", "spf-permerror")}, 250, "INBOX",
			[]string{"spf=permerror smtp.mailfrom=x@permerror.test"}},
		{"spf-lookup-limit", pyMessage{mailFrom: "x@lookups.test", msg: msg("x@lookups.test", "spf-lookup-limit")}, 250, "INBOX",
			[]string{"spf=permerror smtp.mailfrom=x@lookups.test"}},
		{"spf-under-lookup-limit", pyMessage{mailFrom: "x@short.lookups.test", msg: msg("x@short.lookups.test", "spf-under-lookup-limit")}, 250, "INBOX",
			[]string{"spf=pass smtp.mailfrom=x@short.lookups.test"}},
		{"spf-under-void-limit", pyMessage{mailFrom: "x@twovoids.test", msg: msg("x@twovoids.test", "spf-under-void-limit")}, 250, "INBOX",
			[]string{"spf=pass smtp.mailfrom=x@twovoids.test"}},
		{"spf-void-limit", pyMessage{mailFrom: "x@voids.test", msg: msg("x@voids.test", "spf-void-limit")}, 250, "INBOX",
			[]string{"spf=permerror smtp.mailfrom=x@voids.test"}},
		{"spf-a-mechanism", pyMessage{mailFrom: "x@amech.test", msg: msg("x@amech.test", "spf-a-mechanism")}, 250, "INBOX",
			[]string{"spf=pass smtp.mailfrom=x@amech.test"}},
		// RFC 7208 §2.4: the null sender is checked by its HELO.
		{"spf-helo", pyMessage{mailFrom: "", msg: msg("mailer-daemon@client.test", "spf-helo")}, 250, "INBOX",
			[]string{"spf=pass smtp.helo=client.test"}},
		// A stranger's server, passing SPF for its own domain, with a
		// From: of a domain that says reject: refused, nothing stored.
		{"dmarc-reject", pyMessage{mailFrom: "x@attacker.test", msg: msg("ceo@reject.test", "dmarc-reject")}, 550, "", nil},
		// A second From: (RFC 7489 §6.6.1), or one our parser refuses,
		// cannot hide the domain that says reject.
		{"dmarc-two-from", pyMessage{mailFrom: "x@attacker.test", msg: "From: <x@attacker.test>\r\n" + msg("ceo@reject.test", "dmarc-two-from")}, 550, "", nil},
		{"dmarc-malformed-from", pyMessage{mailFrom: "x@attacker.test",
			msg: strings.Replace(msg("ceo@reject.test", "dmarc-malformed-from"), "From: <ceo@reject.test>", "From: CEO <ceo@reject.test> (unclosed", 1)}, 550, "", nil},
		// RFC 7489 §6.6.3: a subdomain without a record is covered by its
		// organizational domain's policy.
		{"dmarc-reject-subdomain", pyMessage{mailFrom: "x@attacker.test", msg: msg("ceo@mail.reject.test", "dmarc-reject-subdomain")}, 550, "", nil},
		// dkimpy signed with d=rsa.test, but From: says reject.test:
		// a valid signature that is not aligned does not pass DMARC.
		{"dmarc-unaligned-dkim", rsaSig(pyMessage{mailFrom: "x@attacker.test", msg: msg("ceo@reject.test", "dmarc-unaligned-dkim")}), 550, "", nil},
		// Aligned DKIM passes DMARC even though SPF fails (relaxed:
		// From: in a subdomain of the signing domain).
		{"dmarc-aligned-dkim", rsaSig(pyMessage{mailFrom: "x@fail.test", msg: msg("news@mail.rsa.test", "dmarc-aligned-dkim")}), 250, "INBOX",
			[]string{"spf=fail", "dkim=pass header.d=rsa.test", "dmarc=pass", "header.from=mail.rsa.test"}},
		// ed.test says adkim=s: a signature by ed.test does not align
		// with From: in a subdomain.
		{"dmarc-strict", edSig(pyMessage{mailFrom: "x@fail.test", msg: msg("news@mail.ed.test", "dmarc-strict")}), 550, "", nil},
		{"dmarc-quarantine", pyMessage{mailFrom: "x@quarantine.test", msg: msg("x@quarantine.test", "dmarc-quarantine")}, 250, "Junk",
			[]string{"spf=fail", "dmarc=fail", "header.from=quarantine.test", "p=quarantine"}},
		// rsa.test says p=reject and SPF fails, but the key of the
		// aligned signature could not be fetched: temperror, accepted.
		{"dkim-temperror", pyMessage{mailFrom: "x@fail.test", key: keys.rsaFile, selector: "down", domain: "rsa.test", alg: "rsa-sha256",
			msg: msg("a@rsa.test", "dkim-temperror")}, 250, "INBOX",
			[]string{"spf=fail", "dkim=temperror", "header.d=rsa.test", "dmarc=temperror"}},
		// The policy lookup failed: never a permanent refusal.
		{"dmarc-temperror", pyMessage{mailFrom: "x@dmarcdns.test", msg: msg("x@dmarcdns.test", "dmarc-temperror")}, 250, "INBOX",
			[]string{"spf=fail", "dmarc=temperror"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.m.rcpt = "bob@example.test"
			if code := pySend(t, e.mx, c.m); code != c.code {
				t.Fatalf("reply %d, want %d", code, c.code)
			}
			stored, where := e.find(c.name)
			if where != c.where {
				t.Fatalf("stored in %q, want %q", where, c.where)
			}
			if where == "" {
				return
			}
			ars := authResults(stored)
			if len(ars) != 1 {
				t.Fatalf("%d Authentication-Results fields, want 1:\n%s", len(ars), stored)
			}
			if !strings.HasPrefix(stripReturnPath(stored), "Authentication-Results: mx.example.test;") {
				t.Errorf("Authentication-Results is not the first field:\n%s", stored)
			}
			for _, w := range c.want {
				if !strings.Contains(ars[0], w) {
					t.Errorf("Authentication-Results %q lacks %q", ars[0], w)
				}
			}
		})
	}
}

// stripReturnPath drops the Return-Path field delivery puts on top.
func stripReturnPath(msg string) string {
	if strings.HasPrefix(msg, "Return-Path:") {
		if i := strings.Index(msg, "\r\n"); i >= 0 {
			return msg[i+2:]
		}
	}
	return msg
}
