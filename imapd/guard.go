package imapd

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
)

// inputGuard sits under go-imap's connection and reads the client's
// commands before the library does, for what go-imap v2.0.0-beta.8 gets
// wrong in its decoder (internal/imapwire) and its error replies:
//
//   - A literal over the library's limit (4 KiB outside APPEND) is
//     refused inside Decoder.Literal, but the refusal is dropped: the
//     client, waiting for "+", hears nothing for 30 s, then NO
//     [SERVERBUG]. That includes LOGIN {4294967295} before login.
//   - A non-synchronizing literal over 4 KiB (LITERAL-) is refused, and
//     its octets, which the client sends anyway, are then read as
//     commands.
//   - A quoted string may hold CR and LF (RFC 9051 §4.3: QUOTED-CHAR
//     excludes them), so `SELECT "INBOX` swallows the command lines after
//     it.
//   - Some syntax errors of the client get NO [SERVERBUG] (see Write).
//   - SEARCH SMALLER n loses its bound when a date key or LARGER follows
//     (searchfix.go rewrites it on the way through).
//
// The guard follows the syntax of RFC 9051 §4.3 at command boundaries:
// literals ("{n}", "{n+}", "~{n}" then CRLF; their octets pass unread),
// quoted strings (with their backslash escapes) and line ends. The tag
// and the command name pass at once (go-imap starts its command timer on
// a command's first octet, which bounds a client trickling a command);
// the arguments are held back until judged, so the library never sees
// a literal announcement the guard refuses and never sends "+" for it:
//
//   - a literal over its limit (4 KiB; APPEND's message: APPENDLIMIT;
//     any non-synchronizing one: 4 KiB, RFC 7888 LITERAL-) ends the
//     command at once with a tagged BAD; before login, or when the literal
//     was non-synchronizing (its octets are on their way and cannot be
//     told from commands), BYE follows and the connection closes;
//   - a CR or LF inside a quoted string ends that command with BAD; the
//     next line is the next command.
//
// The command is ended by giving the library, in place of the refused
// arguments, a NUL and a line end, which no IMAP syntax allows in an
// argument: the library answers the command with a tagged BAD (which Write
// turns into the guard's own text: BAD [TOOBIG], NO [TOOBIG] for an
// APPEND message over APPENDLIMIT, BAD [CLIENTBUG] for a quoted line end)
// and reads the next line as the next command.
//
// The guard sits between serverConn (conn.go) and the socket, and on
// implicit TLS (993) a second one right above TLS (wrapTLS), so it sees
// the client's plaintext on 143 and 993. STARTTLS on 143 is taken over by
// the server (starttls.go): once the library's OK has gone out, the
// connection continues as an implicit-TLS one, with a guard above TLS.
// The guard under TLS steps aside for good when a command begins with a
// TLS record (0x16, never the first octet of an IMAP tag: sent in
// plaintext, the library ends the connection on it).
//
// The workaround can go when go-imap's decoder returns the error of
// CheckBufferedLiteralFunc, skips the octets of a non-synchronizing
// literal it refuses, refuses CR and LF in quoted strings, and answers
// every decoder error with BAD.
type inputGuard struct {
	net.Conn

	// Set by the session: the APPEND limit (RFC 7889) and whether the
	// client has logged in.
	appendLimit atomic.Int64
	loggedIn    atomic.Bool
	// appendBinary: the message literal of the APPEND being read was a
	// literal8 (RFC 3516 §4.4). go-imap's APPEND parser skips the "~" and
	// tells the session nothing (imapserver/append.go, beta.8), so the
	// guard, which has read the announcement, does. Set for every APPEND
	// message literal the library gets, before it reads it.
	appendBinary atomic.Bool

	out     []byte // judged: for the library
	rest    []byte // read from the client, not yet scanned
	reply   []byte // the guard's own response, written once out is consumed
	closing bool   // after reply: end the connection
	off     bool   // TLS: no more scanning

	// The library's BAD for the command the guard ended, to be written as
	// the guard's own reply (Write); mu because go-imap's IDLE goroutine
	// writes too.
	mu                    sync.Mutex
	rewriteTag, rewriteTo string
	outLit                int64  // octets of a response literal still to come
	outTail               []byte // the end of a response line not finished
	outMid                bool   // a response line begun in an earlier write
	// A synchronizing literal passed to the library: until it answers "+"
	// (or the command's tagged reply: it refused the literal, and the
	// client will not send it), contTag is the command's tag.
	contTag      string
	litCancelled bool // the tagged reply came first: no literal octets follow
	// The names of commands in flight, by tag, for the mailbox commands
	// whose NO [SERVERBUG] rewriteLine answers by name (mailboxCommands).
	inFlight map[string]string

	takeover takeover // STARTTLS done by the server, not the library (starttls.go)

	cmd guardCommand
}

