package smtpd

import "io"

// contentScanner passes message data through unchanged and notes what
// smtpd's bare CR/LF policy needs to know (see the package comment):
// whether the data holds a bare CR or a "." line bordered by a bare LF
// (a smuggled end-of-data), and whether it holds 8-bit octets.
type contentScanner struct {
	r io.Reader

	smuggling bool // bare CR, or "." line next to a bare LF
	eightBit  bool

	pendingCR bool // the last octet was CR
	prevBare  bool // the previous line ended in a bare LF
	line      int  // octets in the current line, capped at 2
	dot       bool // the current line so far is "."
}

func (c *contentScanner) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.scan(p[:n])
	if err == io.EOF && (c.pendingCR || c.dot && c.line == 1 && c.prevBare) {
		c.smuggling = true // data ending in a bare CR, or in "<LF>."
	}
	return n, err
}

func (c *contentScanner) scan(p []byte) {
	for _, b := range p {
		if c.pendingCR {
			c.pendingCR = false
			if b == '\n' {
				c.endLine(false)
				continue
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
