package compose

import (
	"errors"
	"net/mail"
	"strings"
	"testing"
)

func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{"a@example.org", `"Doe, J" <j@x.org>; b@y.org`, "(c) <a@b.c>", "<<<", "\"\\", "a@[1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseAddressList("To", s)
		if err != nil {
			return
		}
		for _, a := range l {
			if ValidAddress(a.Address) != nil {
				t.Fatalf("%q: invalid address %q returned", s, a.Address)
			}
		}
		// What is formatted parses back to the same addresses.
		again, err := ParseAddressList("To", FormatAddressList(l))
		if err != nil || len(again) != len(l) {
			t.Fatalf("%q: formatted %q does not parse back: %v", s, FormatAddressList(l), err)
		}
	})
}

func FuzzOriginal(f *testing.F) {
	f.Add([]byte(original))
	f.Add([]byte("Subject: x\r\n\r\nbody"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>x<script>y</script>\r\n--a--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := ParseOriginal(raw)
		if err != nil {
			return
		}
		own := func(string) bool { return false }
		for _, m := range []*Message{Reply(o, own, true), Forward(o, raw, false), Forward(o, raw, true)} {
			m.From, m.To = &mail.Address{Address: "me@example.org"}, []*mail.Address{{Address: "you@example.org"}}
			var ae *AddressError
			if _, err := Build(m); err != nil && !errors.As(err, &ae) && !strings.Contains(err.Error(), "message id") && !strings.Contains(err.Error(), "recipients") {
				t.Fatalf("build: %v", err)
			}
		}
	})
}

func FuzzFlow(f *testing.F) {
	f.Add("a b c\nFrom x\n x\n> q \n-- \n")
	f.Add(strings.Repeat("word ", 50))
	f.Fuzz(func(t *testing.T, s string) {
		text := normalizeText(s)
		if strings.ContainsAny(strings.ReplaceAll(text, "\r\n", ""), "\r\n") {
			t.Fatalf("normalizeText left a bare CR or LF: %q", text)
		}
		out := flow(text)
		for _, l := range strings.Split(out, "\r\n") {
			if len([]rune(l)) > flowedWidth+1 && !strings.HasPrefix(l, ">") && strings.Contains(strings.TrimSpace(l), " ") {
				t.Fatalf("line of %d runes with a space to break at: %q", len([]rune(l)), l)
			}
		}
	})
}
