package sieve

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// script50 is a typical 50-rule filter without body tests: list sorting,
// sender and subject rules, a few address and size tests.
func script50() string {
	var b strings.Builder
	b.WriteString(`require ["fileinto", "imap4flags", "envelope", "subaddress", "variables", "relational", "copy"];` + "\n")
	for i := 0; i < 50; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "if header :contains \"list-id\" \"list%d.example.org\" { fileinto \"Lists/l%d\"; stop; }\n", i, i)
		case 1:
			fmt.Fprintf(&b, "if address :domain :is \"from\" \"sender%d.example\" { addflag \"\\\\Flagged\"; fileinto \"From/s%d\"; }\n", i, i)
		case 2:
			fmt.Fprintf(&b, "if header :matches \"subject\" \"*[project-%d]*\" { fileinto \"Projects/p%d\"; }\n", i, i)
		case 3:
			fmt.Fprintf(&b, "if anyof (size :over 5M, header :is \"x-spam-flag\" \"YES%d\") { fileinto \"Junk\"; stop; }\n", i)
		case 4:
			fmt.Fprintf(&b, "if envelope :detail \"to\" \"tag%d\" { fileinto :copy \"Tags/t%d\"; }\n", i, i)
		}
	}
	b.WriteString("keep;\n")
	return b.String()
}

// message10K is a typical 10 KiB message: a realistic header and a text body.
func message10K() []byte {
	var b strings.Builder
	b.WriteString("Return-Path: <alice@example.net>\r\n")
	for i := 0; i < 4; i++ {
		fmt.Fprintf(&b, "Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d])\r\n\tby mail.example.com with ESMTPS id abc%d\r\n\tfor <me@example.com>; Tue, 02 Jan 2024 09:30:0%d +0100\r\n", i, i, i, i, i)
	}
	b.WriteString("DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=sel; h=from:to:subject:date;\r\n\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdHNpZ25hdHVyZQ==\r\n")
	b.WriteString("From: Alice Example <alice@example.net>\r\nTo: Me <me@example.com>, Other <other@example.org>\r\nCc: team@example.com\r\n")
	b.WriteString("Subject: Re: weekly status of the migration\r\nDate: Tue, 02 Jan 2024 09:30:00 +0100\r\nMessage-ID: <m0@example.net>\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	line := "The quick brown fox jumps over the lazy dog; status of the migration is fine.\r\n"
	for b.Len() < 10<<10 {
		b.WriteString(line)
	}
	return []byte(b.String())
}

func BenchmarkParse50Rules(b *testing.B) {
	src := []byte(script50())
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRun50Rules10KiB(b *testing.B) {
	s, err := Parse([]byte(script50()), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	in := &Input{EnvelopeFrom: "alice@example.net", EnvelopeTo: "me+box@example.com",
		Message: message10K(), Now: time.Date(2024, 1, 2, 9, 30, 0, 0, time.UTC)}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Run(ctx, in)
		if err != nil || len(res.Actions) != 1 {
			b.Fatalf("run: %v %v", res, err)
		}
	}
}
