// Package mbox reads and writes mbox files (RFC 4155): each message
// starts with a "From " line giving its envelope sender and date, and a
// body line that would look like one is quoted with '>'. Reading undoes
// mboxrd quoting (one '>' off every ">*From " line), which is also right
// for mboxo, where only "From " lines were quoted; writing is mboxrd, so
// that reading gives back exactly what was written. The flags mail user
// agents and Dovecot keep in Status, X-Status and X-Keywords headers
// become IMAP flags, and those headers are removed from the message, as
// Dovecot hides them.
package mbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Message is one message of an mbox.
type Message struct {
	// From is the "From " line after "From " (sender and date), without
	// its line end; empty for text before the first "From " line.
	From string
	// Date is the date of the From line; zero if it has none that parses.
	Date time.Time
	// Flags from Status, X-Status and X-Keywords.
	Flags []string
	// Raw is the message, unquoted, without the flag headers, with its
	// line ends as in the file. It is valid until the next call to Next.
	Raw []byte
}

// Reader reads messages from an mbox one at a time; memory is one message.
type Reader struct {
	br      *bufio.Reader
	buf     []byte
	line    []byte
	from    string // From line of the message being read
	started bool
	eof     bool
	noCL    bool // Content-Length proved wrong once: ignored from then on
	// MaxSize > 0 bounds a message: Next fails with ErrTooLarge.
	MaxSize int64
}

// ErrTooLarge: a message longer than Reader.MaxSize.
var ErrTooLarge = errors.New("mbox: message too large")

// NewReader reads the mbox r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// readLine returns the next line with its line end (nil at EOF); it is
// valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		r.line = append(r.line, frag...)
		if err == bufio.ErrBufferFull {
			if r.MaxSize > 0 && int64(len(r.line)) > r.MaxSize {
				return nil, ErrTooLarge
			}
			continue
		}
		if err == io.EOF {
			if len(r.line) == 0 {
				return nil, io.EOF
			}
			return r.line, nil
		}
		return r.line, err
	}
}

func isBlank(line []byte) bool {
	return len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n'
}

// Next returns the next message, or io.EOF after the last.
func (r *Reader) Next() (*Message, error) {
	if r.eof {
		return nil, io.EOF
	}
	r.buf = r.buf[:0]
	prevBlank := !r.started // the file's start counts as after a blank line
	from := r.from
	inHeader, counted := from != "", false
	for {
		line, err := r.readLine()
		if err == io.EOF {
			r.eof = true
			if !r.started || (len(r.buf) == 0 && from == "") {
				return nil, io.EOF
			}
			return r.finish(from, counted), nil
		}
		if err != nil {
			return nil, fmt.Errorf("mbox: %w", err)
		}
		if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
			next := strings.TrimRight(string(line[5:]), "\r\n")
			if !r.started {
				r.started, from = true, next
				if len(r.buf) == 0 {
					inHeader = true
					continue
				}
				// Text before the first From line: a message of its own
				// (never dropped).
				r.from = next
				return r.finish("", false), nil
			}
			r.from = next
			return r.finish(from, counted), nil
		}
		r.started = true
		prevBlank = isBlank(line)
		// mboxrd: ">From ", ">>From "... lose one '>'.
		if q := bytes.IndexFunc(line, func(c rune) bool { return c != '>' }); q > 0 && bytes.HasPrefix(line[q:], []byte("From ")) {
			line = line[1:]
		}
		if r.MaxSize > 0 && int64(len(r.buf)+len(line)) > r.MaxSize {
			return nil, ErrTooLarge
		}
		r.buf = append(r.buf, line...)
		if inHeader && isBlank(line) {
			inHeader = false
			if n := contentLength(r.buf); n >= 0 && !r.noCL {
				ok, err := r.readCounted(n)
				if err != nil {
					return nil, err
				}
				if ok {
					counted, prevBlank = true, true
				}
			}
		}
	}
}

