package smtpd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The go-smtp whose internals dotreader.go and conninternals.go were
// verified against (module version and go.sum hash). Any other go-smtp,
// including a replaced one, turns both off until someone re-verifies
// them (run the tests, read the upstream change, update these).
const (
	verifiedGoSMTPVersion = "v0.25.1"
	verifiedGoSMTPSum     = "h1:y6nzefT6PtFeMItFw97GX/ZCkVbh0rqSXG8b3ang8/w="
)

// goSMTPHooks are the two places where smtpd reaches into go-smtp, each
// nil unless the guard passed for it.
type goSMTPHooks struct {
	fast *fastPath   // nil: Data reads go-smtp's DATA reader as it is
	conn *connLayout // nil: no command filter, so BDAT is refused
	off  []string    // why a hook is off (logged at start-up)
}

// goSMTPGuard runs checkGoSMTP once per process, at the first NewServer:
// its result is a fact about the binary, so it is computed once and never
// changes (the one package-level value, for that reason).
var goSMTPGuard = sync.OnceValue(checkGoSMTP)

// checkGoSMTP is the behavioural guard. It checks the
// linked go-smtp's version, the layout of the fields used, and then the
// behaviour, through a real go-smtp server on an in-memory connection:
// dotReader must read every case of dataCorpus exactly as go-smtp's own
// reader does (data, error, and the replies and commands that follow),
// and the command filter must give the replies of filterChecks.
func checkGoSMTP() goSMTPHooks { return guardFor(linkedGoSMTP()) }

// guardFor is checkGoSMTP for the go-smtp of that version and hash.
func guardFor(v, sum string) goSMTPHooks {
	var h goSMTPHooks
	if v != verifiedGoSMTPVersion || sum != verifiedGoSMTPSum {
		h.off = append(h.off, fmt.Sprintf("go-smtp %s (%s) is not the verified %s", v, sum, verifiedGoSMTPVersion))
		return h
	}
	cl, err := verifyFilter()
	if err != nil {
		h.off = append(h.off, "command filter (and so the DATA fast path): "+err.Error())
		return h
	}
	h.conn = cl
	// The fast path relies on the filter ending each read at the end of
	// the data (else lines after it would reach go-smtp's buffer with its
	// line limit off).
	if fp, err := verifyFastPath(cl); err != nil {
		h.off = append(h.off, "DATA fast path: "+err.Error())
	} else {
		h.fast = fp
	}
	return h
}

// linkedGoSMTP returns the version and hash of the go-smtp in the binary.
func linkedGoSMTP() (version, sum string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(no build info)", ""
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/emersion/go-smtp" {
			if d.Replace != nil {
				return d.Replace.Version + " (replaced by " + d.Replace.Path + ")", d.Replace.Sum
			}
			return d.Version, d.Sum
		}
	}
	return "(not found)", ""
}

// Limits of the guard's go-smtp server, small so the corpus is small.
const (
	guardMaxMessage = 512
	guardMaxLine    = 160
)

// dataCorpus is DATA content, each followed by what a client sends next.
func dataCorpus() []string {
	next := "MAIL FROM:<n@guard.test>\r\nRCPT TO:<n@guard.test>\r\nDATA\r\nSubject: next\r\n\r\nx\r\n.\r\nNOOP\r\n"
	var c []string
	// Every spelling of an end of data but <CRLF>.<CRLF> (TestSmuggling's).
	for _, eod := range []string{"\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\r\n", "\r\n.\r", "\n.\r", "\r.\n",
		"\r\n..\n", "\n..\n", "\r\n.\x00\r\n", "\r\r\n.\r\n", "\r\n.\rX\r\n", "\r\n.\r\r\n", "\r\n..\r\n"} {
		c = append(c, "Subject: a\r\n\r\nbody"+eod+next+".\r\n")
	}
	c = append(c, ".\r\n", "..\r\n.\r\n", "\r\n.\r\n", ".\r\r\n.\r\n", "a\r\n.\r\n.\r\n")
	// Around the size limit.
	for _, n := range []int{guardMaxMessage - 2, guardMaxMessage - 1, guardMaxMessage, guardMaxMessage + 1, 3 * guardMaxMessage} {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(strings.Repeat("s", min(18, n-b.Len())))
			if b.Len()+2 <= n {
				b.WriteString("\r\n")
			}
		}
		c = append(c, b.String()+"\r\n.\r\n")
	}
	// Around the line limit, with CRLF and bare LF, first and later.
	for _, n := range []int{guardMaxLine - 3, guardMaxLine - 2, guardMaxLine - 1, guardMaxLine, guardMaxLine + 1} {
		l := strings.Repeat("l", n)
		c = append(c, l+"\r\n.\r\n", "a\r\n"+l+"\r\n.\r\n", "a\n"+l+"\n.\r\n", l+"\r\r\n.\r\n",
			"."+l+"\r\n.\r\n", "a\r\n"+l+"\r\n"+l+"\r\n.\r\n",
			// A long line, then what would be an end of data if the
			// octet that broke the limit were lost, then a message.
			l+"\r\r\n.\r\n"+next+".\r\n", "a\r\n"+l+"\r\r\n.\r\n"+next+".\r\n")
	}
	return c
}

