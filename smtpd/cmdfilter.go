package smtpd

import (
	"bytes"
	"io"
)

// commandFilter sits in go-smtp's input between the connection (plain or
// TLS) and go-smtp's line limit and buffered reader (conninternals.go
// puts it there). It hands go-smtp the client's octets unchanged except
// for the command lines that go-smtp v0.25 would answer wrongly, which it
// rewrites (cmdrewrite.go) into lines go-smtp answers right.
//
// To tell command lines from message content it follows the protocol:
//   - a command line is delivered alone (one line per Read), so that
//     go-smtp has answered it before the filter looks at the next one;
//   - after a BDAT command whose arguments go-smtp accepts, the chunk's
//     octets are content; a chunk that the connection ends in the middle
//     of is reported as io.ErrUnexpectedEOF (go-smtp v0.25.1 handleBdat
//     copies the chunk through io.LimitReader, which ends quietly at EOF,
//     and then answers 250 to a message cut short);
//   - after DATA, content begins only when Session.Data starts (go-smtp
//     may refuse DATA, and then the next line is a command again) and
//     ends with go-smtp's own end-of-data state machine (dotState), so
//     the filter hands over nothing past the end of data;
//   - after a SASL challenge (334), the next line is the client's
//     response, not a command (the session says so, saslGuard).
type commandFilter struct {
	src     io.Reader
	rewrite *rewriter
	maxLine int

	buf    []byte // read ahead from src: buf[r:w] not yet looked at
	r, w   int
	srcErr error // src's error, returned once buf is empty

	out []byte // the rest of a line being delivered

	mode  filterMode
	chunk int64 // modeChunk: BDAT octets still to come
	dot   int   // modeDot: go-smtp's end-of-data state
	// long is set while passing through a line longer than maxLine,
	// which go-smtp's line limit refuses anyway.
	long bool
	// sasl says the next line answers a SASL challenge.
	sasl bool
}

type filterMode int

const (
	modeCommand filterMode = iota
	modeChunk
	modeDot
)

// newCommandFilter reads src; pending is what go-smtp had buffered
// already, which the filter goes through first.
func newCommandFilter(src io.Reader, pending []byte, rw *rewriter, maxLine int) *commandFilter {
	f := &commandFilter{src: src, rewrite: rw, maxLine: maxLine}
	f.buf = make([]byte, max(4096, len(pending)))
	f.w = copy(f.buf, pending)
	return f
}

// beginData tells the filter that go-smtp has accepted DATA: content
// follows, up to go-smtp's end-of-data line.
func (f *commandFilter) beginData() {
	f.mode, f.dot = modeDot, dsBeginLine
}

// expectSASLResponse tells the filter that the next line is the client's
// answer to a SASL challenge.
func (f *commandFilter) expectSASLResponse() { f.sasl = true }

func (f *commandFilter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(f.out) > 0 {
		n := copy(p, f.out)
		f.out = f.out[n:]
		return n, nil
	}
	switch f.mode {
	case modeChunk:
		return f.readChunk(p)
	case modeDot:
		return f.readDot(p)
	}
	return f.readCommand(p)
}

// fill reads more from src into buf, keeping buf[r:w]. It returns src's
// error once nothing is buffered.
func (f *commandFilter) fill() error {
	if f.r > 0 {
		f.w = copy(f.buf, f.buf[f.r:f.w])
		f.r = 0
	}
	if f.w == len(f.buf) {
		f.buf = append(f.buf, make([]byte, len(f.buf))...)
	}
	if f.srcErr != nil {
		return f.srcErr
	}
	n, err := f.src.Read(f.buf[f.w:])
	f.w += n
	if err != nil {
		f.srcErr = err
		if n == 0 {
			return err
		}
	}
	return nil
}

// take delivers up to n buffered octets into p.
func (f *commandFilter) take(p []byte, n int) int {
	n = copy(p[:min(len(p), n)], f.buf[f.r:f.w])
	f.r += n
	return n
}

func (f *commandFilter) readChunk(p []byte) (int, error) {
	p = p[:min(int64(len(p)), f.chunk)]
	var n int
	if f.r < f.w {
		n = f.take(p, len(p))
	} else {
		var err error
		if n, err = f.readDirect(p); err != nil {
			if err == io.EOF {
				// RFC 3030 §2: the chunk is exactly as long as BDAT said.
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	if f.chunk -= int64(n); f.chunk == 0 {
		f.mode = modeCommand
	}
	return n, nil
}

func (f *commandFilter) readDot(p []byte) (int, error) {
	if f.r < f.w {
		k, end := dotScan(&f.dot, f.buf[f.r:min(f.w, f.r+len(p))])
		n := f.take(p, k)
		if end {
			f.mode = modeCommand
		}
		return n, nil
	}
	// Straight into p (the bulk of a message): no copy through buf.
	n, err := f.readDirect(p)
	if err != nil {
		return 0, err
	}
	k, end := dotScan(&f.dot, p[:n])
	if end {
		// What follows the end of data waits for go-smtp's next read.
		if n-k > len(f.buf) {
			f.buf = make([]byte, n-k)
		}
		f.r, f.w = 0, copy(f.buf, p[k:n])
		f.mode = modeCommand
	}
	return k, nil
}

// readDirect reads src into p, when nothing is buffered; src's error comes
// with no data (the error after data is kept for the next read).
func (f *commandFilter) readDirect(p []byte) (int, error) {
	if f.srcErr != nil {
		return 0, f.srcErr
	}
	n, err := f.src.Read(p)
	if err != nil {
		f.srcErr = err
		if n > 0 {
			err = nil
		}
	}
	return n, err
}

func (f *commandFilter) readCommand(p []byte) (int, error) {
	var line []byte
	for {
		if lf := bytes.IndexByte(f.buf[f.r:f.w], '\n'); lf >= 0 {
			line = f.buf[f.r : f.r+lf+1]
			break
		}
		if f.long || f.w-f.r > f.maxLine {
			// No rewriting: go-smtp refuses the line and hangs up.
			f.long = true
			if f.r == f.w {
				if err := f.fill(); err != nil {
					return 0, err
				}
			}
			return f.take(p, f.w-f.r), nil
		}
		w := f.w - f.r
		if err := f.fill(); err != nil {
			if f.r < f.w && err == io.EOF {
				// A last line without LF: go-smtp sees it as it is.
				return f.take(p, f.w-f.r), nil
			}
			return 0, err
		}
		if f.w-f.r == w {
			return 0, nil // an empty read: bufio retries (and gives up)
		}
	}
	f.r += len(line)
	if f.long {
		f.long = false
		return f.deliver(p, line), nil
	}
	var out []byte
	if f.sasl {
		f.sasl = false
		out = f.rewrite.saslResponse(line)
	} else {
		var chunk int64
		out, chunk = f.rewrite.command(line)
		if chunk > 0 {
			f.mode, f.chunk = modeChunk, chunk
		}
	}
	return f.deliver(p, out), nil
}

// deliver hands line to p, keeping what does not fit for the next Reads.
func (f *commandFilter) deliver(p, line []byte) int {
	n := copy(p, line)
	if n < len(line) {
		f.out = append([]byte(nil), line[n:]...)
	}
	return n
}

// dotScan runs go-smtp's end-of-data state machine (net/textproto's
// dotReader without the CRLF rewrite; the states are dotreader.go's) over
// p from *state. It returns how many octets of p belong to the data, all
// of them unless the end-of-data line ends inside p, and whether it did.
// The guard (gosmtpguard.go) checks it against go-smtp's own reader.
func dotScan(state *int, p []byte) (int, bool) {
	s := *state
	for i := 0; i < len(p); i++ {
		if s == dsData {
			// In a line only CR changes the state.
			k := bytes.IndexByte(p[i:], '\r')
			if k < 0 {
				break
			}
			i += k
		}
		if s, _ = dotStep(s, p[i]); s == dsEOF {
			*state = s
			return i + 1, true
		}
	}
	*state = s
	return len(p), false
}
