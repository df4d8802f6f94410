package main

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/miekg/dns"
)

// TestInboundVerificationConfigured: `serve` with the default [inbound]
// verifies port 25 mail through [delivery] resolver: a From: of a domain
// publishing DMARC p=reject, sent by a stranger, is refused with 550
// 5.7.1; the stranger's own mail is accepted and authenticated.
func TestInboundVerificationConfigured(t *testing.T) {
	zone := map[string]string{
		"attacker.test.":      "v=spf1 ip4:127.0.0.1 -all",
		"reject.test.":        "v=spf1 -all",
		"_dmarc.reject.test.": "v=DMARC1; p=reject",
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		if v, ok := zone[strings.ToLower(q.Name)]; ok && q.Qtype == dns.TypeTXT {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{v}})
		} else if !ok {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	started := make(chan struct{})
	ds := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go ds.ActivateAndServe()
	<-started
	t.Cleanup(func() { ds.Shutdown() })

	e := newTestEnv(t, map[string]string{"smtp": "127.0.0.1:0"},
		"domains = [\"example.test\"]\n[delivery]\nresolver = \""+pc.LocalAddr().String()+"\"\n[inbound]\nverify = true\n")
	e.mustRun(t, "bob-secret\n", "user", "add", "bob@example.test", "--password-stdin")
	s := e.start(t)
	defer s.stop(t)

	sendOne := func(from, headerFrom string) error {
		c, err := smtp.Dial(s.addrs["smtp"])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		msg := "From: <" + headerFrom + ">\r\nTo: <bob@example.test>\r\nSubject: hi\r\n\r\nHello\r\n"
		return c.SendMail(from, []string{"bob@example.test"}, strings.NewReader(msg))
	}
	var se *smtp.SMTPError
	err = sendOne("x@attacker.test", "ceo@reject.test")
	if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
		t.Fatalf("forged From: of a p=reject domain: %v, want 550 5.7.1", err)
	}
	if err := sendOne("x@attacker.test", "x@attacker.test"); err != nil {
		t.Fatalf("the stranger's own mail: %v", err)
	}
	if !strings.Contains(s.log.String(), "spf=pass") {
		t.Errorf("no authenticated message in the log:\n%s", s.log)
	}
}
