package smtpd

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"strings"
	"unsafe"

	"github.com/emersion/go-smtp"
)

// go-smtp (v0.25) hands Data a reader that undoes the dot-stuffing of DATA
// (RFC 5321 §4.5.2) one octet at a time, through bufio.Reader.ReadByte:
// profiled under smtp-source with 64 KiB messages it was 38 % of the
// server's CPU. dotReader reads the same bufio.Reader with the same state
// machine, but copies each run of ordinary octets in one piece (the state
// only changes at CR and at the start of a line), and keeps go-smtp's
// reader's fields up to date, so that go-smtp's own reads after Data (it
// drains the rest of the data) continue where this one stopped.
//
// The fields are unexported, so they are reached through reflect and
// unsafe, and only after the guard of gosmtpguard.go has passed: the
// go-smtp linked in is the version verified, its fields have the names and
// types expected, and, run through a real go-smtp server, dotReader and
// go-smtp's own reader agree on every case of a corpus of smuggling
// variants, size limit and line length cases. Otherwise Data uses go-smtp's
// reader unchanged (TestGoSMTPGuardPasses fails then). FuzzDotReader
// compares the two readers octet for octet.

// The states of go-smtp's dataReader (constants local to its Read).
const (
	dsBeginLine = iota // beginning of line
	dsDot              // read "." at the beginning of a line
	dsDotCR            // read ".\r" at the beginning of a line
	dsCR               // read "\r" (possibly at the end of a line)
	dsData             // in the middle of a line
	dsEOF              // read the ".\r\n" end marker line
)

// dotStep is one octet c of go-smtp's end-of-data state machine from
// state s: the next state, and whether c is message data (false for the
// dot that starts a line, the CR after it, and the LF that ends the data:
// go-smtp unstuffs and drops them). dotReader and dotScan (cmdfilter.go)
// share it.
func dotStep(s int, c byte) (int, bool) {
	switch s {
	case dsBeginLine:
		switch c {
		case '.':
			return dsDot, false
		case '\r':
			return dsCR, true
		}
		return dsData, true
	case dsDot:
		if c == '\r' {
			return dsDotCR, false
		}
		return dsData, true
	case dsDotCR:
		if c == '\n' {
			return dsEOF, false
		}
		return dsData, true
	case dsCR:
		if c == '\n' {
			return dsBeginLine, true
		}
		return dsData, true
	case dsData:
		if c == '\r' {
			return dsCR, true
		}
	}
	return s, true
}

// dataLayout is where go-smtp's dataReader keeps its fields.
type dataLayout struct {
	typ                    reflect.Type // *smtp.dataReader
	r, state, limited, rem uintptr      // field offsets
}

// lineLayout is where go-smtp's Conn keeps its line length limit: a
// *lineLimitReader between the socket and the bufio.Reader, which counts
// every octet read, commands and data, one at a time (20 % of the CPU
// after dotReader). dotReader switches it off for the data it reads and
// applies the same limit itself, line by line.
type lineLayout struct {
	reader       uintptr // offset of Conn.lineLimitReader
	limit, count uintptr // offsets of its LineLimit and curLineLength
}

// lineLayoutOf checks the fields of go-smtp's Conn and lineLimitReader.
func lineLayoutOf() (*lineLayout, bool) {
	f, ok := reflect.TypeFor[smtp.Conn]().FieldByName("lineLimitReader")
	if !ok || f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	t := f.Type.Elem()
	if t.Name() != "lineLimitReader" || t.NumField() != 3 {
		return nil, false
	}
	l := &lineLayout{reader: f.Offset}
	for i, w := range []struct {
		name string
		typ  reflect.Type
		off  *uintptr
	}{
		{"R", reflect.TypeFor[io.Reader](), nil},
		{"LineLimit", reflect.TypeFor[int](), &l.limit},
		{"curLineLength", reflect.TypeFor[int](), &l.count},
	} {
		if t.Field(i).Name != w.name || t.Field(i).Type != w.typ {
			return nil, false
		}
		if w.off != nil {
			*w.off = t.Field(i).Offset
		}
	}
	return l, true
}