// guardCommand is the scanner's state within one command.
type guardCommand struct {
	held    []byte // the command's octets not yet judged
	head    []byte // its first octets, for the tag and the command name
	started bool   // an octet of the command was seen
	args    int    // top-level arguments begun so far (for APPEND)
	inQuote bool
	escaped bool
	prev    byte   // the octet before, outside quotes and literals
	named   bool   // the tag and the command name have passed
	skip    bool   // discarding through the next LF (a refused line)
	litData int64  // octets of an accepted literal still to pass
	lit     litAnn // a literal announcement being read
	search  bool   // SEARCH or UID SEARCH: its keys go through fix
	fix     searchFix
}

// reset starts the next command, keeping the buffers (small ones: a long
// command's go).
func (c *guardCommand) reset() {
	held, head := c.held[:0], c.head[:0]
	if cap(held) > 4096 {
		held = nil
	}
	*c = guardCommand{held: held, head: head}
}

// litAnn is a literal announcement being read: "{" digits ["+"] "}"
// [SP] [CR] LF (the library allows the SP and a bare LF).
type litAnn struct {
	state   int // 0 none; 1 digits; 2 after '+'; 3 after '}'; 4 after SP; 5 after CR
	size    uint64
	digits  int
	nonSync bool
	binary  bool // literal8: "~" before "{"
}

// Limits the guard applies. maxBufferedLiteral is go-imap's limit for
// literals it buffers (everything but APPEND's message); guardMaxHeld
// bounds a command held back (the library's own limit is 50 KiB).
const (
	maxBufferedLiteral = 4096
	guardMaxHeld       = 64 << 10
	guardHeadBytes     = 64
	tlsRecordHandshake = 0x16
)

// errGuardClosed ends a connection the guard refused (it wraps
// net.ErrClosed, which go-imap does not log).
var errGuardClosed = fmt.Errorf("imapd: connection ended by the input guard: %w", net.ErrClosed)

func newInputGuard(c net.Conn) *inputGuard {
	g := &inputGuard{Conn: c}
	g.appendLimit.Store(DefaultMaxMessageBytes)
	return g
}

// guardOf finds the guard under a connection go-imap holds (the
// serverConn, or the *tls.Conn put on top of it); nil if there is none.
func guardOf(c net.Conn) *inputGuard {
	switch t := c.(type) {
	case *tls.Conn: // STARTTLS: the guard under TLS, which has stepped aside
		c = t.NetConn()
	case *tlsConn: // implicit TLS: the guard above TLS
		c = t.serverConn
	}
	if sc, ok := c.(*serverConn); ok {
		c = sc.Conn
	}
	g, _ := c.(*inputGuard)
	return g
}

