package httpd

import (
	"encoding/json"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Clients nobody here wrote: curl and Python's urllib (with
// xml.etree and plistlib) fetch what Thunderbird, Outlook and Apple
// devices fetch. Both tools must be installed (Debian: curl, python3).

func need(t *testing.T, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is needed for this test (Debian package %s): %v", tool, pkg, err)
	}
	return p
}

// curl fetches u with the names mapped to the web front's sockets.
func (w *webFront) curl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	curl := need(t, "curl", "curl")
	_, plainPort, _ := net.SplitHostPort(w.plainAddr)
	_, tlsPort, _ := net.SplitHostPort(w.tlsAddr)
	base := []string{"-sS", "--max-time", "60", "--cacert", w.caFile,
		"--connect-to", "::127.0.0.1:" + plainPort, // port 80 of any name
	}
	// --connect-to takes the first match: map :443 first.
	base = append([]string{"--connect-to", ":443:127.0.0.1:" + tlsPort}, base...)
	out, err := exec.Command(curl, append(base, args...)...).Output()
	return string(out), err
}

// TestAutoconfigWithCurl: curl fetches autoconfig at both hosts and
// paths over http and https, verifying the name against the test
// certificate; the XML names exactly the listeners that are on.
func TestAutoconfigWithCurl(t *testing.T) {
	ports := Ports{IMAPS: 993, IMAP: 143, Submissions: 465}
	w := startWebFront(t, ports)
	for _, u := range []string{
		"http://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice@example.test",
		"https://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice@example.test",
		"http://example.test/.well-known/autoconfig/mail/config-v1.1.xml",
		"https://example.test/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice%40example.test",
	} {
		out, err := w.curl(t, "--fail", u)
		if err != nil {
			t.Fatalf("curl %s: %v %s", u, err, out)
		}
		checkAutoconfig(t, "curl "+u, out, ports, "example.test")
	}
	// curl sees the redirect and the 404 of an unknown host.
	out, err := w.curl(t, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", "http://mail.example.test/anything")
	if err != nil || out != "301 https://mail.example.test/anything" {
		t.Errorf("curl redirect: %q %v", out, err)
	}
	out, err = w.curl(t, "-o", "/dev/null", "-w", "%{http_code}", "http://nowhere.test/mail/config-v1.1.xml")
	if err != nil || out != "404" {
		t.Errorf("curl unknown host: %q %v", out, err)
	}
	out, err = w.curl(t, "--fail", "https://mta-sts.example.test/.well-known/mta-sts.txt")
	if err != nil || !strings.HasPrefix(out, "version: STSv1\r\n") {
		t.Errorf("curl policy: %q %v", out, err)
	}
}

// pythonClient fetches, parses and summarises everything with Python's
// standard library; names resolve to the web front's sockets.
const pythonClient = `
import json, plistlib, socket, ssl, sys, urllib.request, urllib.error
import xml.etree.ElementTree as ET

ca, plain, secure = sys.argv[1], sys.argv[2], sys.argv[3]
def addr(s):
    h, p = s.rsplit(":", 1)
    return (h, int(p))
real = socket.create_connection
def connect(address, *a, **kw):
    host, port = address
    return real(addr(secure) if port == 443 else addr(plain), *a, **kw)
socket.create_connection = connect
ctx = ssl.create_default_context(cafile=ca)
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), NoRedirect)

def fetch(url, data=None, headers={}):
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with opener.open(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()

out = {}
autoconfig = {}
for scheme in ("http", "https"):
    for url in ("://autoconfig.example.test/mail/config-v1.1.xml?emailaddress=alice%40example.test",
                "://example.test/.well-known/autoconfig/mail/config-v1.1.xml"):
        status, _, body = fetch(scheme + url)
        root = ET.fromstring(body)
        p = root.find("emailProvider")
        servers = []
        for kind in ("incomingServer", "outgoingServer"):
            for s in p.findall(kind):
                servers.append("%s %s %s %s %s" % (s.get("type"), s.findtext("port"), s.findtext("socketType"),
                                                  s.findtext("hostname"), s.findtext("username")))
        autoconfig[scheme + url] = [status, p.get("id"), servers]
out["autoconfig"] = autoconfig

status, headers, body = fetch("https://mail.example.test/apple/mail.mobileconfig?emailaddress=Alice%40example.test")
pl = plistlib.loads(body)
acct = pl["PayloadContent"][0]
out["profile"] = [status, headers.get("Content-Type"), headers.get("Content-Disposition"), pl["PayloadType"],
                  acct["PayloadType"], acct["EmailAccountType"], acct["EmailAddress"], acct["IncomingMailServerHostName"],
                  acct["IncomingMailServerPortNumber"], acct["IncomingMailServerUseSSL"], acct["IncomingMailServerUsername"],
                  acct["OutgoingMailServerPortNumber"], acct["OutgoingMailServerUseSSL"], acct["OutgoingMailServerUsername"],
                  pl["PayloadUUID"] != acct["PayloadUUID"], any("assword" in k and "Same" not in k and "Authentication" not in k for k in acct)]

req = b'''<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
<Request><EMailAddress>alice@example.test</EMailAddress>
<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
</Request></Autodiscover>'''
status, _, body = fetch("https://autodiscover.example.test/autodiscover/autodiscover.xml", data=req,
                        headers={"Content-Type": "text/xml"})
ns = {"r": "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006",
      "o": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"}
root = ET.fromstring(body)
protos = ["%s %s %s" % (p.findtext("o:Type", namespaces=ns), p.findtext("o:Port", namespaces=ns), p.findtext("o:LoginName", namespaces=ns))
          for p in root.findall("o:Response/o:Account/o:Protocol", ns)]
out["autodiscover"] = [status, protos]

status, headers, _ = fetch("http://mail.example.test/apple/mail.mobileconfig?emailaddress=alice%40example.test")
out["plain"] = [status, headers.get("Location")]
status, _, _ = fetch("https://nowhere.test/")
out["unknown"] = status
json.dump(out, sys.stdout)
`

// TestClientsWithPython: Python's urllib fetches autoconfig (both hosts
// and paths, http and https, parsed by xml.etree), the Apple profile
// (a valid plist for plistlib, with the address filled in and no
// password) and the autodiscover response (parsed by xml.etree).
func TestClientsWithPython(t *testing.T) {
	python := need(t, "python3", "python3")
	ports := Ports{IMAPS: 993, POP3S: 995, POP3: 110, Submission: 587}
	w := startWebFront(t, ports)
	out, err := exec.Command(python, "-c", pythonClient, w.caFile, w.plainAddr, w.tlsAddr).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var got struct {
		Autoconfig   map[string][]any
		Profile      []any
		Autodiscover []any
		Plain        []any
		Unknown      float64
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python printed %s: %v", out, err)
	}
	wantServers := []any{
		"imap 993 SSL mail.example.test %EMAILADDRESS%", "pop3 995 SSL mail.example.test %EMAILADDRESS%",
		"pop3 110 STARTTLS mail.example.test %EMAILADDRESS%", "smtp 587 STARTTLS mail.example.test %EMAILADDRESS%",
	}
	if len(got.Autoconfig) != 4 {
		t.Fatalf("autoconfig: %v", got.Autoconfig)
	}
	for u, r := range got.Autoconfig {
		if r[0] != float64(200) || r[1] != "example.test" || !slices.Equal(r[2].([]any), wantServers) {
			t.Errorf("python autoconfig %s: %v", u, r)
		}
	}
	wantProfile := []any{float64(200), "application/x-apple-aspen-config", `attachment; filename="mail.mobileconfig"`, "Configuration",
		"com.apple.mail.managed", "EmailTypeIMAP", "alice@example.test", "mail.example.test", float64(993), true, "alice@example.test",
		float64(587), false, "alice@example.test", true, false}
	if !slices.Equal(got.Profile, wantProfile) {
		t.Errorf("python profile:\n got %v\nwant %v", got.Profile, wantProfile)
	}
	wantAD := []any{float64(200), []any{"IMAP 993 alice@example.test", "POP3 995 alice@example.test", "POP3 110 alice@example.test", "SMTP 587 alice@example.test"}}
	if len(got.Autodiscover) != 2 || got.Autodiscover[0] != wantAD[0] || !slices.Equal(got.Autodiscover[1].([]any), wantAD[1].([]any)) {
		t.Errorf("python autodiscover: %v, want %v", got.Autodiscover, wantAD)
	}
	if got.Plain[0] != float64(301) || got.Plain[1] != "https://mail.example.test/apple/mail.mobileconfig?emailaddress=alice%40example.test" {
		t.Errorf("python: the profile over plain http: %v", got.Plain)
	}
	if got.Unknown != 404 {
		t.Errorf("python: unknown host %v", got.Unknown)
	}
}
