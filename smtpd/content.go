package smtpd

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/emersion/go-smtp"
)

// contentScanner passes message data through unchanged and notes what
// smtpd's bare CR/LF policy needs to know (see the package comment):
// whether the data holds a bare CR or a "." line bordered by a bare LF
// (a smuggled end-of-data), and whether it holds 8-bit octets.
type contentScanner struct {
	r io.Reader
	// maxLine > 0 bounds the octets of a line, its line ending included
	// (as go-smtp's line limit counts): a longer line fails the read
	// with smtp.ErrTooLongLine.
	maxLine int

	smuggling bool // bare CR, or "." line next to a bare LF
	eightBit  bool
	octets    int64 // read so far
	lineLen   int   // octets of the current line (when maxLine > 0)

	pendingCR bool // the last octet was CR
	prevBare  bool // the previous line ended in a bare LF
	line      int  // octets in the current line, capped at 2
	dot       bool // the current line so far is "."
}

func (c *contentScanner) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.octets += int64(n)
	if c.maxLine > 0 && !c.countLines(p[:n]) {
		return 0, smtp.ErrTooLongLine
	}
	c.scan(p[:n])
	if err == io.EOF && (c.pendingCR || c.dot && c.line == 1 && c.prevBare) {
		c.smuggling = true // data ending in a bare CR, or in "<LF>."
	}
	return n, err
}

// countLines adds p to the line lengths and reports whether every line
// stayed within maxLine.
func (c *contentScanner) countLines(p []byte) bool {
	for {
		lf := bytes.IndexByte(p, '\n')
		if lf < 0 {
			c.lineLen += len(p)
			return c.lineLen <= c.maxLine
		}
		if c.lineLen+lf+1 > c.maxLine {
			return false
		}
		c.lineLen = 0
		p = p[lf+1:]
	}
}

// scan runs the octets of p through the state machine. In the middle of a
// line (two octets or more, no CR pending) only CR and LF matter, so it
// skips to the next of them at once; 8-bit octets are looked for eight at
// a time. (Octet by octet, this was 11 % of the server's CPU receiving
// 64 KiB messages.)
func (c *contentScanner) scan(p []byte) {
	if !c.eightBit && hasHighBit(p) {
		c.eightBit = true
	}
	for len(p) > 0 {
		if c.line >= 2 && !c.pendingCR {
			lf := bytes.IndexByte(p, '\n')
			end := lf
			if end < 0 {
				end = len(p)
			}
			if cr := bytes.IndexByte(p[:end], '\r'); cr >= 0 {
				end = cr
			}
			// p[:end] are ordinary octets in the middle of a line: they
			// change nothing (line stays capped at 2, dot false).
			p = p[end:]
			if len(p) == 0 {
				return
			}
		}
		c.step(p[0])
		p = p[1:]
	}
}

// hasHighBit reports whether p holds an octet >= 0x80.
func hasHighBit(p []byte) bool {
	for len(p) >= 8 {
		if binary.LittleEndian.Uint64(p)&0x8080808080808080 != 0 {
			return true
		}
		p = p[8:]
	}
	for _, b := range p {
		if b >= 0x80 {
			return true
		}
	}
	return false
}

// step runs one octet through the state machine.
func (c *contentScanner) step(b byte) {
	if c.pendingCR {
		c.pendingCR = false
		if b == '\n' {
			c.endLine(false)
			return
		}
		// RFC 5321 §2.3.8: CR only as part of CRLF.
		c.smuggling = true
		c.addOctet('\r')
	}
	switch b {
	case '\r':
		c.pendingCR = true
	case '\n':
		c.endLine(true)
	default:
		c.addOctet(b)
	}
}

func (c *contentScanner) addOctet(b byte) {
	if b >= 0x80 {
		c.eightBit = true
	}
	c.dot = c.line == 0 && b == '.'
	if c.line < 2 {
		c.line++
	}
}

// endLine ends the current line; bare says it ended in a bare LF.
func (c *contentScanner) endLine(bare bool) {
	if c.dot && c.line == 1 && (bare || c.prevBare) {
		c.smuggling = true
	}
	c.prevBare, c.line, c.dot = bare, 0, false
}
