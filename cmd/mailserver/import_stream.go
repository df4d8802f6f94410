package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mailserver/mailserver/store"
)

// The stream format of import, migrate and export through the admin
// socket: a sequence of frames, each a JSON header line, followed for a
// message by exactly Size octets. The CLI streams an import to the
// server as it reads the files (the request body), the server streams an
// export back (the response body); neither side holds more than a batch.

// Frame kinds.
const (
	frameMessage = "m" // a message: Folder, SpecialUse, Flags, Date, Size, then the octets
	frameState   = "s" // a migration resume point, stored with the messages before it
	frameFolder  = "f" // a folder: import: to create if missing; export: its messages follow (Folder, SpecialUse, UIDValidity)
	frameError   = "e" // export: the server failed (Error); the stream ends
	frameEnd     = "z" // export: complete (a stream without it was cut short)
)

// maxFrameHeader bounds a frame's JSON header line.
const maxFrameHeader = 64 << 10

// frame is a frame's header.
type frame struct {
	Kind        string            `json:"k"`
	Folder      string            `json:"f,omitempty"`
	SpecialUse  string            `json:"u,omitempty"`
	Flags       []string          `json:"fl,omitempty"`
	Date        int64             `json:"d,omitempty"` // unix nanoseconds
	Size        int64             `json:"n,omitempty"`
	UIDValidity uint32            `json:"v,omitempty"`
	State       store.ImportState `json:"s,omitzero"`
	Error       string            `json:"e,omitempty"`
}

func writeFrame(w io.Writer, f *frame, body []byte) error {
	hdr, err := json.Marshal(f)
	if err != nil {
		return err
	}
	hdr = append(hdr, '\n')
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	if len(body) > 0 {
		_, err = w.Write(body)
	}
	return err
}

// frameReader reads frames; after a message frame the caller reads
// exactly Size octets from Body (or calls next, which skips them).
type frameReader struct {
	br   *bufio.Reader
	left int64
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next frame, io.EOF at the end.
func (r *frameReader) next() (*frame, error) {
	if r.left > 0 {
		if _, err := r.br.Discard(int(r.left)); err != nil {
			return nil, fmt.Errorf("stream: %w", err)
		}
		r.left = 0
	}
	line, err := r.br.ReadSlice('\n')
	if err == io.EOF && len(line) == 0 {
		return nil, io.EOF
	}
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxFrameHeader {
		return nil, errors.New("stream: frame header too long")
	}
	if err != nil {
		return nil, fmt.Errorf("stream: %w", io.ErrUnexpectedEOF)
	}
	var f frame
	if err := json.Unmarshal(line, &f); err != nil {
		return nil, fmt.Errorf("stream: bad frame header: %w", err)
	}
	if f.Size < 0 {
		return nil, errors.New("stream: negative size")
	}
	if f.Kind == frameMessage {
		r.left = f.Size
	}
	return &f, nil
}

// body reads the current message's octets.
func (r *frameReader) body() io.Reader {
	n := r.left
	r.left = 0
	return &exactReader{r: io.LimitReader(r.br, n), want: n}
}

// exactReader fails with io.ErrUnexpectedEOF when the stream ends
// before the announced size.
type exactReader struct {
	r    io.Reader
	want int64
	got  int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.got += int64(n)
	if err == io.EOF && e.got < e.want {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func unixNanoTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
