package smtpd

import (
	"bufio"
	"bytes"
	"io"
	"reflect"
	"strings"
	"sync"
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
// unsafe. Before the first use, lookup verifies the field names
// and types and runs go-smtp's own reader over known input to confirm the
// state numbering; if anything differs (another go-smtp version), Data
// uses go-smtp's reader unchanged (TestFastDataEngaged fails then).
// FuzzDotReader compares the two readers octet for octet.

// The states of go-smtp's dataReader (constants local to its Read).
const (
	dsBeginLine = iota // beginning of line
	dsDot              // read "." at the beginning of a line
	dsDotCR            // read ".\r" at the beginning of a line
	dsCR               // read "\r" (possibly at the end of a line)
	dsData             // in the middle of a line
	dsEOF              // read the ".\r\n" end marker line
)

// dataLayout is where go-smtp's dataReader keeps its fields.
type dataLayout struct {
	typ                    reflect.Type // *smtp.dataReader
	r, state, limited, rem uintptr      // field offsets
}

// dataLayouts remembers, per Server, whether the reader type go-smtp
// passes to Data has the layout dotReader expects (checked once).
// Data sees two types: the DATA reader and BDAT's pipe.
type dataLayouts struct {
	mu     sync.Mutex
	layout map[reflect.Type]*dataLayout // nil value: not usable
}

// lookup returns the layout of t, checking it on first sight.
func (ls *dataLayouts) lookup(t reflect.Type) *dataLayout {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l, seen := ls.layout[t]
	if !seen {
		if ls.layout == nil {
			ls.layout = map[reflect.Type]*dataLayout{}
		}
		if l2, ok := layoutOf(t); ok && l2.verify() {
			l = l2
		}
		ls.layout[t] = l
	}
	return l
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

// fastData returns a fast reader sharing r's state if r is go-smtp's DATA
// reader of the verified layout, and r itself otherwise (BDAT's pipe, or
// an unknown go-smtp).
func (ls *dataLayouts) fastData(r io.Reader) io.Reader {
	l := ls.lookup(reflect.TypeOf(r))
	if l == nil {
		return r
	}
	p := reflect.ValueOf(r).UnsafePointer()
	return &dotReader{
		br:      *(**bufio.Reader)(unsafe.Add(p, l.r)),
		state:   (*int)(unsafe.Add(p, l.state)),
		limited: (*bool)(unsafe.Add(p, l.limited)),
		rem:     (*int64)(unsafe.Add(p, l.rem)),
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
}

func (d *dotReader) Read(b []byte) (n int, err error) {
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
		switch state {
		case dsBeginLine:
			if c == '.' {
				state = dsDot
				continue
			}
			if c == '\r' {
				state = dsCR
				break
			}
			state = dsData
		case dsDot:
			if c == '\r' {
				state = dsDotCR
				continue
			}
			state = dsData
		case dsDotCR:
			if c == '\n' {
				state = dsEOF
				continue
			}
			state = dsData
		case dsCR:
			if c == '\n' {
				state = dsBeginLine
				break
			}
			state = dsData
		case dsData:
			if c == '\r' {
				state = dsCR
			}
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
