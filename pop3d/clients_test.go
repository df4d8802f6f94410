package pop3d

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// Clients nobody here wrote: Python's poplib and curl.

// poplibScript logs in with USER/PASS (plain, after STLS, or over implicit
// TLS), reads everything, optionally deletes message 1, and prints JSON.
const poplibScript = `
import base64, json, poplib, ssl, sys
poplib._MAXLINE = 1 << 20  # the test messages have 20000-octet lines
host, port, tlsport, cafile, user, pw, mode, dele = sys.argv[1:9]
ctx = ssl.create_default_context(cafile=cafile)
out = {}
if mode == "ssl":
    p = poplib.POP3_SSL(host, int(tlsport), context=ctx, timeout=30)
else:
    p = poplib.POP3(host, int(port), timeout=30)
out["welcome"] = p.getwelcome().decode()
out["capa_before"] = sorted(p.capa().keys())
if mode == "stls":
    p.stls(ctx)
    out["capa_after"] = sorted(p.capa().keys())
p.user(user)
p.pass_(pw)
out["stat"] = list(p.stat())
out["list"] = [l.decode() for l in p.list()[1]]
out["uidl"] = [l.decode() for l in p.uidl()[1]]
out["retr"] = []
for i in range(1, out["stat"][0] + 1):
    _, lines, _ = p.retr(i)
    out["retr"].append(base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode())
out["top"] = base64.b64encode(b"".join(l + b"\r\n" for l in p.top(1, 0)[1])).decode()
if dele == "1":
    p.dele(1)
out["quit"] = p.quit().decode()
print(json.dumps(out))
`

type poplibResult struct {
	Welcome    string   `json:"welcome"`
	CapaBefore []string `json:"capa_before"`
	CapaAfter  []string `json:"capa_after"`
	Stat       []int64  `json:"stat"`
	List       []string `json:"list"`
	UIDL       []string `json:"uidl"`
	Retr       [][]byte `json:"retr"`
	Top        []byte   `json:"top"`
	Quit       string   `json:"quit"`
}

func runPoplib(t *testing.T, e *testEnv, mode string, dele bool) poplibResult {
	t.Helper()
	host, port, _ := strings.Cut(e.addr, ":")
	_, tlsPort, _ := strings.Cut(e.tlsAddr, ":")
	d := "0"
	if dele {
		d = "1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "-c", poplibScript, host, port, tlsPort, e.certPEM, alice, password, mode, d)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("poplib %s: %v\n%s", mode, err, stderr.String())
	}
	var r poplibResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("poplib %s output %q: %v", mode, out, err)
	}
	return r
}

// checkDownload compares what a client downloaded with the store.
func checkDownload(t *testing.T, e *testEnv, who string, stat []int64, list, uidl []string, retr [][]byte) {
	t.Helper()
	stored := e.inbox(alice)
	if len(retr) != len(stored) || len(list) != len(stored) || len(uidl) != len(stored) {
		t.Fatalf("%s: %d messages, %d LIST, %d UIDL lines; want %d", who, len(retr), len(list), len(uidl), len(stored))
	}
	mb, err := e.st.MailboxByName(context.Background(), e.users[alice].ID, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for i, m := range stored {
		body, err := e.st.ReadBodyBytes(m.BodyID)
		if err != nil {
			t.Fatal(err)
		}
		want := sent(body)
		if !bytes.Equal(retr[i], want) {
			t.Errorf("%s: message %d: got %q, want %q", who, i+1, trunc(retr[i]), trunc(want))
		}
		if l := fmt.Sprintf("%d %d", i+1, len(retr[i])); list[i] != l {
			t.Errorf("%s: LIST line %q, but %d octets received", who, list[i], len(retr[i]))
		}
		if u := fmt.Sprintf("%d %d.%d", i+1, mb.UIDValidity, m.UID); uidl[i] != u {
			t.Errorf("%s: UIDL line %q, want %q", who, uidl[i], u)
		}
		total += int64(len(want))
	}
	if stat != nil && (stat[0] != int64(len(stored)) || stat[1] != total) {
		t.Errorf("%s: STAT %v, want [%d %d]", who, stat, len(stored), total)
	}
}

func trunc(b []byte) string {
	if len(b) > 200 {
		return string(b[:100]) + "..." + string(b[len(b)-100:])
	}
	return string(b)
}

func TestPythonPoplib(t *testing.T) {
	e := newEnv(t, nil)
	for _, m := range awkwardMessages() {
		e.deliver(alice, m)
	}
	n := len(awkwardMessages())
	r := runPoplib(t, e, "plain", true)
	if !strings.HasPrefix(r.Welcome, "+OK pop.example.test") {
		t.Errorf("welcome %q", r.Welcome)
	}
	if !strings.HasPrefix(r.Quit, "+OK") {
		t.Errorf("QUIT: %q", r.Quit)
	}
	if string(r.Top) != "Subject: plain\r\n\r\n" {
		t.Errorf("TOP 1 0: %q", r.Top)
	}
	// Message 1 is deleted now; compare the rest, then check the whole
	// download with the next session.
	if len(e.inbox(alice)) != n-1 {
		t.Fatalf("after DELE 1 and QUIT: %d messages, want %d", len(e.inbox(alice)), n-1)
	}
	r = runPoplib(t, e, "plain", false)
	checkDownload(t, e, "poplib", r.Stat, r.List, r.UIDL, r.Retr)
}

func TestPythonPoplibTLS(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	for _, m := range awkwardMessages() {
		e.deliver(alice, m)
	}
	r := runPoplib(t, e, "stls", false)
	if !slices.Contains(r.CapaBefore, "STLS") || slices.Contains(r.CapaBefore, "USER") {
		t.Errorf("CAPA before STLS: %q", r.CapaBefore)
	}
	if slices.Contains(r.CapaAfter, "STLS") || !slices.Contains(r.CapaAfter, "USER") || !slices.Contains(r.CapaAfter, "SASL") {
		t.Errorf("CAPA after STLS: %q", r.CapaAfter)
	}
	checkDownload(t, e, "poplib stls", r.Stat, r.List, r.UIDL, r.Retr)

	r = runPoplib(t, e, "ssl", false)
	if slices.Contains(r.CapaBefore, "STLS") || !slices.Contains(r.CapaBefore, "USER") {
		t.Errorf("CAPA on pop3s: %q", r.CapaBefore)
	}
	checkDownload(t, e, "poplib pop3s", r.Stat, r.List, r.UIDL, r.Retr)
}

// curl runs curl with a time limit and returns its output.
func curl(t *testing.T, wantOK bool, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append([]string{"-sS", "--max-time", "30", "-u", alice + ":" + password}, args...)
	cmd := exec.CommandContext(ctx, "curl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if wantOK && err != nil {
		t.Fatalf("curl %q: %v\n%s", args, err, stderr.String())
	}
	if !wantOK && err == nil {
		t.Fatalf("curl %q succeeded, want a failure", args)
	}
	return out
}

func splitCRLF(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\r\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\r\n")
}

func TestCurl(t *testing.T) {
	e := newEnv(t, nil)
	for _, m := range awkwardMessages() {
		e.deliver(alice, m)
	}
	n := len(awkwardMessages())
	url := "pop3://" + e.addr + "/"
	// LIST (curl logs in with AUTH PLAIN: SASL is offered), UIDL, RETR.
	list := splitCRLF(curl(t, true, url))
	uidl := splitCRLF(curl(t, true, url, "-X", "UIDL"))
	var retr [][]byte
	for i := 1; i <= n; i++ {
		args := []string{fmt.Sprintf("%s%d", url, i)}
		if i%2 == 0 {
			args = append(args, "--sasl-ir") // AUTH PLAIN with the initial response
		}
		retr = append(retr, curl(t, true, args...))
	}
	checkDownload(t, e, "curl", nil, list, uidl, retr)
	if top := curl(t, true, url, "-X", "TOP 1 0"); string(top) != "Subject: plain\r\n\r\n" {
		t.Errorf("curl TOP 1 0: %q", top)
	}
	// Delete message 1.
	curl(t, true, url+"1", "-X", "DELE", "-I")
	if got := len(e.inbox(alice)); got != n-1 {
		t.Errorf("after curl DELE: %d messages, want %d", got, n-1)
	}
	if list := splitCRLF(curl(t, true, url)); len(list) != n-1 {
		t.Errorf("LIST after DELE: %q", list)
	}
}

func TestCurlTLS(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	e.deliver(alice, "Subject: tls\r\n\r\nover TLS\r\n")
	want := "Subject: tls\r\n\r\nover TLS\r\n"
	// No password without TLS.
	curl(t, false, "pop3://"+e.addr+"/1")
	// STLS on the plain port, required.
	if got := curl(t, true, "--ssl-reqd", "--cacert", e.certPEM, "pop3://"+e.addr+"/1"); string(got) != want {
		t.Errorf("curl STLS RETR: %q", got)
	}
	// Implicit TLS.
	if got := curl(t, true, "--cacert", e.certPEM, "pop3s://"+e.tlsAddr+"/1"); string(got) != want {
		t.Errorf("curl pop3s RETR: %q", got)
	}
}
