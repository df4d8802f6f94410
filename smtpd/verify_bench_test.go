package smtpd

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/store"
)

// mapResolver answers from memory, so that the benchmark measures the
// verification's CPU, not DNS round trips.
type mapResolver map[string][]string

func (m mapResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := m[strings.TrimSuffix(strings.ToLower(name), ".")]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (m mapResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (m mapResolver) LookupIPAddr(_ context.Context, name string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (m mapResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
}

// BenchmarkVerify is the CPU per 1 KiB message of inbound verification
// (SPF with one ip4 mechanism, one DKIM signature, DMARC, the header
// field), DNS answered from memory: the cost port 25 adds per message.
func BenchmarkVerify(b *testing.B) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	rpub, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	epub, epriv, _ := ed25519.GenerateKey(rand.Reader)
	res := mapResolver{
		"sender.test":                {"v=spf1 ip4:192.0.2.10 -all"},
		"_dmarc.sender.test":         {"v=DMARC1; p=reject"},
		"rsa._domainkey.sender.test": {"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rpub)},
		"ed._domainkey.sender.test":  {"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(epub)},
	}
	msg := "Received: from client.test ([192.0.2.10])\r\n\tby mx.example.test with ESMTP id X; Mon, 02 Jan 2006 15:04:05 +0000\r\n" +
		"From: <a@sender.test>\r\nTo: <bob@example.test>\r\nSubject: bench\r\nMessage-ID: <b@sender.test>\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\n" +
		strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n", 16)
	for _, c := range []struct {
		name     string
		selector string
		signer   crypto.Signer
	}{{"rsa2048", "rsa", rk}, {"ed25519", "ed", epriv}, {"unsigned", "", nil}} {
		signed := msg
		if c.signer != nil {
			var out bytes.Buffer
			err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: "sender.test", Selector: c.selector, Signer: c.signer,
				HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
				HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"}})
			if err != nil {
				b.Fatal(err)
			}
			signed = out.String()
		}
		v := verifier{r: res}
		ip := net.ParseIP("192.0.2.10")
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				body := store.NewBody([]byte(signed))
				hdr := readHeaderBlock(body.Reader())
				out := v.verify(context.Background(), ip, "client.test", "a@sender.test", body, hdr)
				if out.dmarc.value != "pass" && c.signer != nil {
					b.Fatalf("dmarc=%s", out.dmarc.value)
				}
				body, _ = withoutForgedResults(body, hdr, "mx.example.test")
				body.Prepend([]byte(authResultsField("mx.example.test", out)))
			}
		})
	}
}

// BenchmarkAcceptVerified is BenchmarkAccept's port 25 acceptance of 1
// KiB DKIM-signed (RSA-2048) messages from 20 connections, with inbound
// verification off and on (DNS answered from memory): what verification
// costs the acceptance rate.
func BenchmarkAcceptVerified(b *testing.B) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	rpub, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	res := mapResolver{
		"remote.test":                {"v=spf1 ip4:127.0.0.1 -all"},
		"_dmarc.remote.test":         {"v=DMARC1; p=reject"},
		"rsa._domainkey.remote.test": {"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(rpub)},
	}
	msg := "From: <bench@remote.test>\r\nTo: <alice@example.test>\r\nSubject: bench\r\nDate: Mon, 02 Jan 2006 15:04:05 +0000\r\n\r\n" +
		strings.Repeat(strings.Repeat("x", 78)+"\r\n", 12)
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, strings.NewReader(msg), &dkim.SignOptions{Domain: "remote.test", Selector: "rsa", Signer: rk,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed}); err != nil {
		b.Fatal(err)
	}
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("verify=%v", on), func(b *testing.B) {
			e := newTestEnv(b, func(o *Options) {
				if on {
					o.Resolver = res
				}
			})
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			start := time.Now()
			for range 20 {
				wg.Go(func() {
					c, err := smtp.Dial(e.mx)
					if err != nil {
						errs <- err
						return
					}
					defer c.Close()
					for next.Add(1) <= int64(b.N) {
						if err := send(c, "bench@remote.test", []string{"alice@example.test"}, signed.String()); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
		})
	}
}