// contentLength is the value of the header's Content-Length field (as
// Dovecot and the mboxcl formats write), -1 if none.
func contentLength(header []byte) int64 {
	for line := range bytes.Lines(header) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(name), "Content-Length") {
			if n, err := strconv.ParseInt(strings.TrimSpace(string(value)), 10, 64); err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

// readCounted reads a body of n octets announced by Content-Length,
// unquoted (mboxcl2, Dovecot's format: "From " lines in bodies are not
// quoted). It is taken only if the next "From " line (or the end) follows
// right after it and its blank line; otherwise the octets are read again
// as lines and Content-Length is ignored for the rest of the file.
func (r *Reader) readCounted(n int64) (bool, error) {
	if r.MaxSize > 0 && int64(len(r.buf))+n > r.MaxSize {
		r.noCL = true
		return false, nil
	}
	chunk := make([]byte, n)
	got, err := io.ReadFull(r.br, chunk)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, fmt.Errorf("mbox: %w", err)
	}
	chunk = chunk[:got]
	if got == int(n) {
		peek, _ := r.br.Peek(7)
		for _, sep := range []string{"\n", "\r\n"} {
			if string(peek) == sep || bytes.HasPrefix(peek, []byte(sep+"From ")) || len(peek) == 0 {
				r.buf = append(r.buf, chunk...)
				if len(peek) > 0 {
					r.br.Discard(len(sep))
				}
				return true, nil
			}
		}
	}
	r.noCL = true
	r.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(chunk), r.br), 64<<10)
	return false, nil
}

// finish makes a Message of the buffer: without the blank line that
// separates it from the next "From " line, and the flag headers taken out.
func (r *Reader) finish(from string, counted bool) *Message {
	raw := r.buf
	switch {
	case counted: // the separator was taken with the counted body
	case bytes.HasSuffix(raw, []byte("\r\n\r\n")):
		raw = raw[:len(raw)-2]
	case bytes.HasSuffix(raw, []byte("\n\n")):
		raw = raw[:len(raw)-1]
	case bytes.Equal(raw, []byte("\n")) || bytes.Equal(raw, []byte("\r\n")):
		raw = raw[:0]
	}
	m := &Message{From: from, Date: parseFromDate(from)}
	m.Raw, m.Flags = takeFlagHeaders(raw)
	return m
}

// hiddenHeaders are the headers Dovecot's mbox keeps its state in and
// hides from clients; they are not part of the message.
var hiddenHeaders = []string{"Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase", "Content-Length"}

// takeFlagHeaders removes the hidden headers (with their continuation
// lines) from the header of raw, in place, and returns the flags they
// held. RFC 4155 leaves Status/X-Status to convention: Status "R" is
// read, "O" old; X-Status "A" answered, "F" flagged, "T" draft, "D"
// deleted.
func takeFlagHeaders(raw []byte) ([]byte, []string) {
	var flags []string
	add := func(f string) {
		for _, g := range flags {
			if strings.EqualFold(f, g) {
				return
			}
		}
		flags = append(flags, f)
	}
	out := raw[:0]
	dropping := false
	rest := raw
	for len(rest) > 0 {
		n := bytes.IndexByte(rest, '\n') + 1
		if n == 0 {
			n = len(rest)
		}
		line := rest[:n]
		if isBlank(line) {
			out = append(out, rest...)
			return out, flags
		}
		if dropping && (line[0] == ' ' || line[0] == '\t') {
			rest = rest[n:]
			continue
		}
		dropping = false
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok {
			v := strings.TrimSpace(string(value))
			for _, h := range hiddenHeaders {
				if strings.EqualFold(string(name), h) {
					dropping = true
					switch h {
					case "Status":
						if strings.ContainsRune(v, 'R') {
							add(`\Seen`)
						}
					case "X-Status":
						for _, c := range v {
							switch c {
							case 'A':
								add(`\Answered`)
							case 'F':
								add(`\Flagged`)
							case 'T':
								add(`\Draft`)
							case 'D':
								add(`\Deleted`)
							}
						}
					case "X-Keywords":
						for _, k := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
							if validKeyword(k) {
								add(k)
							}
						}
					}
				}
			}
		}
		if !dropping {
			out = append(out, line...)
		}
		rest = rest[n:]
	}
	return out, flags
}