// verifyFastPath finds go-smtp's DATA reader and line limit, checks their
// layout, and compares dotReader with go-smtp's reader on dataCorpus,
// with the command filter in place as in the server (cl). The content is
// sent after the 354, as a client does, so that it reaches the reader.
func verifyFastPath(cl *connLayout) (*fastPath, error) {
	plain := &guardProbe{}
	if _, err := plain.run(guardPrefix, "x\r\n.\r\nQUIT\r\n", false); err != nil {
		return nil, err
	}
	if plain.dataType == nil {
		return nil, errors.New("no DATA reader seen")
	}
	dl, ok := layoutOf(plain.dataType)
	if !ok || !dl.verify() {
		return nil, fmt.Errorf("DATA reader %v is not laid out as expected", plain.dataType)
	}
	ll, ok := lineLayoutOf()
	if !ok {
		return nil, errors.New("go-smtp's line limit is not laid out as expected")
	}
	fp := &fastPath{data: dl, line: ll}
	if err := compareOnCorpus(cl, fp.fastData); err != nil {
		return nil, err
	}
	return fp, nil
}

// compareOnCorpus runs dataCorpus through go-smtp twice, Data reading
// go-smtp's reader as it is and through read, and reports the first
// difference.
func compareOnCorpus(cl *connLayout, read dataReadFunc) error {
	for _, in := range dataCorpus() {
		// Whatever the case left open ends here.
		in += "\r\n.\r\nNOOP\r\nQUIT\r\n"
		for _, hangUp := range []bool{false, true} {
			rest := in
			if hangUp {
				rest = in[:len(in)/2]
			}
			ref := &guardProbe{conn: cl, rw: newRewriter(guardMaxLine)}
			fast := &guardProbe{conn: cl, rw: ref.rw, read: read}
			refOut, err1 := ref.run(guardPrefix, rest, hangUp)
			fastOut, err2 := fast.run(guardPrefix, rest, hangUp)
			if err := errors.Join(err1, err2); err != nil {
				return err
			}
			if hangUp {
				refOut, fastOut = "", "" // the replies race with the hang-up
			}
			// What was read before a line too long is not compared: the
			// line limit refuses a whole read, dotReader the line.
			sameData := bytes.Equal(ref.data, fast.data) || ref.dataErr == smtp.ErrTooLongLine
			if refOut != fastOut || !sameData || fmt.Sprint(ref.dataErr) != fmt.Sprint(fast.dataErr) {
				return fmt.Errorf("differs from go-smtp's reader on %q: replies %q / %q, data %q / %q, error %v / %v",
					rest, refOut, fastOut, ref.data, fast.data, ref.dataErr, fast.dataErr)
			}
		}
	}
	return nil
}

// dataReadFunc is how Data reads go-smtp's reader (fastPath.fastData).
type dataReadFunc func(r io.Reader, c *smtp.Conn) (io.Reader, func())

const guardPrefix = "EHLO guard.test\r\nMAIL FROM:<a@guard.test>\r\nRCPT TO:<b@guard.test>\r\nDATA\r\n"

// filterCheck is a transcript and what the filter must make of it.
type filterCheck struct {
	in     string
	hangUp bool
	codes  string   // the reply codes, space-separated
	rcpts  []string // what Rcpt saw
	data   string   // what Data read
	cut    bool     // Data must fail (the chunk was cut short)
}

func filterChecks() []filterCheck {
	const ehlo = "EHLO guard.test\r\n"
	const mail = "MAIL FROM:<a@guard.test>\r\n"
	const pm = "postmaster@" + postmasterDomain
	return []filterCheck{{
		// Lines pipelined after EHLO go through the filter too.
		in:    ehlo + mail + "RCPT TO:<Postmaster>\r\nRCPT TO:<b@guard.test> NOTIFY=NEVER NOTIFY=SUCCESS\r\nQUIT\r\n",
		codes: "220 250 250 250 501 221", rcpts: []string{pm},
	}, {
		// DATA content is not rewritten; after its end, commands are.
		in: ehlo + mail + "RCPT TO:<b@guard.test>\r\nDATA\r\nRCPT TO:<Postmaster>\r\n.\r\n" +
			mail + "RCPT TO:<POSTMASTER>\r\nQUIT\r\n",
		codes: "220 250 250 250 354 250 250 250 221", rcpts: []string{"b@guard.test", pm},
		data: "RCPT TO:<Postmaster>\r\n",
	}, {
		// The same for a BDAT chunk.
		in: ehlo + mail + "RCPT TO:<b@guard.test>\r\nBDAT 22 LAST\r\nRCPT TO:<Postmaster>\r\n" +
			mail + "RCPT TO:<postmaster>\r\nQUIT\r\n",
		codes: "220 250 250 250 250 250 250 221", rcpts: []string{"b@guard.test", pm},
		data: "RCPT TO:<Postmaster>\r\n",
	}, {
		// A chunk cut short by the end of the connection fails Data.
		in:     ehlo + mail + "RCPT TO:<b@guard.test>\r\nBDAT 100 LAST\r\nshort",
		hangUp: true, rcpts: []string{"b@guard.test"}, cut: true,
	}, {
		in: ehlo + "AUTH PLAIN !!!\r\nAUTH PLAIN\r\n!!!\r\nSTARTTLS now\r\n" +
			"MAIL FROM:<a@guard.test> RET=FULL RET=HDRS\r\nMAIL FROM:<a@guard.test> ENVID=" +
			strings.Repeat("e", maxEnvIDLen+1) + "\r\nQUIT\r\n",
		codes: "220 250 501 334 501 501 501 501 221",
	}}
}

// verifyFilter checks go-smtp's Conn layout and runs filterChecks.
func verifyFilter() (*connLayout, error) {
	cl, ok := connLayoutOf()
	if !ok {
		return nil, errors.New("go-smtp's Conn is not laid out as expected")
	}
	for _, c := range filterChecks() {
		p := &guardProbe{conn: cl, rw: newRewriter(guardMaxLine)}
		out, err := p.run("", c.in, c.hangUp)
		if err != nil {
			return nil, err
		}
		if !c.hangUp && replyCodes(out) != c.codes || !strings.EqualFold(strings.Join(p.rcpts, ","), strings.Join(c.rcpts, ",")) ||
			!c.cut && string(p.data) != c.data || c.cut != (p.dataErr != nil) {
			return nil, fmt.Errorf("transcript %q: replies %q, recipients %q, data %q (%v)", c.in, out, p.rcpts, p.data, p.dataErr)
		}
	}
	return cl, nil
}

// replyCodes lists the codes of the final lines of out's replies.
func replyCodes(out string) string {
	var codes []string
	for _, l := range strings.Split(out, "\r\n") {
		if len(l) >= 4 && l[3] == ' ' {
			codes = append(codes, l[:3])
		}
	}
	return strings.Join(codes, " ")
}

// guardProbe runs one transcript through a go-smtp server.
type guardProbe struct {
	read dataReadFunc // nil: go-smtp's reader as it is
	conn *connLayout
	rw   *rewriter

	mu       sync.Mutex
	dataType reflect.Type
	data     []byte
	dataErr  error
	rcpts    []string
	started  bool          // Data was called
	dataDone chan struct{} // closed when Data returns
}

// run sends prefix, waits for the 354 that answers its DATA (if prefix is
// not empty), sends rest, hangs up if hangUp, and returns what the server
// answered once it has closed the connection.
func (p *guardProbe) run(prefix, rest string, hangUp bool) (string, error) {
	p.dataDone = make(chan struct{})
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s := &guardSession{p: p, conn: c}
		if p.conn != nil {
			s.filter = p.conn.installFilter(c, func(src io.Reader, pending []byte) *commandFilter {
				return newCommandFilter(src, pending, p.rw, guardMaxLine)
			})
			if s.filter == nil {
				return nil, errors.New("filter not installed")
			}
		}
		return s, nil
	}))
	srv.Domain = "guard.test"
	srv.MaxMessageBytes = guardMaxMessage
	srv.MaxLineLength = guardMaxLine
	srv.AllowInsecureAuth = true
	srv.EnableDSN = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	client, server := net.Pipe()
	deadline := time.Now().Add(10 * time.Second)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)
	sc := &closeNotifyConn{Conn: server, closed: make(chan struct{})}
	go srv.Serve(&oneConnListener{c: sc, closed: make(chan struct{})})
	defer srv.Close()
	var out bytes.Buffer
	fail := func(err error) (string, error) {
		return out.String(), fmt.Errorf("guard transcript %q: %w", prefix+rest, err)
	}
	if prefix != "" {
		go io.WriteString(client, prefix)
		br := bufio.NewReader(client)
		for !strings.HasPrefix(out.String()[strings.LastIndex(strings.TrimSuffix(out.String(), "\r\n"), "\n")+1:], "354 ") {
			l, err := br.ReadString('\n')
			out.WriteString(l)
			if err != nil {
				return fail(err)
			}
		}
		if br.Buffered() > 0 {
			return fail(errors.New("more than 354 after DATA"))
		}
	}
	go func() {
		io.WriteString(client, rest)
		if hangUp {
			client.Close()
		}
	}()
	_, err := io.Copy(&out, client)
	if hangUp {
		err = nil
	}
	client.Close()
	select {
	case <-sc.closed:
	case <-time.After(time.Until(deadline)):
		return fail(errors.New("server did not close the connection"))
	}
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if started {
		select {
		case <-p.dataDone: // BDAT's Data ends after the connection
		case <-time.After(time.Until(deadline)):
			return fail(errors.New("Data did not end"))
		}
	}
	if err != nil {
		return fail(err)
	}
	return out.String(), nil
}

// closeNotifyConn tells when go-smtp has closed the connection.
type closeNotifyConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (c *closeNotifyConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

type guardSession struct {
	p      *guardProbe
	conn   *smtp.Conn
	filter *commandFilter
}

func (s *guardSession) Reset()                               {}
func (s *guardSession) Logout() error                        { return nil }
func (s *guardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *guardSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.p.mu.Lock()
	s.p.rcpts = append(s.p.rcpts, to)
	s.p.mu.Unlock()
	return nil
}

func (s *guardSession) Data(r io.Reader) error {
	s.p.mu.Lock()
	s.p.started = true
	s.p.mu.Unlock()
	defer close(s.p.dataDone)
	if _, bdat := r.(*io.PipeReader); !bdat && s.filter != nil {
		s.filter.beginData()
	}
	dr, done := r, func() {}
	if s.p.read != nil {
		dr, done = s.p.read(r, s.conn)
	}
	b, err := io.ReadAll(dr)
	done()
	s.p.mu.Lock()
	s.p.dataType, s.p.data, s.p.dataErr = reflect.TypeOf(r), b, err
	s.p.mu.Unlock()
	return err
}

func (s *guardSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *guardSession) Auth(string) (sasl.Server, error) {
	inner := sasl.NewPlainServer(func(string, string, string) error { return nil })
	return &saslGuard{next: inner.Next, invalid: s.p.rw.saslInvalid, filter: s.filter}, nil
}

// oneConnListener hands go-smtp's Serve one connection.
type oneConnListener struct {
	c      net.Conn
	once   sync.Once
	closed chan struct{}
	mu     sync.Mutex
	given  bool
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if !l.given {
		l.given = true
		l.mu.Unlock()
		return l.c, nil
	}
	l.mu.Unlock()
	<-l.closed
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "guard" }
