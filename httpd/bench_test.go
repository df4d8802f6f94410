package httpd

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkAutoconfig is one autoconfig answer through the HTTPS
// handler (host classification, address check, XML), without sockets.
func BenchmarkAutoconfig(b *testing.B) {
	site := NewSite(SiteOptions{Hostname: "mail.example.test", Ports: allPorts,
		Domains: &testDomains{domains: map[string]bool{"example.test": true}}})
	h := site.SecureHandler()
	for b.Loop() {
		r := httptest.NewRequest("GET", "https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test", nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkParseAutodiscoverRequest parses a request at the size cap.
func BenchmarkParseAutodiscoverRequest(b *testing.B) {
	in := outlookRequest("alice@example.test")
	in = strings.Replace(in, "<Request>", "<Request>"+strings.Repeat("<x a=\"1\">t</x>", (maxAutodiscoverBody-len(in))/16), 1)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := parseAutodiscoverRequest(strings.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
}