// layoutOf checks that t is go-smtp's *dataReader, a *struct{ r
// *bufio.Reader; state int; limited bool; n int64 }, and returns the field
// offsets.
func layoutOf(t reflect.Type) (*dataLayout, bool) {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct || t.Elem().NumField() != 4 ||
		t.Elem().Name() != "dataReader" || t.Elem().PkgPath() != "github.com/emersion/go-smtp" {
		return nil, false
	}
	s := t.Elem()
	want := []struct {
		name string
		typ  reflect.Type
	}{
		{"r", reflect.TypeFor[*bufio.Reader]()},
		{"state", reflect.TypeFor[int]()},
		{"limited", reflect.TypeFor[bool]()},
		{"n", reflect.TypeFor[int64]()},
	}
	var off [4]uintptr
	for i, w := range want {
		f := s.Field(i)
		if f.Name != w.name || f.Type != w.typ {
			return nil, false
		}
		off[i] = f.Offset
	}
	return &dataLayout{typ: t, r: off[0], state: off[1], limited: off[2], rem: off[3]}, true
}

// newReference returns a go-smtp dataReader over br (for the self-check
// and the tests).
func (l *dataLayout) newReference(br *bufio.Reader, limit int64) io.Reader {
	v := reflect.New(l.typ.Elem())
	p := v.UnsafePointer()
	*(**bufio.Reader)(unsafe.Add(p, l.r)) = br
	if limit > 0 {
		*(*bool)(unsafe.Add(p, l.limited)) = true
		*(*int64)(unsafe.Add(p, l.rem)) = limit
	}
	return v.Interface().(io.Reader)
}

// verify runs go-smtp's reader over inputs that end in each state and
// checks the state numbers (and the output) against the constants above.
func (l *dataLayout) verify() bool {
	for _, c := range []struct {
		in, out string
		state   int
	}{
		{"", "", dsBeginLine},
		{"ab", "ab", dsData},
		{"a\r", "a\r", dsCR},
		{"a\r\n", "a\r\n", dsBeginLine},
		{"a\r\n.", "a\r\n", dsDot},
		{"a\r\n.\r", "a\r\n", dsDotCR},
		{"a\r\n..x\r\n.\r\n", "a\r\n.x\r\n", dsEOF},
	} {
		r := l.newReference(bufio.NewReader(strings.NewReader(c.in)), 0)
		out, _ := io.ReadAll(r)
		if string(out) != c.out || *(*int)(unsafe.Add(reflect.ValueOf(r).UnsafePointer(), l.state)) != c.state {
			return false
		}
	}
	return true
}

// fastPath is dotReader's access to go-smtp's DATA reader and line limit,
// set only when the guard (gosmtpguard.go) verified both; nil: off.
type fastPath struct {
	data *dataLayout
	line *lineLayout
}

// fastData returns a fast reader sharing r's state if the fast path is on
// and r is go-smtp's DATA reader, and r itself otherwise (BDAT's pipe).
// If c is not nil, the reader also takes over c's line length limit
// until done is called, which Data must do before it returns.
func (fp *fastPath) fastData(r io.Reader, c *smtp.Conn) (_ io.Reader, done func()) {
	if fp == nil || reflect.TypeOf(r) != fp.data.typ {
		return r, func() {}
	}
	l := fp.data
	p := reflect.ValueOf(r).UnsafePointer()
	d := &dotReader{
		br:      *(**bufio.Reader)(unsafe.Add(p, l.r)),
		state:   (*int)(unsafe.Add(p, l.state)),
		limited: (*bool)(unsafe.Add(p, l.limited)),
		rem:     (*int64)(unsafe.Add(p, l.rem)),
	}
	ll := fp.line
	if c == nil || ll == nil {
		return d, func() {}
	}
	llr := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(c), ll.reader))
	if llr == nil {
		return d, func() {}
	}
	limit, count := (*int)(unsafe.Add(llr, ll.limit)), (*int)(unsafe.Add(llr, ll.count))
	if *limit <= 0 {
		return d, func() {}
	}
	// Start from go-smtp's count: the LF ending the DATA line counts
	// into the first line of data (the guard found this off by one).
	d.maxLine, d.lineLen, *limit = *limit, *count, 0
	return d, func() {
		*limit = d.maxLine
		if d.tooLong {
			// As go-smtp would: every further read fails, and the
			// connection is closed after the reply.
			*count = d.maxLine + 1
		} else {
			*count = d.lineLen
		}
	}
}

// dotReader is go-smtp's dataReader.Read (net/textproto's dot reader
// without its CRLF to LF rewrite) over the same fields, with a fast path
// for runs of octets in the middle of a line.
type dotReader struct {
	br      *bufio.Reader
	state   *int
	limited *bool
	rem     *int64 // octets the message may still have (when limited)

	// maxLine > 0 is go-smtp's line length limit, which dotReader applies
	// in its place: lineLen counts as go-smtp does (the LF starts the next
	// line), and more than maxLine fails the read with ErrTooLongLine.
	maxLine int
	lineLen int
	tooLong bool
}

func (d *dotReader) Read(b []byte) (n int, err error) {
	if d.tooLong {
		return 0, smtp.ErrTooLongLine
	}
	if *d.limited {
		if *d.rem <= 0 {
			return 0, smtp.ErrDataTooLarge
		}
		if int64(len(b)) > *d.rem {
			b = b[:*d.rem]
		}
	}
	state := *d.state
	for n < len(b) && state != dsEOF {
		if state == dsData {
			// In a line only CR changes the state: copy up to the next
			// CR (or what is buffered) at once.
			buf, _ := d.br.Peek(d.br.Buffered())
			buf = buf[:min(len(buf), len(b)-n)]
			k := bytes.IndexByte(buf, '\r')
			if k < 0 {
				k = len(buf)
			}
			if k > 0 {
				if d.maxLine > 0 && !d.countLines(buf[:k]) {
					err = d.lineTooLong()
					break
				}
				copy(b[n:], buf[:k])
				d.br.Discard(k)
				n += k
				continue
			}
		}
		var c byte
		c, err = d.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			break
		}
		if d.maxLine > 0 {
			if c == '\n' {
				d.lineLen = 0
			}
			if d.lineLen++; d.lineLen > d.maxLine {
				err = d.lineTooLong()
				break
			}
		}
		var data bool
		if state, data = dotStep(state, c); !data {
			continue
		}
		b[n] = c
		n++
	}
	*d.state = state
	if err == nil && state == dsEOF {
		err = io.EOF
	}
	if *d.limited {
		*d.rem -= int64(n)
	}
	return n, err
}

// lineTooLong fails the data as go-smtp's line limit does: it refuses the
// whole read, so nothing after the long line reaches go-smtp's buffer, and
// go-smtp's own drain of the data after Data fails at once. dotReader
// read into the buffer with the limit off, so it drops what is there
// (the connection is closed after the reply anyway).
func (d *dotReader) lineTooLong() error {
	d.tooLong = true
	d.br.Discard(d.br.Buffered())
	return smtp.ErrTooLongLine
}

// countLines counts the octets of p (bare LFs included) into lineLen and
// reports whether every line stayed within maxLine.
func (d *dotReader) countLines(p []byte) bool {
	for {
		lf := bytes.IndexByte(p, '\n')
		if lf < 0 {
			d.lineLen += len(p)
			break
		}
		if d.lineLen+lf > d.maxLine {
			d.lineLen += lf
			break
		}
		d.lineLen = 1 // go-smtp counts the LF into the next line
		p = p[lf+1:]
	}
	d.tooLong = d.lineLen > d.maxLine
	return !d.tooLong
}