// Read implements net.Conn: what the guard has judged, in order.
func (g *inputGuard) Read(p []byte) (int, error) {
	if g.takeover.done.Load() {
		return 0, io.EOF // the connection went on in a new session
	}
	for {
		g.mu.Lock()
		if g.litCancelled {
			// The library answered the command instead of "+": the literal
			// will not come, the next octets are the next command.
			g.litCancelled = false
			g.cmd.reset()
		}
		g.mu.Unlock()
		if len(g.out) > 0 {
			n := copy(p, g.out)
			if g.out = g.out[n:]; len(g.out) == 0 {
				g.out = nil
			}
			return n, nil
		}
		if g.reply != nil {
			// The library has consumed every command before the refused
			// one (it asks for more only then), so the reply comes after
			// theirs.
			_, err := g.Conn.Write(g.reply)
			g.reply = nil
			if err != nil {
				return 0, err
			}
			if g.closing {
				return 0, errGuardClosed
			}
		}
		if g.closing {
			g.rest = nil
			return 0, errGuardClosed
		}
		if len(g.rest) > 0 {
			g.rest = g.scan(g.rest)
			continue
		}
		if g.off || g.cmd.litData > 0 && len(g.cmd.held) == 0 {
			// TLS, or the octets of an accepted literal: straight through.
			want := len(p)
			if !g.off {
				want = int(min(int64(want), g.cmd.litData))
			}
			n, err := g.Conn.Read(p[:want])
			if !g.off {
				g.cmd.litData -= int64(n)
			}
			return n, err
		}
		// Read into p (no buffer of the guard's own on an idle
		// connection); what is judged is copied back into it.
		n, err := g.Conn.Read(p)
		if n > 0 {
			g.rest = g.scan(p[:n])
			if len(g.rest) > 0 {
				// Stopped at a refusal: keep what follows for later.
				g.rest = append([]byte(nil), g.rest...)
			}
			continue
		}
		if err != nil {
			if len(g.cmd.held) > 0 {
				// The connection ended inside a command: give the library
				// what there is, so that it sees the same end.
				g.out = append(g.out, g.cmd.held...)
				g.cmd.reset()
				g.rest = nil
				n := copy(p, g.out)
				g.out = g.out[n:]
				return n, nil
			}
			return 0, err
		}
	}
}

// scan judges the octets of b, appending judged ones to g.out, and
// returns what it has not looked at (after a refusal, which must be
// answered before anything that follows). Each octet is looked at once.
func (g *inputGuard) scan(b []byte) []byte {
	c := &g.cmd
	for i := 0; i < len(b); i++ {
		if g.off {
			g.out = append(g.out, b[i:]...)
			return nil
		}
		if c.litData > 0 {
			// Inside an accepted literal: pass its octets unread.
			n := int(min(int64(len(b)-i), c.litData))
			g.flushHeld()
			g.out = append(g.out, b[i:i+n]...)
			c.litData -= int64(n)
			i += n - 1
			continue
		}
		ch := b[i]
		if c.skip {
			if ch == '\n' {
				c.reset()
			}
			continue
		}
		if !c.started {
			if ch == tlsRecordHandshake {
				g.off = true
				g.out = append(g.out, b[i:]...)
				return nil
			}
			c.started = true
		}
		c.held = append(c.held, ch)
		if len(c.head) < guardHeadBytes {
			c.head = append(c.head, ch)
		}
		if !c.named {
			// Tag and command name: straight to the library.
			if ch == ' ' {
				c.args++
				if c.args == 2 && commandName(c.head) != "UID" || c.args == 3 {
					c.named = true
					name := commandName(c.head)
					c.search = name == "SEARCH"
					if _, ok := mailboxCommands[name]; ok {
						g.noteInFlight(commandTag(c.head), name)
					}
				}
			}
			if ch == '\n' {
				g.flushHeld()
				starttls := g.noteStartTLS()
				c.reset()
				if starttls {
					// Nothing sent after STARTTLS in plaintext may count
					// (RFC 9051 §6.2.1; CVE-2011-0411): stop here, and the
					// rest is dropped with the plaintext connection.
					return b[i+1:]
				}
				continue
			}
			g.flushHeld()
			c.prev = ch
			continue
		}
		if c.inQuote {
			switch {
			case ch == '\r' || ch == '\n': // escaped or not: QUOTED-CHAR has neither
				g.refuseQuote(ch == '\r')
				return b[i+1:]
			case c.escaped:
				c.escaped = false
			case ch == '\\':
				c.escaped = true
			case ch == '"':
				c.inQuote, c.prev = false, ch
			}
			continue
		}
		if c.lit.state > 0 {
			consumed, refused := g.literalOctet(ch)
			if refused {
				return b[i+1:]
			}
			if consumed {
				continue
			}
			// Not a literal after all: judge ch as an ordinary octet.
		}
		switch ch {
		case '"':
			c.inQuote = true
		case '{':
			// A literal begins a string: after SP, "(" or literal8's "~"
			// (RFC 9051 §9, RFC 3516).
			if p := c.prev; p == ' ' || p == '(' || p == '~' {
				c.lit = litAnn{state: 1, binary: p == '~'}
			}
		case ' ':
			c.args++
		case '\n':
			g.flushHeld()
			c.reset()
			continue
		}
		c.prev = ch
		if len(c.held) > guardMaxHeld {
			// Longer than the library accepts: let it refuse the rest.
			c.fix.off = true // it may be cut inside a key
			g.flushHeld()
		}
	}
	return nil
}

