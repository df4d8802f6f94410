package queue

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailserver/mailserver/queue/dkimtest"
	"github.com/mailserver/mailserver/store"
)

// dkimBody has what makes signing hard: 8-bit UTF-8 in header and body
// (8BITMIME), folded header fields longer than a line, a List-Id, trailing
// blanks and empty lines at the end of the body.
var dkimBody = "From: =?utf-8?q?Alice_B=C3=A9?= <alice@local.test>\r\n" +
	"To: x@remote.test,\r\n\ty@remote.test,\r\n  \"A long display name that goes on and on\" <z@remote.test>\r\n" +
	"Cc: c@remote.test\r\n" +
	"Subject: a subject line that is long enough to be folded by any sane mail user agent\r\n" +
	" and continued on a second line  with  extra   spaces\r\n" +
	"Date: Tue, 01 Dec 2026 12:00:00 +0000\r\n" +
	"Message-ID: <dkim-1@local.test>\r\n" +
	"List-Id: Test list <test.local.test>\r\n" +
	"X-Unsigned: whatever\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"Grüße aus Köln — 8-bit body.   \r\n" +
	strings.Repeat("a long line of text ", 40) + "\r\n" +
	".leading dot\r\n\r\n\r\n"

func dkimEnv(t *testing.T) (*testEnv, *remote, *Queue) {
	e, r, q := dkimEnvStopped(t)
	run(t, q)
	return e, r, q
}

// dkimEnvStopped is dkimEnv without the scheduler running.
func dkimEnvStopped(t *testing.T) (*testEnv, *remote, *Queue) {
	e := newEnv(t)
	rs, port := startRemotes(t, remoteOpts{}, "127.0.0.2")
	e.dns.add(t, "remote.test. MX 10 mx.remote.test.")
	e.dns.add(t, "mx.remote.test. A 127.0.0.2")
	o := e.opts(port)
	o.DKIM = e.st
	return e, rs[0], New(e.st, o)
}

func dkimRecords(t *testing.T, st *store.Store, domain string) map[string]string {
	keys, err := st.DKIMKeys(context.Background(), domain)
	if err != nil {
		t.Fatal(err)
	}
	return dkimtest.Records(keys)
}

// TestDKIMSignedMessageVerifies: mail from a local domain to a remote one
// arrives with an Ed25519 and an RSA signature, relaxed/relaxed, that
// dkimpy and OpenDKIM verify; the local copy of the same message is not signed.
func TestDKIMSignedMessageVerifies(t *testing.T) {
	e, r, q := dkimEnv(t)
	env := &Envelope{From: "alice@local.test", Body8Bit: true, AuthUser: "alice@local.test",
		Recipients: []Recipient{{Address: "x@remote.test"}, {Address: "y@remote.test"}, {Address: "alice@local.test"}}}
	if _, err := q.Submit(context.Background(), env, store.NewBody([]byte(dkimBody))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	txns := r.transactions()
	if len(txns) != 1 {
		t.Fatalf("%d transactions", len(txns))
	}
	msg := txns[0].data
	if !bytes.HasSuffix(msg, []byte(dkimBody)) {
		t.Fatalf("message changed beyond the prepended signatures:\n%s", msg)
	}
	sigs := dkimSignatures(msg)
	if len(sigs) != 2 {
		t.Fatalf("%d DKIM-Signature fields:\n%s", len(sigs), msg)
	}
	for _, s := range sigs {
		for _, want := range []string{"c=relaxed/relaxed", "d=local.test", "h=From:From:To:Cc:Subject:Date:Message-ID:MIME-Version:Content-Type:Content-Transfer-Encoding:List-Id"} {
			if !strings.Contains(strings.Join(strings.Fields(s), ""), want) {
				t.Errorf("signature lacks %s: %s", want, s)
			}
		}
		if strings.Contains(s, "X-Unsigned") {
			t.Errorf("signature covers an unlisted field: %s", s)
		}
	}
	recs := dkimRecords(t, e.st, "local.test")
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, msg, recs), "local.test")
	dkimtest.RequireBoth(t, dkimtest.OpenDKIMVerify(t, msg, recs), "local.test")

	// The verifier is not vacuous: one body byte changed, a From added
	// on top (From is over-signed): both signatures fail.
	for name, bad := range map[string][]byte{
		"body":       bytes.Replace(msg, []byte("Köln"), []byte("Koln"), 1),
		"extra From": append([]byte("From: mallory@evil.test\r\n"), msg...),
	} {
		results := append(dkimtest.Dkimpy(t, bad, recs), dkimtest.OpenDKIMVerify(t, bad, recs)...)
		if len(results) != 4 {
			t.Errorf("%s: %d results from two verifiers, want 4: %+v", name, len(results), results)
		}
		for _, res := range results {
			if res.OK {
				t.Errorf("%s: a tampered message verifies: %+v", name, res)
			}
		}
	}

	local := inbox(t, e.st, e.alice)
	if len(local) != 1 || bytes.Contains(local[0], []byte("DKIM-Signature")) {
		t.Fatalf("local copy: %d messages, signed: %q", len(local), local)
	}
}

