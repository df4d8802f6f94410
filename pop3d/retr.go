package pop3d

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// retrChunk is the size of the reads from the body: one store chunk, so
// each read is one short read transaction.
const retrChunk = store.ChunkSize

// cmdRetr sends a whole message (RFC 1939 §5). The size in the reply is
// the one LIST gives.
func (s *session) cmdRetr(args string) error {
	fields := strings.Fields(args)
	if len(fields) != 1 {
		return errorf("", "syntax: RETR message")
	}
	n, m, err := s.drop.lookup(fields[0])
	if err != nil {
		return err
	}
	size, err := s.drop.size(m)
	if err != nil {
		return err
	}
	return s.send(n, m, "+OK "+strconv.FormatInt(size, 10)+" octets", -1)
}

// cmdTop sends the header, the blank line after it, and the first lines of
// the body of a message (RFC 1939 §7).
func (s *session) cmdTop(args string) error {
	fields := strings.Fields(args)
	if len(fields) != 2 {
		return errorf("", "syntax: TOP message lines")
	}
	n, m, err := s.drop.lookup(fields[0])
	if err != nil {
		return err
	}
	lines, err := strconv.ParseUint(fields[1], 10, 63)
	if err != nil {
		return errorf("", "invalid number of lines")
	}
	return s.send(n, m, "+OK top of message follows", int(min(lines, 1<<62)))
}

// send streams message n as a multi-line response: status, the body
// dot-stuffed (RFC 1939 §3), a CRLF if the body lacks a final one, and
// ".". With topLines >= 0 the body stops after the header and that many
// lines. The body is read one chunk at a time, each in its own short read
// transaction, so nothing in the store waits for the client.
func (s *session) send(n int, m *message, status string, topLines int) error {
	r, err := s.srv.st.OpenBody(m.bodyID)
	if errors.Is(err, store.ErrNoSuchMessage) {
		return errorf("", "message %d was removed by another session", n)
	}
	if err != nil {
		return fmt.Errorf("open body %d: %w", m.bodyID, err)
	}
	defer r.Close() // the reader pins the body (store: a body outlives its readers)
	bufp := s.srv.bufs.Get().(*[]byte)
	defer s.srv.bufs.Put(bufp)
	buf := *bufp

	// Read the first chunk before the +OK: until then a failure can still
	// be a -ERR reply.
	k, err := r.Read(buf)
	if errors.Is(err, store.ErrNoSuchMessage) {
		return errorf("", "message %d was removed by another session", n)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("read body %d: %w", m.bodyID, err)
	}
	s.writeLine(status)
	d := dotStuffer{w: s.bw, lineStart: true, top: topLines >= 0, inHeader: true, linesLeft: topLines}
	for k > 0 {
		d.write(buf[:k])
		if d.done || d.err != nil {
			break
		}
		k, err = r.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			// After +OK no -ERR is possible: the client sees the
			// connection close without the terminating ".".
			return &abortError{fmt.Errorf("read body %d of message %d: %w", m.bodyID, n, err)}
		}
	}
	d.finish()
	if d.err != nil {
		return &abortError{fmt.Errorf("send message %d: %w", n, d.err)}
	}
	return nil
}

// nlDot is where byte-stuffing is needed: a line starting with ".".
var nlDot = []byte("\n.")

// dotStuffer writes a body as the lines of a multi-line response: a line
// that starts with "." gets another "." in front (RFC 1939 §3). For TOP it
// also finds the end of the header and counts the body lines.
type dotStuffer struct {
	w         *bufio.Writer
	lineStart bool    // the next byte starts a line
	last2     [2]byte // the last two body octets written
	n         int64   // body octets written
	err       error

	top       bool // TOP: stop after the header and linesLeft lines
	inHeader  bool
	lineLen   int // octets of the current line so far (TOP, in the header)
	linesLeft int
	done      bool
}

func (d *dotStuffer) write(p []byte) {
	if d.top {
		d.writeLines(p)
		return
	}
	for len(p) > 0 {
		if d.lineStart && p[0] == '.' {
			d.w.WriteByte('.')
		}
		seg := p
		if j := bytes.Index(p, nlDot); j >= 0 {
			seg = p[:j+1]
		}
		d.emit(seg)
		p = p[len(seg):]
	}
}

// writeLines is write for TOP: line by line.
func (d *dotStuffer) writeLines(p []byte) {
	for len(p) > 0 && !d.done {
		if d.lineStart && p[0] == '.' {
			d.w.WriteByte('.')
		}
		seg := p
		i := bytes.IndexByte(p, '\n')
		if i >= 0 {
			seg = p[:i+1]
		}
		d.emit(seg)
		p = p[len(seg):]
		if i < 0 {
			if d.inHeader {
				d.lineLen += len(seg)
			}
			continue
		}
		if d.inHeader {
			d.lineLen += len(seg)
			// A blank line ("\r\n", or a bare "\n") ends the header
			// (RFC 5322 §2.1).
			if d.lineLen == 1 || d.lineLen == 2 && d.last2[0] == '\r' {
				d.inHeader = false
				d.done = d.linesLeft == 0
			}
			d.lineLen = 0
			continue
		}
		d.linesLeft--
		d.done = d.linesLeft <= 0
	}
}

// emit writes seg, a piece of one line, and remembers where it ended.
func (d *dotStuffer) emit(seg []byte) {
	if d.err != nil {
		return
	}
	if _, err := d.w.Write(seg); err != nil {
		d.err = err
		return
	}
	d.n += int64(len(seg))
	if len(seg) >= 2 {
		d.last2 = [2]byte{seg[len(seg)-2], seg[len(seg)-1]}
	} else {
		d.last2 = [2]byte{d.last2[1], seg[0]}
	}
	d.lineStart = seg[len(seg)-1] == '\n'
}

// finish ends the last line with CRLF if it lacks one, and the response
// with ".".
func (d *dotStuffer) finish() {
	if d.err != nil {
		return
	}
	if d.n > 0 && d.last2 != [2]byte{'\r', '\n'} {
		d.w.WriteString("\r\n")
	}
	if _, err := d.w.WriteString(".\r\n"); err != nil {
		d.err = err
	}
}
