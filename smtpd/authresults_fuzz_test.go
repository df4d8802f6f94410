package smtpd

import (
	"io"
	"strings"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// FuzzForgedResults: whatever the header looks like, after
// withoutForgedResults no field (as readHeaderBlock splits it) carries our
// authserv-id, the body after the header is untouched, and the fields
// kept are the input's, in order.
func FuzzForgedResults(f *testing.F) {
	for _, s := range []string{
		"Authentication-Results: mx.example.test; spf=pass\r\nFrom: a@b.test\r\n\r\nbody\r\n",
		"authentication-results:(c (nested)) \"MX.example.test\" 1; dkim=pass\r\n\tfolded\r\n\r\n",
		"Authentication-Results: other.test; spf=pass\r\nAuthentication-Results: mx.example.test\r\n",
		"no colon line\r\nAuthentication-Results : mx.example.test; x=y\r\n\r\nAuthentication-Results: mx.example.test\r\n",
		"From: =?utf-8?q?x?= <a@b.test>, \"q@r\" <c@d.test>\r\n\r\n",
		"",
		"\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		in := store.NewBody([]byte(msg))
		norm := string(in.Bytes()) // line endings as the store keeps them
		h := readHeaderBlock(in.Reader())
		out, _ := withoutForgedResults(in, h, "mx.example.test")
		b, err := io.ReadAll(out.Reader())
		if err != nil {
			t.Fatal(err)
		}
		got := readHeaderBlock(strings.NewReader(string(b)))
		for _, fl := range got.fields {
			if strings.EqualFold(fl.name, "Authentication-Results") && strings.EqualFold(authServID(got.value(fl)), "mx.example.test") {
				t.Fatalf("forged field kept: %q", got.raw[fl.start:fl.end])
			}
		}
		if !strings.HasSuffix(norm, string(b[len(got.raw):])) {
			t.Fatalf("body after the header changed")
		}
		_ = h.fromDomains()
	})
}