// TestDKIMNotSigned: a From outside the local domains is not signed (a
// forward of someone else's mail); nor is a local From on mail that came
// unauthenticated from the internet to an alias forwarding to a remote
// address (a forged From must not leave with our signature).
func TestDKIMNotSigned(t *testing.T) {
	e, r, q := dkimEnv(t)
	if err := e.st.AddAlias(context.Background(), "fwd@local.test", []string{"x@remote.test"}); err != nil {
		t.Fatal(err)
	}
	foreign := "From: bob@elsewhere.test\r\nTo: x@remote.test\r\nSubject: hi\r\n\r\nhi\r\n"
	forged := "From: alice@local.test\r\nTo: fwd@local.test\r\nSubject: forged\r\n\r\nhi\r\n"
	for _, env := range []*Envelope{
		{From: "alice@local.test", AuthUser: "alice@local.test", Recipients: []Recipient{{Address: "x@remote.test"}}},
		{From: "mallory@evil.test", Recipients: []Recipient{{Address: "fwd@local.test"}}},
	} {
		body := foreign
		if env.AuthUser == "" {
			body = forged
		}
		if _, err := q.Submit(context.Background(), env, store.NewBody([]byte(body))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "queue empty", queueEmpty(t, e.st))
	}
	txns := r.transactions()
	if len(txns) != 2 || string(txns[0].data) != foreign || string(txns[1].data) != forged {
		t.Fatalf("transactions %+v", txns)
	}
}

// TestDKIMSignedOnce: the signatures are made at Submit and stored with
// the message, before any attempt; a retried delivery then sends exactly
// the stored bytes.
func TestDKIMSignedOnce(t *testing.T) {
	e, r, q := dkimEnvStopped(t)
	res, err := q.Submit(context.Background(), &Envelope{From: "alice@local.test", Trusted: true,
		Recipients: []Recipient{{Address: "x@remote.test"}}}, store.NewBody([]byte(testBody)))
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.st.QueueGet(context.Background(), res.QueueID)
	if err != nil {
		t.Fatal(err)
	}
	br, err := e.st.OpenBody(m.BodyID)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(br)
	br.Close()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(dkimSignatures(stored)); n != 2 || !bytes.HasSuffix(stored, []byte(testBody)) {
		t.Fatalf("stored body has %d signatures:\n%s", n, stored)
	}
	var attempts atomic.Int32
	r.setData(func() error {
		if attempts.Add(1) == 1 {
			return smtpErr(451, [3]int{4, 3, 0}, "try later")
		}
		return nil
	})
	run(t, q)
	waitFor(t, "queue empty", queueEmpty(t, e.st))
	txns := r.transactions()
	if len(txns) != 1 || attempts.Load() != 2 || !bytes.Equal(txns[0].data, stored) {
		t.Fatalf("%d attempts, %d transactions; sent\n%s\nstored\n%s", attempts.Load(), len(txns), txns[0].data, stored)
	}
}