// literalOctet advances a literal announcement by one octet: consumed
// when the octet belongs to it, refused when the literal is refused (the
// command is over then).
func (g *inputGuard) literalOctet(ch byte) (consumed, refused bool) {
	c := &g.cmd
	l := &c.lit
	switch {
	case l.state == 1 && ch >= '0' && ch <= '9':
		if l.digits++; l.digits <= 18 {
			l.size = l.size*10 + uint64(ch-'0')
		} else {
			l.size = 1 << 62 // more digits than any size: too big anyway
		}
		return true, false
	case l.state == 1 && ch == '+' && l.digits > 0:
		l.state, l.nonSync = 2, true
		return true, false
	case (l.state == 1 && l.digits > 0 || l.state == 2) && ch == '}':
		l.state = 3
		return true, false
	case l.state == 3 && ch == ' ':
		l.state = 4
		return true, false
	case (l.state == 3 || l.state == 4) && ch == '\r':
		l.state = 5
		return true, false
	case l.state >= 3 && ch == '\n':
		size, nonSync, binary := int64(l.size), l.nonSync, l.binary
		c.lit = litAnn{}
		limit := g.literalLimit()
		if nonSync && limit > maxBufferedLiteral {
			// LITERAL- (RFC 7888 §4, part of IMAP4rev2): a non-synchronizing
			// literal is at most 4096 octets. go-imap refuses a longer one
			// and then reads its octets as commands.
			limit = maxBufferedLiteral
		}
		if size > limit {
			g.refuseLiteral(size, limit, nonSync)
			return true, true
		}
		// Accepted: the library may have it (and send "+").
		if c.args > 2 && commandName(c.head) == "APPEND" {
			g.appendBinary.Store(binary)
		}
		g.flushHeld()
		c.litData, c.prev = size, '}'
		if !nonSync && size > 0 {
			g.mu.Lock()
			g.contTag, g.litCancelled = commandTag(c.head), false
			g.mu.Unlock()
		}
		return true, false
	}
	// Not a literal announcement ("{" in some other place): the library
	// will say what it thinks of it.
	c.lit = litAnn{}
	return false, false
}

// literalLimit is the size allowed for a literal that begins now: the
// APPEND limit for an APPEND's message, go-imap's buffered limit for
// anything else (APPEND's mailbox name included).
func (g *inputGuard) literalLimit() int64 {
	c := &g.cmd
	if c.args > 2 && commandName(c.head) == "APPEND" {
		return g.appendLimit.Load()
	}
	return maxBufferedLiteral
}

