package imapd

import (
	"bytes"
	"net"
	"strconv"

	"github.com/emersion/go-imap/v2"
)

// The origin of a partial BINARY fetch (RFC 3516 §4.2, RFC 9051 §7.5.2):
// FETCH 1 (BINARY[1]<0.10>) is answered "BINARY[1]<0> ~{10}", the origin
// telling the client which part of the section it got. go-imap v2 beta.8
// writes the item itself (imapserver.FetchResponseWriter.WriteBinarySection)
// and leaves the origin out; the session cannot reach the encoder. So the
// connection go-imap writes to puts it in: the session announces, before
// it asks go-imap for the item, that the n-th BINARY item of the
// connection is partial with origin o (expect), and binaryOrigins, which
// follows the framing of everything the server writes, inserts "<o>"
// into that item's header as it passes. This goes when go-imap writes the
// origin (a two-line change in WriteBinarySection).
//
// Following the framing needs no IMAP parser. A line of server output
// ends a response unless it ends with a literal's "{n}" or "~{n}" (the
// n octets that follow are the literal's, and the response goes on
// after them). Free text, which could end in "}" by chance, is only in
// status responses ("tag OK ...", "* NO ...", "* BYE ...") and
// continuation requests ("+ ..."); those never carry literals, so their
// line ends are never taken for one. Elsewhere a "}" before CRLF can only
// close a literal's length: "{" is not an atom character, and strings and
// lists end in '"' and ')'. In server output "~{" is written only by
// BINARY items, so every line that ends in "~{n}" is the header of one,
// and counting them numbers the BINARY items exactly as the session
// numbers its WriteBinarySection calls.
//
// While an origin is expected, the last octets of the line being written
// (at most originTail, enough for "] ~{n}" and CRLF) are held back until
// the line ends, so the origin can go in before "~{"; every response ends
// with CRLF, so nothing is held once go-imap has written a response.
// Literal content passes through untouched and unexamined.
type binaryOrigins struct {
	literal   int64  // octets of a literal still to pass
	respStart bool   // the next octet begins a response
	deciding  bool   // head is still being read
	freeText  bool   // the current response is a status response or continuation
	head      []byte // a response's first octets, until freeText is known
	tail      []byte // the current line's last octets, at most originTail
	held      int    // how many octets at the end of tail are not yet written
	items     uint64 // BINARY items (lines ending in "~{n}") passed so far
	want      []originWant
	scratch   []byte
}

// originWant is a partial BINARY item to be given its origin.
type originWant struct {
	item   uint64 // its number among the connection's BINARY items, from 1
	origin int64
}

// originTail bounds what is held back: "] ~{" + 20 digits + "}\r\n".
const originTail = 64

// originHead is how much of a response's start tells whether it is free
// text: "* PREAUTH " and a little more.
const originHead = 16

func newBinaryOrigins() *binaryOrigins {
	return &binaryOrigins{respStart: true}
}

// expect announces that the connection's item-th BINARY item is a
// partial one starting at origin.
func (o *binaryOrigins) expect(item uint64, origin int64) {
	o.want = append(o.want, originWant{item, origin})
}

// write passes b on to emit, in order, with origins inserted. emit's
// error ends the call.
func (o *binaryOrigins) write(b []byte, emit func([]byte) error) error {
	if len(o.want) == 0 && o.held == 0 {
		// Nothing to put in: pass b on whole and only follow the
		// framing (an origin is only ever expected between writes).
		if err := emit(b); err != nil {
			return err
		}
		o.follow(b)
		return nil
	}
	for len(b) > 0 {
		if o.literal > 0 {
			n := int(min(o.literal, int64(len(b))))
			if err := emit(b[:n]); err != nil {
				return err
			}
			o.literal -= int64(n)
			b = b[n:]
			continue
		}
		seg, rest, lineEnd := b, []byte(nil), false
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			seg, rest, lineEnd = b[:i+1], b[i+1:], true
		}
		b = rest
		o.noteHead(seg, lineEnd)
		if err := o.pass(seg, emit); err != nil {
			return err
		}
		if lineEnd {
			if err := o.endLine(emit); err != nil {
				return err
			}
		}
	}
	return nil
}

// follow keeps track of the framing of b, which has been written.
func (o *binaryOrigins) follow(b []byte) {
	for len(b) > 0 {
		if o.literal > 0 {
			n := int(min(o.literal, int64(len(b))))
			o.literal -= int64(n)
			b = b[n:]
			continue
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			o.noteHead(b, false)
			o.keepTail(b)
			return
		}
		seg := b[:i+1]
		b = b[i+1:]
		o.noteHead(seg, true)
		line := seg
		if len(o.tail) > 0 {
			o.keepTail(seg)
			line = o.tail
		}
		o.lineDone(line)
		o.tail = o.tail[:0]
	}
}

// lineDone takes the end of a line that has been written: a literal
// follows, or the response has ended. A BINARY item is counted, and an
// origin expected for it but not put in is given up.
func (o *binaryOrigins) lineDone(line []byte) {
	n, binary, ok := literalMarker(line)
	if !ok || o.freeText {
		o.respStart = true
		return
	}
	if binary {
		o.items++
		for len(o.want) > 0 && o.want[0].item <= o.items {
			o.want = o.want[1:]
		}
	}
	o.literal = n
}

// noteHead reads a response's first octets (of its first line) to tell
// whether it is free text.
func (o *binaryOrigins) noteHead(seg []byte, lineEnd bool) {
	if o.respStart {
		o.respStart = false
		o.deciding = true
		o.head = o.head[:0]
	}
	if !o.deciding {
		return
	}
	if len(o.head) == 0 && (lineEnd || len(seg) >= originHead) {
		o.deciding = false
		o.freeText = isFreeText(seg[:min(len(seg), originHead)])
		return
	}
	o.head = append(o.head, seg[:min(len(seg), originHead-len(o.head))]...)
	if lineEnd || len(o.head) >= originHead {
		o.deciding = false
		o.freeText = isFreeText(o.head)
	}
}

// isFreeText reports whether a response beginning with head is a status
// response or a continuation request (RFC 9051 §7.1, §7.5), whose text
// is free.
func isFreeText(head []byte) bool {
	if len(head) < 2 || head[0] != '*' || head[1] != ' ' {
		return true // "+ ...", or a tagged status response
	}
	rest := head[2:]
	if len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		return false // "* 12 FETCH", "* 3 EXISTS"
	}
	for _, w := range []string{"OK", "NO", "BAD", "BYE", "PREAUTH"} {
		if len(rest) >= len(w) && string(rest[:len(w)]) == w &&
			(len(rest) == len(w) || rest[len(w)] == ' ' || rest[len(w)] == '\r' || rest[len(w)] == '[') {
			return true
		}
	}
	return false
}

// release writes what is held back (before the connection waits for
// input; a response always ends its line first, so this is a safety net).
func (o *binaryOrigins) release(emit func([]byte) error) error {
	if o.held == 0 {
		return nil
	}
	out := o.tail[len(o.tail)-o.held:]
	o.held = 0
	return emit(out)
}

// pass writes seg, or holds its end back while an origin is expected,
// and keeps the line's last octets in tail.
func (o *binaryOrigins) pass(seg []byte, emit func([]byte) error) error {
	if len(o.want) == 0 && o.held == 0 {
		if err := emit(seg); err != nil {
			return err
		}
		o.keepTail(seg)
		return nil
	}
	// Held octets, then seg; all but the last originTail go out now.
	pending := append(o.scratch[:0], o.tail[len(o.tail)-o.held:]...)
	pending = append(pending, seg...)
	o.scratch = pending
	if cut := len(pending) - originTail; cut > 0 {
		if err := emit(pending[:cut]); err != nil {
			return err
		}
	}
	o.keepTail(seg)
	o.held = min(len(pending), originTail)
	return nil
}

// keepTail appends seg to the line's tail, keeping the last originTail
// octets.
func (o *binaryOrigins) keepTail(seg []byte) {
	if len(seg) >= originTail {
		o.tail = append(o.tail[:0], seg[len(seg)-originTail:]...)
		return
	}
	if over := len(o.tail) + len(seg) - originTail; over > 0 {
		o.tail = append(o.tail[:0], o.tail[over:]...)
	}
	o.tail = append(o.tail, seg...)
}

// endLine runs at each LF while octets are held: the held end of the
// line goes out, with the origin put in if this is the BINARY item
// expected next.
func (o *binaryOrigins) endLine(emit func([]byte) error) error {
	out := o.tail[len(o.tail)-o.held:]
	if _, binary, ok := literalMarker(o.tail); ok && binary && !o.freeText &&
		len(o.want) > 0 && o.want[0].item == o.items+1 {
		out = withOrigin(out, o.want[0].origin)
	}
	o.lineDone(o.tail)
	o.held = 0
	o.tail = o.tail[:0]
	if len(out) == 0 {
		return nil
	}
	return emit(out)
}

// withOrigin puts "<origin>" after the "]" of "] ~{n}\r\n" ending
// held; held is returned unchanged if that "]" is not in it.
func withOrigin(held []byte, origin int64) []byte {
	j := bytes.LastIndex(held, []byte("] ~{"))
	if j < 0 {
		return held
	}
	out := make([]byte, 0, len(held)+22)
	out = append(out, held[:j+1]...)
	out = append(out, '<')
	out = strconv.AppendInt(out, origin, 10)
	out = append(out, '>')
	return append(out, held[j+1:]...)
}

// literalMarker parses a line end "{n}\r\n" or "~{n}\r\n" (binary).
func literalMarker(line []byte) (n int64, binary, ok bool) {
	if !bytes.HasSuffix(line, []byte("}\r\n")) {
		return 0, false, false
	}
	digits := line[:len(line)-3]
	i := len(digits)
	for i > 0 && digits[i-1] >= '0' && digits[i-1] <= '9' {
		i--
	}
	if i == len(digits) || i == 0 || digits[i-1] != '{' || len(digits)-i > 19 {
		return 0, false, false
	}
	n, err := strconv.ParseInt(string(digits[i:]), 10, 64)
	if err != nil {
		return 0, false, false
	}
	return n, i >= 2 && digits[i-2] == '~', true
}

// originsOf finds the origin fixer of the connection go-imap holds; nil
// when there is none (a STARTTLS left to go-imap).
func originsOf(c net.Conn) *serverConn {
	switch t := c.(type) {
	case *tlsConn:
		return t.serverConn
	case *serverConn:
		if t.origins != nil {
			return t
		}
	}
	return nil
}

// noteBinaryItem numbers the BINARY item the session is about to ask
// go-imap for, and announces its origin if it is partial.
func (s *session) noteBinaryItem(bs *imap.FetchItemBinarySection) {
	s.binaryItems++
	if bs.Partial == nil {
		return
	}
	if sc := originsOf(s.conn.NetConn()); sc != nil {
		sc.expectBinaryOrigin(s.binaryItems, bs.Partial.Offset)
	}
}