// validKeyword: an IMAP atom (RFC 9051 flag-keyword) of sane length.
func validKeyword(k string) bool {
	if k == "" || len(k) > 128 || k[0] == '\\' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"]\`, c) >= 0 {
			return false
		}
	}
	return true
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// fromLayouts are the date forms seen after the sender: ctime(3) as
// RFC 4155 asks, and the variants with a zone that some MDAs write.
var fromLayouts = []string{
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 2006 -0700",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon Jan 2 15:04 2006",
}

// parseFromDate finds the date in a From line's "sender date"; a date
// without a zone is local time, as ctime(3) writes it.
func parseFromDate(from string) time.Time {
	fields := strings.Fields(from)
	for i := 1; i < len(fields); i++ {
		for _, w := range weekdays {
			if !strings.EqualFold(fields[i], w) {
				continue
			}
			s := strings.Join(fields[i:], " ")
			for _, l := range fromLayouts {
				if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
					return t
				}
			}
		}
	}
	return time.Time{}
}

// FromLine formats the "From " line of a message (without "From " and
// the line end): sender (MAILER-DAEMON if empty) and the ctime date in
// local time.
func FromLine(sender string, date time.Time) string {
	if sender == "" || strings.ContainsAny(sender, " \t\r\n") {
		sender = "MAILER-DAEMON"
	}
	return sender + " " + date.In(time.Local).Format("Mon Jan _2 15:04:05 2006")
}

// Writer writes an mboxrd file.
type Writer struct {
	w *bufio.Writer
}

// NewWriter writes to w; call Flush at the end.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriterSize(w, 64<<10)} }

// Write appends one message: the From line, the flags as Status,
// X-Status and X-Keywords headers (in the message's line ends), the
// message with mboxrd quoting, and the blank separating line. A message
// that does not end with a line end gets one (mbox cannot say otherwise).
func (w *Writer) Write(sender string, date time.Time, flags []string, msg io.Reader) error {
	br := bufio.NewReaderSize(msg, 64<<10)
	first, _ := br.Peek(8 << 10)
	eol := "\n"
	if i := bytes.IndexByte(first, '\n'); i > 0 && first[i-1] == '\r' {
		eol = "\r\n"
	}
	fmt.Fprintf(w.w, "From %s\n", FromLine(sender, date))
	var status, xstatus string
	var keywords []string
	for _, f := range flags {
		switch strings.ToLower(f) {
		case `\seen`:
			status = "R"
		case `\answered`:
			xstatus += "A"
		case `\flagged`:
			xstatus += "F"
		case `\draft`:
			xstatus += "T"
		case `\deleted`:
			xstatus += "D"
		default:
			if validKeyword(f) {
				keywords = append(keywords, f)
			}
		}
	}
	if len(first) > 0 && (first[0] == ' ' || first[0] == '\t') {
		// A message starting with a continuation line (a broken header)
		// would have it read as part of our Status header: its flags are
		// not written, so that its octets come back unchanged.
	} else {
		fmt.Fprintf(w.w, "Status: %sO%s", status, eol)
		if xstatus != "" {
			fmt.Fprintf(w.w, "X-Status: %s%s", xstatus, eol)
		}
		if len(keywords) > 0 {
			fmt.Fprintf(w.w, "X-Keywords: %s%s", strings.Join(keywords, " "), eol)
		}
	}
	var last, beforeLast byte
	atLineStart := true
	for {
		frag, err := br.ReadSlice('\n')
		if len(frag) > 0 {
			if atLineStart {
				if q := bytes.IndexFunc(frag, func(c rune) bool { return c != '>' }); q >= 0 && bytes.HasPrefix(frag[q:], []byte("From ")) {
					w.w.WriteByte('>')
				}
			}
			w.w.Write(frag)
			if len(frag) > 1 {
				beforeLast = frag[len(frag)-2]
			} else {
				beforeLast = last
			}
			last = frag[len(frag)-1]
			atLineStart = last == '\n'
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("mbox: %w", err)
		}
	}
	if last != '\n' && last != 0 {
		w.w.WriteString(eol)
		beforeLast, last = eol[0], '\n'
	}
	// The separating blank line has the line end of the message's last
	// line, so that the reader knows which octets to take off.
	sep := "\n"
	if last == '\n' && beforeLast == '\r' {
		sep = "\r\n"
	}
	_, err := w.w.WriteString(sep)
	return err
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }
