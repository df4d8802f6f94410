package managesieved

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailserver/mailserver/queue/sieve"
)

// TestDovecotTranscript sends one transcript to Dovecot's ManageSieve
// server (Pigeonhole, Debian dovecot-managesieved) and to this one, and
// compares each response: OK, NO or BYE, the response code, SASL
// challenges, and the data of GETSCRIPT and LISTSCRIPTS. The texts differ
// (they are for humans). Dovecot runs as root from a private directory
// and is stopped by the test's cleanup.
func TestDovecotTranscript(t *testing.T) {
	dovecot := startDovecot(t)
	e := newEnv(t, func(o *Options) {
		o.Check = func(b []byte) error { _, err := sieve.Parse(b, sieve.Limits{}); return err }
		o.Extensions = sieve.Extensions()
		o.MaxScriptSize = 1 << 20 // Dovecot's default sieve_max_script_size
	})
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	plain := b64("\x00" + alice + "\x00" + password)
	type step struct {
		send      string
		challenge bool // the answer is a SASL challenge, not a response
	}
	// Refusals before login, on a connection of their own (Dovecot ends
	// its login attempts on a connection after a few failures).
	before := []step{
		{send: "CAPABILITY"},
		{send: `NOOP "tag1"`},
		{send: "LISTSCRIPTS"}, // before login
		{send: `AUTHENTICATE "CRAM-MD5"`},
		{send: `AUTHENTICATE "PLAIN" "!!!"`},
		{send: `AUTHENTICATE "LOGIN"`, challenge: true},
		{send: `"*"`},
		{send: `AUTHENTICATE "LOGIN"`, challenge: true},
		{send: `"` + b64(alice) + `"`, challenge: true},
		{send: `"` + b64("wrong") + `"`},
		{send: "LOGOUT"},
	}
	steps := []step{
		{send: `AUTHENTICATE "PLAIN"`, challenge: true},
		{send: "{" + strconv.Itoa(len(plain)) + "+}\r\n" + plain},
		{send: `PUTSCRIPT "a" {6+}` + "\r\nkeep;\n"},
		{send: `PUTSCRIPT "b" {6}` + "\r\nkeep;\n"},
		{send: `PUTSCRIPT "bad" {10+}` + "\r\nfrobnicate"},
		{send: `PUTSCRIPT "" "keep;"`},
		{send: `PUTSCRIPT "sp ace" "keep;"`},
		{send: `PUTSCRIPT "q\"uote" "discard;"`},
		{send: `GETSCRIPT "a"`},
		{send: `GETSCRIPT "zz"`},
		{send: `SETACTIVE "a"`},
		{send: `SETACTIVE "zz"`},
		{send: `DELETESCRIPT "a"`},
		{send: `DELETESCRIPT "zz"`},
		{send: `RENAMESCRIPT "a" "b"`},
		{send: `RENAMESCRIPT "zz" "y"`},
		{send: `RENAMESCRIPT "a" "c"`},
		{send: "LISTSCRIPTS"},
		{send: `HAVESPACE "x" 10`},
		{send: `HAVESPACE "x" 99999999`},
		{send: `HAVESPACE "x" "10"`},
		{send: `CHECKSCRIPT "keep;"`},
		{send: `CHECKSCRIPT "keep"`},
		{send: `CHECKSCRIPT {0+}` + "\r\n"},
		{send: `PUTSCRIPT "c" "bogus"`}, // the active script, replaced by a bad one
		{send: `GETSCRIPT "c"`},
		{send: `NOOP {3+}` + "\r\nx\"y"},
		{send: `SETACTIVE ""`},
		{send: `DELETESCRIPT "c"`},
		{send: `DELETESCRIPT "b"`},
		{send: `DELETESCRIPT "sp ace"`},
		{send: `DELETESCRIPT "q\"uote"`},
		{send: "LISTSCRIPTS"},
		{send: "FOO"},
		{send: "GETSCRIPT"},
		{send: `GETSCRIPT "a" "b"`},
		{send: "STARTTLS"},
		{send: `AUTHENTICATE "PLAIN" "` + plain + `"`},
		{send: "LOGOUT"},
	}
	for _, steps := range [][]step{before, steps} {
		theirs, ours := newTranscript(t, dovecot), newTranscript(t, e.addr)
		for _, st := range steps {
			want := theirs.step(st.send, st.challenge)
			got := ours.step(st.send, st.challenge)
			if want.String() != got.String() {
				t.Errorf("C: %q\n  dovecot: %s\n     ours: %s", st.send, want, got)
			}
		}
	}
}

// answer is what a transcript compares of one response.
type answer struct {
	kind, code string   // OK/NO/BYE and the response code, or "challenge" and its text
	data       []string // lines before it (LISTSCRIPTS: sorted), literals inlined
}

func (a answer) String() string {
	return fmt.Sprintf("%s (%s) %q", a.kind, a.code, a.data)
}

type transcript struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func newTranscript(t *testing.T, addr string) *transcript {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tr := &transcript{t: t, c: c, br: bufio.NewReader(c)}
	tr.read(false) // the greeting
	return tr
}

var (
	respRE    = regexp.MustCompile(`^(OK|NO|BYE)(?: \(([^)]*)\))?`)
	literalRE = regexp.MustCompile(`\{(\d+)\}$`)
)

func (tr *transcript) step(send string, challenge bool) answer {
	tr.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := tr.c.Write([]byte(send + "\r\n")); err != nil {
		tr.t.Fatalf("send %q: %v", send, err)
	}
	a := tr.read(challenge)
	switch {
	case strings.HasPrefix(send, "LISTSCRIPTS"):
		slices.Sort(a.data) // in no particular order
	case !strings.HasPrefix(send, "GETSCRIPT"):
		a.data = nil // capabilities: each server's own
	}
	return a
}

// line reads one response line with its literals inlined.
func (tr *transcript) line() string {
	var b strings.Builder
	for {
		l, err := tr.br.ReadString('\n')
		if err != nil {
			tr.t.Fatalf("read: %v (after %q)", err, b.String()+l)
		}
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		m := literalRE.FindStringSubmatch(l)
		if m == nil {
			b.WriteString(l)
			return b.String()
		}
		n, _ := strconv.Atoi(m[1])
		buf := make([]byte, n)
		if _, err := readFull(tr.br, buf); err != nil {
			tr.t.Fatal(err)
		}
		b.WriteString(l[:len(l)-len(m[0])] + strconv.Quote(string(buf)))
	}
}

func (tr *transcript) read(challenge bool) answer {
	var a answer
	for {
		l := tr.line()
		if challenge && strings.HasPrefix(l, `"`) {
			a.kind, a.code = "challenge", l
			return a
		}
		if m := respRE.FindStringSubmatch(l); m != nil {
			a.kind, a.code = m[1], m[2]
			if os.Getenv("MANAGESIEVED_TEST_LOG") != "" {
				tr.t.Logf("%s: %s", tr.c.RemoteAddr(), l)
			}
			return a
		}
		if l != "" {
			a.data = append(a.data, l)
		}
	}
}

// startDovecot runs Dovecot's ManageSieve service on a loopback port for
// alice, with plaintext logins allowed (no TLS in the transcript) and no
// delay after failed logins.
func startDovecot(t *testing.T) string {
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		t.Fatal("dovecot not found: install the Debian packages dovecot-core and dovecot-managesieved")
	}
	if _, err := os.Stat("/usr/lib/dovecot/managesieve"); err != nil {
		t.Fatal("Dovecot's managesieve service is missing: install the Debian package dovecot-managesieved")
	}
	if os.Geteuid() != 0 {
		t.Fatal("Dovecot is started as root (it changes to its own users): run the test as root")
	}
	dir := t.TempDir()
	// Dovecot's users (dovenull, and nobody for the session) need to reach
	// their directories below the test's.
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // Dovecot binds it itself (it cannot be handed a socket here)
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o777)
	passwd := filepath.Join(dir, "passwd")
	if err := os.WriteFile(passwd, []byte(alice+":{PLAIN}"+password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/log
protocols = sieve
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = %[2]s
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[3]s/%%u
}
service managesieve-login {
  inet_listener sieve {
    port = %[4]d
  }
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
`, dir, passwd, home, port)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	giveUp := time.After(time.Minute) // only keeps a broken start from hanging
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			so, _ := os.ReadFile(filepath.Join(dir, "stdout"))
			t.Fatalf("dovecot exited: %s\n%s", so, log)
		case <-giveUp:
			t.Fatalf("dovecot does not listen on %s", addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
