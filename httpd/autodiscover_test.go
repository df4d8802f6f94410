package httpd

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// outlookRequest is what Outlook POSTs ([MS-OXDSCLI] §4.1).
func outlookRequest(addr string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="` + autodiscoverRequestNS + `">
  <Request>
    <EMailAddress>` + addr + `</EMailAddress>
    <AcceptableResponseSchema>` + autodiscoverOutlookNS + `</AcceptableResponseSchema>
  </Request>
</Autodiscover>`
}

// parsedAutodiscover is the response as a reader of the schema sees it.
type parsedAutodiscover struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
		Account struct {
			AccountType string `xml:"AccountType"`
			Action      string `xml:"Action"`
			Protocol    []struct {
				Type       string `xml:"Type"`
				Server     string `xml:"Server"`
				Port       int    `xml:"Port"`
				LoginName  string `xml:"LoginName"`
				SSL        string `xml:"SSL"`
				Encryption string `xml:"Encryption"`
			} `xml:"Protocol"`
		} `xml:"Account"`
	} `xml:"Response"`
}

// TestAutodiscover: Outlook's POX request at both hosts (and the path as
// Outlook spells it) gets the enabled listeners with the full address
// as login name; bad requests get 400, other domains 404.
func TestAutodiscover(t *testing.T) {
	ports := Ports{IMAPS: 993, POP3: 110, Submissions: 465, Submission: 587}
	w := startWebFront(t, ports)
	for _, u := range []string{
		"https://autodiscover.example.test/autodiscover/autodiscover.xml",
		"https://example.test/Autodiscover/Autodiscover.xml",
		"https://mail.example.test/autodiscover/autodiscover.xml",
	} {
		resp, body := w.do(t, "POST", u, outlookRequest("Alice@Example.test"))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s %q", u, resp.Status, body)
		}
		var p parsedAutodiscover
		if err := xml.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("%s: response does not parse: %v\n%s", u, err, body)
		}
		a := p.Response.Account
		var got []string
		for _, pr := range a.Protocol {
			got = append(got, fmt.Sprintf("%s %d %s %s %s", pr.Type, pr.Port, pr.Encryption, pr.Server, pr.LoginName))
		}
		want := []string{
			"IMAP 993 SSL mail.example.test alice@example.test",
			"POP3 110 TLS mail.example.test alice@example.test",
			"SMTP 465 SSL mail.example.test alice@example.test",
			"SMTP 587 TLS mail.example.test alice@example.test",
		}
		if a.AccountType != "email" || a.Action != "settings" || !slices.Equal(got, want) {
			t.Errorf("%s: account %s/%s protocols %q, want %q", u, a.AccountType, a.Action, got, want)
		}
	}
	for _, tc := range []struct {
		body string
		code int
	}{
		{outlookRequest("alice@nowhere.test"), 404},
		{outlookRequest("not an address"), 400},
		{outlookRequest(""), 400},
		{"", 400},
		{"<Autodiscover><Request></Request></Autodiscover>", 400},
		{"<Other><Request><EMailAddress>alice@example.test</EMailAddress></Request></Other>", 400},
		{"<Autodiscover><Request><EMailAddress>alice@example.test</EMailAddress>", 400},
		{strings.Replace(outlookRequest("alice@example.test"), autodiscoverOutlookNS,
			"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006", 1), 400},
		{`<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><Autodiscover><Request><EMailAddress>&e;</EMailAddress></Request></Autodiscover>`, 400},
		{"<Autodiscover>" + strings.Repeat("<a>", 100) + "</Autodiscover>", 400},
		{outlookRequest(strings.Repeat("a", 400) + "@example.test"), 400},
		{outlookRequest("alice@example.test") + strings.Repeat(" ", maxAutodiscoverBody), 413},
	} {
		resp, body := w.do(t, "POST", "https://autodiscover.example.test/autodiscover/autodiscover.xml", tc.body)
		if resp.StatusCode != tc.code {
			b := tc.body
			if len(b) > 200 {
				b = b[:200]
			}
			t.Errorf("request %q: %s %q, want %d", b, resp.Status, body, tc.code)
		}
	}
}

func TestParseAutodiscoverRequest(t *testing.T) {
	req, err := parseAutodiscoverRequest(strings.NewReader(outlookRequest(" alice@example.test\n")))
	if err != nil || req.EMailAddress != "alice@example.test" || req.Schema != autodiscoverOutlookNS {
		t.Fatalf("%+v %v", req, err)
	}
	// Text split by a comment is joined; an address elsewhere is not it.
	req, err = parseAutodiscoverRequest(strings.NewReader(
		"<Autodiscover><EMailAddress>x@example.test</EMailAddress><Request><EMailAddress>al<!-- c -->ice@example.test</EMailAddress></Request></Autodiscover>"))
	if err != nil || req.EMailAddress != "alice@example.test" {
		t.Fatalf("%+v %v", req, err)
	}
	if _, err := parseAutodiscoverRequest(strings.NewReader("<Autodiscover><EMailAddress>x@example.test</EMailAddress></Autodiscover>")); !errors.Is(err, errBadAutodiscover) {
		t.Fatalf("address outside Request: %v", err)
	}
}

// FuzzParseAutodiscoverRequest: the parser never panics, and what it
// returns respects its bounds.
func FuzzParseAutodiscoverRequest(f *testing.F) {
	f.Add(outlookRequest("alice@example.test"))
	f.Add("<Autodiscover><Request><EMailAddress>a@b</EMailAddress></Request></Autodiscover>")
	f.Add("<Autodiscover><Request><EMailAddress><![CDATA[a@b]]></EMailAddress></Request></Autodiscover>")
	f.Add(`<!DOCTYPE a [<!ENTITY e "x">]><Autodiscover><Request><EMailAddress>&e;&amp;</EMailAddress></Request></Autodiscover>`)
	f.Add("<Autodiscover><Request><EMailAddress>a@b</EMailAddress></Request></Autodiscover><Autodiscover/>")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		req, err := parseAutodiscoverRequest(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, errBadAutodiscover) {
				t.Fatalf("error %v is not errBadAutodiscover", err)
			}
			return
		}
		if req.EMailAddress == "" || len(req.EMailAddress) > maxAddressLen+len(autodiscoverOutlookNS) || len(req.Schema) > maxAddressLen+len(autodiscoverOutlookNS) {
			t.Fatalf("parsed %+v", req)
		}
	})
}

// FuzzAddressParameter: whatever ?emailaddress= holds, the autoconfig
// and profile handlers answer 200, 400 or 404, and a 200 is well-formed
// XML naming only a local domain.
func FuzzAddressParameter(f *testing.F) {
	for _, s := range []string{"alice@example.test", "Alice@EXAMPLE.test.", "a@nowhere.test", "", "@", "a<b>@example.test",
		"a&b@example.test", "a'b@example.test", "ä@example.test", "a@xn--bcher-kva.test", "a\x00@example.test", "a@example.test\r\n"} {
		f.Add(s)
	}
	site := NewSite(SiteOptions{Hostname: "mail.example.test", Ports: allPorts,
		Domains: &testDomains{domains: map[string]bool{"example.test": true}}})
	h := site.SecureHandler()
	f.Fuzz(func(t *testing.T, addr string) {
		for _, path := range []string{"/mail/config-v1.1.xml", "/apple/mail.mobileconfig"} {
			r := httptest.NewRequest("GET", "https://autoconfig.example.test"+path, nil)
			r.URL.RawQuery = "emailaddress=" + url.QueryEscape(addr)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			switch rec.Code {
			case http.StatusOK:
				body := rec.Body.String()
				d := xml.NewDecoder(strings.NewReader(body))
				for {
					_, err := d.Token()
					if err != nil {
						if err.Error() != "EOF" {
							t.Fatalf("%s for %q: not well-formed: %v\n%s", path, addr, err, body)
						}
						break
					}
				}
				if !strings.Contains(body, "example.test") {
					t.Fatalf("%s for %q: %s", path, addr, body)
				}
			case http.StatusBadRequest, http.StatusNotFound:
			default:
				t.Fatalf("%s for %q: %d", path, addr, rec.Code)
			}
		}
	})
}

// TestEscaping: an address with the characters XML gives a meaning to
// (allowed in a dot-atom: & ' { }) comes back intact, as text, in the
// autodiscover response and the profile.
func TestEscaping(t *testing.T) {
	w := startWebFront(t, allPorts)
	addr := "o'brien&co{x}@example.test"
	_, body := w.do(t, "POST", "https://autodiscover.example.test/autodiscover/autodiscover.xml",
		outlookRequest("o'brien&amp;co{x}@example.test"))
	var p parsedAutodiscover
	if err := xml.Unmarshal([]byte(body), &p); err != nil || len(p.Response.Account.Protocol) == 0 ||
		p.Response.Account.Protocol[0].LoginName != addr {
		t.Fatalf("autodiscover: %v %+v\n%s", err, p, body)
	}
	resp, body := w.do(t, "GET", "https://mail.example.test/apple/mail.mobileconfig?emailaddress="+url.QueryEscape(addr), "")
	if resp.StatusCode != 200 || !strings.Contains(body, "<string>o&#39;brien&amp;co{x}@example.test</string>") {
		t.Fatalf("profile: %s\n%s", resp.Status, body)
	}
	d := xml.NewDecoder(strings.NewReader(body))
	found := false
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if cd, ok := tok.(xml.CharData); ok && string(cd) == addr {
			found = true
		}
	}
	if !found {
		t.Fatalf("the profile does not hold %q as text:\n%s", addr, body)
	}
}