// TestDKIMSignedDSN: a DSN to a remote sender, From MAILER-DAEMON@ the
// host (mx.local.test), is signed with the key of local.test (relaxed
// DMARC alignment) and verifies, the returned 8-bit message included.
func TestDKIMSignedDSN(t *testing.T) {
	e, r, q := dkimEnv(t)
	e.dns.add(t, "fail.test. MX 10 mx.fail.test.")
	e.dns.add(t, "mx.fail.test. A 127.0.0.2")
	r.setRcpt(func(to string) error {
		if strings.HasSuffix(to, "@fail.test") {
			return smtpErr(550, [3]int{5, 1, 1}, "no such user")
		}
		return nil
	})
	env := &Envelope{From: "bob@remote.test", Ret: "FULL", Recipients: []Recipient{{Address: "nobody@fail.test"}}}
	if _, err := q.Submit(context.Background(), env, store.NewBody([]byte(strings.ReplaceAll(dkimBody, "alice@local.test", "bob@remote.test")))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "DSN delivered", func() bool { return len(r.transactions()) == 1 })
	dsn := r.transactions()[0]
	if dsn.from != "" || !bytes.Contains(dsn.data, []byte("MAILER-DAEMON@mx.local.test")) {
		t.Fatalf("not the DSN: from %q\n%s", dsn.from, dsn.data)
	}
	recs := dkimRecords(t, e.st, "local.test")
	dkimtest.RequireBoth(t, dkimtest.Dkimpy(t, dsn.data, recs), "local.test")
	dkimtest.RequireBoth(t, dkimtest.OpenDKIMVerify(t, dsn.data, recs), "local.test")
}

// dkimSignatures returns the DKIM-Signature fields of msg's header.
func dkimSignatures(msg []byte) []string {
	header, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	var out []string
	for _, f := range strings.Split(strings.NewReplacer("\r\n\t", "\t", "\r\n ", " ").Replace(string(header)), "\r\n") {
		if strings.HasPrefix(strings.ToLower(f), "dkim-signature:") {
			out = append(out, f)
		}
	}
	return out
}

// BenchmarkDKIMSign: CPU per message of the dual signature (Ed25519 and
// RSA-2048, relaxed/relaxed) at Submit, key lookup in the store included,
// for a 1 KiB and a 100 KiB message.
func BenchmarkDKIMSign(b *testing.B) {
	for _, size := range []int{1 << 10, 100 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			e := newEnv(b)
			q := New(e.st, Options{Hostname: "mx.local.test", DKIM: e.st})
			msg := []byte("From: alice@local.test\r\nTo: x@remote.test\r\nSubject: bench\r\nDate: Tue, 01 Dec 2026 12:00:00 +0000\r\nMessage-ID: <b@local.test>\r\n\r\n")
			for len(msg) < size {
				msg = append(msg, strings.Repeat("x", 76)+"\r\n"...)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				sig, err := q.dkimSign(ctx, bytes.NewReader(msg), time.Now())
				if err != nil || len(sig) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDKIMHeaderSection: the header section ends at the first empty
// line, not at a CRLF that ends a line longer than the read buffer.
func TestDKIMHeaderSection(t *testing.T) {
	long := "X-Long: " + strings.Repeat("y", 4096-len("X-Long: ")) + "\r\n"
	msg := "From: a@local.test\r\n" + long + "Subject: s\r\n\r\nbody\r\n"
	h, err := readHeaderSection(bufio.NewReaderSize(strings.NewReader(msg), 4096))
	if err != nil || string(h) != strings.TrimSuffix(msg, "body\r\n") {
		t.Fatalf("header %q, %v", h, err)
	}
	names, from := headerFields(h)
	if strings.Join(names, ",") != "From,X-Long,Subject" || from != "a@local.test" {
		t.Fatalf("fields %q from %q", names, from)
	}
}
