package smtpd

import (
	"io"
	"net/textproto"
	"reflect"
	"unsafe"

	"github.com/emersion/go-smtp"
)

// go-smtp has no hook for commands, and it does TLS itself (STARTTLS),
// above any wrapper of the raw connection, so a wrapper there sees
// ciphertext. The command filter therefore goes where go-smtp reads
// plaintext: between its connection (plain or *tls.Conn) and its
// lineLimitReader, by setting the unexported Conn.lineLimitReader's R.
// go-smtp rebuilds that reader after STARTTLS (Conn.init), and every
// EHLO after STARTTLS starts a new session, so the filter is put in place
// at each NewSession; what go-smtp had already buffered beyond the EHLO
// line (Conn.text's bufio.Reader) is moved into the filter first, so the
// filter sees every line after the EHLO.
//
// This reaches unexported fields, so it is used only when the behavioural
// guard (gosmtpguard.go) passed for the go-smtp version it was verified
// with. What would let it go: go-smtp answering the cases of
// cmdrewrite.go itself, and checking BDAT chunk lengths.

// connLayout is where go-smtp's Conn keeps its reader chain.
type connLayout struct {
	text uintptr // offset of Conn.text (*textproto.Conn)
	line *lineLayout
}

// connLayoutOf checks the fields of go-smtp's Conn that the filter needs.
func connLayoutOf() (*connLayout, bool) {
	ll, ok := lineLayoutOf()
	if !ok {
		return nil, false
	}
	f, ok := reflect.TypeFor[smtp.Conn]().FieldByName("text")
	if !ok || f.Type != reflect.TypeFor[*textproto.Conn]() {
		return nil, false
	}
	return &connLayout{text: f.Offset, line: ll}, true
}

// installFilter puts a command filter into c's reader chain, or returns
// the one there already.
func (l *connLayout) installFilter(c *smtp.Conn, newFilter func(src io.Reader, pending []byte) *commandFilter) *commandFilter {
	llr := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(c), l.line.reader))
	text := *(**textproto.Conn)(unsafe.Add(unsafe.Pointer(c), l.text))
	if llr == nil || text == nil || text.R == nil {
		return nil
	}
	src := (*io.Reader)(llr) // lineLimitReader.R is its first field
	if f, ok := (*src).(*commandFilter); ok {
		return f
	}
	br := text.R
	pending, _ := br.Peek(br.Buffered())
	pending = append([]byte(nil), pending...)
	br.Discard(len(pending))
	f := newFilter(*src, pending)
	*src = f
	if len(pending) > 0 {
		// The line limit counted these octets already; it counts them
		// again as the filter hands them over, from just after the
		// EHLO line's LF (which go-smtp counts into the next line).
		*(*int)(unsafe.Add(llr, l.line.count)) = 1
	}
	return f
}