func (g *inputGuard) refuseLiteral(size, limit int64, nonSync bool) {
	bye := ""
	switch {
	case nonSync:
		bye = "* BYE Non-synchronizing literal too large\r\n"
	case !g.loggedIn.Load():
		bye = "* BYE Literal too large before login\r\n"
	}
	var reply string
	if commandName(g.cmd.head) == "APPEND" && limit > maxBufferedLiteral {
		reply = fmt.Sprintf("NO [TOOBIG] Message of %d octets over the APPENDLIMIT of %d", size, limit)
	} else {
		reply = fmt.Sprintf("BAD [TOOBIG] Literal of %d octets over the limit of %d", size, limit)
	}
	g.refuse(reply, bye)
}

func (g *inputGuard) refuseQuote(atCR bool) {
	g.refuse("BAD [CLIENTBUG] Quoted string with CR or LF (RFC 9051 §4.3)", "")
	if atCR {
		g.cmd.skip = true // through the LF that ends the line
	}
}

// refuse ends the current command: the library gets a line it must
// answer BAD, and that answer is written as reply (see Write). A bye ends
// the connection after that.
func (g *inputGuard) refuse(reply, bye string) {
	if tag := commandTag(g.cmd.head); tag != "" {
		g.mu.Lock()
		g.rewriteTag, g.rewriteTo = tag, reply
		g.mu.Unlock()
	}
	g.cmd.reset()
	g.out = append(g.out, 0, '\r', '\n')
	if bye != "" {
		g.reply, g.closing = []byte(bye), true
	}
}

// flushHeld hands the held octets of the command to the library.
func (g *inputGuard) flushHeld() {
	if len(g.cmd.held) > 0 {
		held := g.cmd.held
		if g.cmd.search {
			held = g.cmd.fix.rewrite(held) // searchfix.go
		}
		g.out = append(g.out, held...)
		g.cmd.held = g.cmd.held[:0]
	}
}

// commandName returns the upper-cased command name of a command's first
// octets (after "UID", the name of the UID command).
func commandName(head []byte) string {
	fields := splitAtoms(head, 3)
	var name string
	if len(fields) > 1 {
		name = upperASCII(fields[1])
		if name == "UID" && len(fields) > 2 {
			name = upperASCII(fields[2])
		}
	}
	return name
}

// commandTag is the tag of a command's first octets ("" if not valid).
func commandTag(head []byte) string {
	if f := splitAtoms(head, 1); len(f) > 0 && validTag(f[0]) {
		return f[0]
	}
	return ""
}

// validTag: RFC 9051 §9, tag = 1*<any ASTRING-CHAR except "+">.
func validTag(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c >= 0x7f, c == '(' || c == ')' || c == '{' || c == '%' || c == '*' || c == '"' || c == '\\' || c == '+':
			return false
		}
	}
	return s != ""
}

// splitAtoms splits at spaces into at most n leading fields.
func splitAtoms(b []byte, n int) []string {
	var out []string
	start := 0
	for i := 0; i <= len(b) && len(out) < n; i++ {
		if i == len(b) || b[i] == ' ' || b[i] == '\r' || b[i] == '\n' || b[i] == '{' || b[i] == '"' {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			if i < len(b) && b[i] != ' ' {
				break
			}
			start = i + 1
		}
	}
	return out
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Write implements net.Conn. It follows the responses line by line,
// skipping the octets of their literals (message data is never looked
// into), and rewrites three kinds of status line:
//
//   - the library's BAD for a command the guard ended (refuse) goes out as
//     the guard's own reply;
//   - go-imap answers a decoder error that is not one of its
//     DecoderExpectErrors with NO [SERVERBUG] "Internal server error": a
//     SEARCH key it does not know (parsed as a sequence set: "bad number
//     set value"), a mailbox name or LIST pattern that is not modified
//     UTF-7, a malformed number set. Those are the client's mistakes
//     (issue 10 item 13: never [SERVERBUG] for them); imapd's own internal
//     errors go out with other text (errInternal), and the library's other
//     uses of that line follow write errors that no client reads: so that
//     exact tagged line becomes BAD [CLIENTBUG], or, for a mailbox
//     command (a name that is not modified UTF-7), OK for LIST and LSUB
//     and a plain NO for the others (mailboxCommands). The workaround can
//     go when go-imap maps its decoder's errors to BAD;
//   - MOVE's untagged COPYUID says "MOVE completed", not COPY's text.
//
// go-imap writes each status response whole (it flushes after every
// response), so a status line never spans writes; other lines may.
func (g *inputGuard) Write(b []byte) (int, error) {
	if g.takeover.done.Load() {
		return len(b), nil // the old session's last words go nowhere
	}
	if g.takeover.dropGreeting {
		n := len(b)
		if b = g.dropGreetingLine(b); len(b) == 0 {
			return n, nil
		}
		if _, err := g.Write(b); err != nil {
			return 0, err
		}
		return n, nil
	}
	if g.off {
		return g.Conn.Write(b)
	}
	g.mu.Lock()
	handOver := false
	var out []byte // nil: b goes out as it is
	copied := 0
	for i := 0; i < len(b); {
		if g.outLit > 0 {
			n := min(int64(len(b)-i), g.outLit)
			i += int(n)
			g.outLit -= n
			continue
		}
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			g.outTail = lastOctets(append(g.outTail, b[i:]...), outTailBytes)
			g.outMid = true
			break
		}
		line := b[i : i+j+1]
		whole := !g.outMid
		g.outLit = literalAtEnd(g.outTail, line)
		g.outTail, g.outMid = g.outTail[:0], false
		if whole && g.outLit == 0 && g.takeover.tag != "" && taggedOK(line, g.takeover.tag, &handOver) {
			g.takeover.tag = ""
		}
		if whole && g.outLit == 0 {
			if repl := g.rewriteLine(line); repl != nil {
				out = append(append(out, b[copied:i]...), repl...)
				copied = i + j + 1
			}
		}
		i += j + 1
	}
	g.mu.Unlock()
	if out == nil {
		n, err := g.Conn.Write(b)
		if err == nil && handOver {
			g.handOver()
		}
		return n, err
	}
	out = append(out, b[copied:]...)
	if _, err := g.Conn.Write(out); err != nil {
		return 0, err
	}
	if handOver {
		g.handOver()
	}
	return len(b), nil
}

// rewriteLine returns the replacement of a whole response line outside
// literals, or nil (see Write). g.mu is held.
func (g *inputGuard) rewriteLine(line []byte) []byte {
	if g.contTag != "" {
		switch {
		case bytes.HasPrefix(line, []byte("+")):
			g.contTag = ""
		case bytes.HasPrefix(line, []byte(g.contTag+" ")):
			g.contTag, g.litCancelled = "", true
		}
	}
	if g.rewriteTag != "" && bytes.HasPrefix(line, []byte(g.rewriteTag+" BAD ")) {
		tag, to := g.rewriteTag, g.rewriteTo
		g.rewriteTag, g.rewriteTo = "", ""
		return []byte(tag + " " + to + "\r\n")
	}
	if bytes.HasPrefix(line, moveCopyUIDStart) && bytes.HasSuffix(line, copyCompleted) {
		// go-imap's MoveWriter.WriteCopyData writes MOVE's untagged
		// COPYUID (RFC 6851 §4.3) with COPY's text; only MOVE writes an
		// untagged one. Cosmetic, for clients that log it.
		return append(bytes.Clone(line[:len(line)-len(copyCompleted)]), moveCompleted...)
	}
	var name string
	if len(g.inFlight) > 0 && line[0] != '*' && line[0] != '+' {
		if i := bytes.IndexByte(line, ' '); i > 0 {
			tag := string(line[:i])
			name = g.inFlight[tag]
			delete(g.inFlight, tag)
		}
	}
	if tag, ok := bytes.CutSuffix(line, libInternalError); ok && len(tag) > 0 && tag[0] != '*' && bytes.IndexByte(tag, ' ') < 0 {
		if reply, ok := mailboxCommands[name]; ok {
			return []byte(string(tag) + " " + reply + "\r\n")
		}
		return append(append([]byte(nil), tag...), clientSyntaxError...)
	}
	return nil
}

// mailboxCommands: go-imap answers a mailbox name or LIST pattern that is
// not valid modified UTF-7 (RFC 3501 §5.1.3; "&foo") with NO [SERVERBUG]
// (its decoder's utf7 error is not one it expects), the only decoder error
// these commands have that is not BAD already. LIST and LSUB match no
// mailbox with such a pattern: OK and nothing; the others name a mailbox
// that cannot exist: a plain NO. The workaround can go with the one for
// SERVERBUG above.
var mailboxCommands = map[string]string{
	"LIST": "OK LIST completed", "LSUB": "OK LSUB completed",
	"SELECT": "NO No such mailbox (not valid modified UTF-7)", "EXAMINE": "NO No such mailbox (not valid modified UTF-7)",
	"STATUS": "NO No such mailbox (not valid modified UTF-7)", "DELETE": "NO No such mailbox (not valid modified UTF-7)",
	"RENAME": "NO Mailbox name not valid modified UTF-7", "CREATE": "NO Mailbox name not valid modified UTF-7",
	"SUBSCRIBE": "NO Mailbox name not valid modified UTF-7", "UNSUBSCRIBE": "NO Mailbox name not valid modified UTF-7",
}

// noteInFlight records a mailbox command's tag (at most maxInFlight:
// beyond, a client pipelining that many gets BAD [CLIENTBUG] for them).
func (g *inputGuard) noteInFlight(tag, name string) {
	const maxInFlight = 32
	if tag == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inFlight == nil {
		g.inFlight = make(map[string]string)
	}
	if len(g.inFlight) < maxInFlight {
		g.inFlight[tag] = name
	}
}

// outTailBytes is how much of an unfinished response line Write keeps: a
// literal's announcement at its end ("~{4294967295}" CRLF) fits.
const outTailBytes = 32

// literalAtEnd is the size of the literal announced at the end of a line
// (tail holds the end of the line's part from earlier writes), 0 if none.
func literalAtEnd(tail, line []byte) int64 {
	var buf [2 * outTailBytes]byte
	end := append(append(buf[:0], lastOctets(tail, outTailBytes)...), lastOctets(line, outTailBytes)...)
	end = bytes.TrimSuffix(bytes.TrimSuffix(end, []byte("\n")), []byte("\r"))
	if !bytes.HasSuffix(end, []byte("}")) {
		return 0
	}
	k := bytes.LastIndexByte(end, '{')
	if k < 0 {
		return 0
	}
	n, err := strconv.ParseInt(string(end[k+1:len(end)-1]), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func lastOctets(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

var (
	moveCopyUIDStart  = []byte("* OK [COPYUID ")
	copyCompleted     = []byte("] COPY completed\r\n")
	moveCompleted     = []byte("] MOVE completed\r\n")
	libInternalError  = []byte(" NO [SERVERBUG] Internal server error\r\n")
	clientSyntaxError = []byte(" BAD [CLIENTBUG] Syntax error\r\n")
)

// appendWasBinary reports whether the APPEND message literal now being
// read was a literal8.
func (g *inputGuard) appendWasBinary() bool { return g.appendBinary.Load() }

// setLoggedIn and setAppendLimit are called by the session.
func (g *inputGuard) setLoggedIn()           { g.loggedIn.Store(true) }
func (g *inputGuard) setAppendLimit(n int64) { g.appendLimit.Store(n) }
