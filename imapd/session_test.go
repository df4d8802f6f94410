package imapd

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func TestCapabilitiesAndLogin(t *testing.T) {
	e := newTestEnv(t)
	rc := e.raw()
	u := rc.ok("CAPABILITY")
	caps := u[0]
	for _, want := range []string{"IMAP4rev1", "IMAP4rev2", "AUTH=PLAIN", "STARTTLS"} {
		if !strings.Contains(caps, " "+want) {
			t.Errorf("capabilities %q lack %s", caps, want)
		}
	}
	for _, never := range []string{"CONDSTORE", "QRESYNC", " ID", "QUOTA", "SORT", "LOGINDISABLED"} {
		if strings.Contains(caps, never) {
			t.Errorf("capabilities %q advertise %s", caps, never)
		}
	}
	if got := rc.no(`LOGIN alice@example.test "wrong"`); !strings.Contains(got, "AUTHENTICATIONFAILED") {
		t.Errorf("bad password: %s", got)
	}
	rc.ok(`LOGIN alice@example.test "` + testPass + `"`)
	u = rc.ok("CAPABILITY")
	for _, want := range []string{"IDLE", "MOVE", "UIDPLUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "LIST-STATUS", "ESEARCH", "APPENDLIMIT=26214400", "NAMESPACE", "BINARY", "CHILDREN"} {
		if !strings.Contains(u[0], " "+want) {
			t.Errorf("capabilities after login %q lack %s", u[0], want)
		}
	}
	u = rc.ok("NAMESPACE")
	if u[0] != `* NAMESPACE (("" "/")) NIL NIL` {
		t.Errorf("NAMESPACE: %q", u[0])
	}
	rc.ok("NOOP")
	if _, tagged := rc.cmd("LOGOUT"); !strings.HasPrefix(tagged, "OK") {
		t.Errorf("LOGOUT: %s", tagged)
	}
}

// A client that is not on loopback must not log in without TLS; the test
// turns the loopback exception off to stand for one.
func TestPlaintextLoginNeedsTLS(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.AllowPlaintextOnLoopback = false })
	rc := e.raw()
	u := rc.ok("CAPABILITY")
	if !strings.Contains(u[0], "LOGINDISABLED") || strings.Contains(u[0], "AUTH=PLAIN") {
		t.Errorf("plaintext capabilities: %q", u[0])
	}
	if got := rc.no(`LOGIN alice@example.test "` + testPass + `"`); !strings.Contains(got, "PRIVACYREQUIRED") {
		t.Errorf("plaintext LOGIN: %s", got)
	}
	if got := rc.no(`AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABjb3JyZWN0IGhvcnNlIGJhdHRlcnk=`); !strings.Contains(got, "PRIVACYREQUIRED") {
		t.Errorf("plaintext AUTHENTICATE: %s", got)
	}

	// STARTTLS, then LOGIN works.
	c, err := imapclient.DialStartTLS(e.addr, &imapclient.Options{TLSConfig: e.tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice@example.test", testPass).Wait(); err != nil {
		t.Fatalf("login after STARTTLS: %v", err)
	}

	// Implicit TLS (port 993).
	tlsAddr := e.listenTLS()
	c2, err := imapclient.DialTLS(tlsAddr, &imapclient.Options{TLSConfig: e.tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if !c2.Caps().Has(imap.AuthCap("PLAIN")) {
		t.Errorf("implicit TLS caps lack AUTH=PLAIN: %v", c2.Caps())
	}
	if err := c2.Login("bob@example.test", testPass).Wait(); err != nil {
		t.Fatalf("login over implicit TLS: %v", err)
	}
}

func TestAuthenticatePlainAndThrottle(t *testing.T) {
	e := newTestEnv(t)
	rc := e.raw()
	// "\0alice@example.test\0correct horse battery"
	rc.ok(`AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABjb3JyZWN0IGhvcnNlIGJhdHRlcnk=`)

	// A guessing run from one network (distinct passwords; shared with
	// SMTP and POP3 through store.Authenticate) is refused: after the
	// limit even the right password.
	bad := e.raw()
	for i := 0; i < 10; i++ {
		bad.no(fmt.Sprintf(`LOGIN bob@example.test "nope%d"`, i))
	}
	if got := bad.no(`LOGIN bob@example.test "` + testPass + `"`); !strings.Contains(got, "UNAVAILABLE") {
		t.Errorf("throttled login: %s", got)
	}
}

func TestConnectionLimits(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.MaxConnections = 3; o.MaxConnectionsPerUser = 2 })
	e.rawLogin("alice@example.test")
	e.rawLogin("alice@example.test")
	rc := e.raw()
	if got := rc.no(`LOGIN alice@example.test "` + testPass + `"`); !strings.Contains(got, "UNAVAILABLE") {
		t.Errorf("third login of one user: %s", got)
	}
	// The server is full now: the next client gets BYE as greeting.
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 200)
	n, _ := c.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "* BYE") {
		t.Errorf("greeting over the limit: %q", buf[:n])
	}
}

// Shutdown says BYE to every client, even one in IDLE, and takes no more.
func TestShutdown(t *testing.T) {
	e := newTestEnv(t)
	rc := e.rawLogin("alice@example.test")
	rc.ok("SELECT INBOX")
	rc.tag++
	fmt.Fprintf(rc.c, "I%d IDLE\r\n", rc.tag)
	if l := rc.readLine(); !strings.HasPrefix(l, "+") {
		t.Fatalf("IDLE: %q", l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if l := rc.readLine(); !strings.HasPrefix(l, "* BYE") {
		t.Errorf("after Shutdown: %q", l)
	}
	// A connection handed over after Shutdown is closed without a
	// greeting.
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
		t.Errorf("connection after Shutdown: %q, %v", b, err)
	}
}
