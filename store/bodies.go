package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// ChunkSize is the size of the pieces bodies are stored in.
const ChunkSize = 64 << 10

// Body is a message body read into memory, ready to be stored. Line endings
// are CRLF: ReadBody turns bare LF into CRLF, so every size the protocols
// report is the size of the bytes they send.
//
// A Body is a list of parts: what ReadBody read, and header lines put in
// front with Prepend, which never copies the body. The parts are cut into
// ChunkSize pieces once, when the body is stored.
type Body struct {
	parts  [][]byte
	size   int64
	chunks [][]byte // parts cut into ChunkSize pieces; nil until sealed
}

// NewBody wraps b (normalising line endings).
func NewBody(b []byte) *Body {
	body, _ := ReadBody(bytes.NewReader(b), 0)
	return body
}

// ReadBody reads r to EOF into a Body, turning bare LF into CRLF. If limit > 0
// and the result would exceed limit bytes it reads on to EOF (so protocols
// can stay in sync) and returns ErrTooLarge.
func ReadBody(r io.Reader, limit int64) (*Body, error) {
	b := &Body{}
	br := bufio.NewReaderSize(r, 32<<10)
	var cur []byte
	tooLarge := false
	write := func(p []byte) {
		if tooLarge {
			return
		}
		if limit > 0 && b.size+int64(len(p)) > limit {
			tooLarge = true
			b.parts, cur = nil, nil
			return
		}
		b.size += int64(len(p))
		for len(p) > 0 {
			if cur == nil {
				cur = make([]byte, 0, min(ChunkSize, max(len(p), 4096)))
			}
			if cap(cur) < ChunkSize && len(cur)+len(p) > cap(cur) {
				grown := make([]byte, len(cur), min(ChunkSize, 2*(len(cur)+len(p))))
				copy(grown, cur)
				cur = grown
			}
			n := min(len(p), ChunkSize-len(cur))
			cur = append(cur, p[:n]...)
			p = p[n:]
			if len(cur) == ChunkSize {
				b.parts = append(b.parts, cur)
				cur = nil
			}
		}
	}
	crlf := []byte("\r\n")
	prevCR := false
	for {
		line, err := br.ReadSlice('\n')
		if n := len(line); n > 0 && line[n-1] == '\n' && !(n >= 2 && line[n-2] == '\r' || n == 1 && prevCR) {
			write(line[:n-1])
			write(crlf)
		} else {
			write(line)
		}
		if len(line) > 0 {
			prevCR = line[len(line)-1] == '\r'
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if tooLarge {
		return nil, ErrTooLarge
	}
	if len(cur) > 0 {
		b.parts = append(b.parts, cur)
	}
	return b, nil
}

// Size is the body's length in bytes.
func (b *Body) Size() int64 { return b.size }

// Prepend puts header lines (e.g. Return-Path or Received) in front of the
// body, normalising their line endings. The body itself is not copied.
func (b *Body) Prepend(header []byte) {
	h := NewBody(header)
	parts := make([][]byte, 0, len(h.parts)+len(b.parts))
	b.parts = append(append(parts, h.parts...), b.parts...)
	b.size += h.size
	b.chunks = nil
}

// Bytes returns the whole body as one slice (a copy if it has several parts).
func (b *Body) Bytes() []byte {
	if len(b.parts) == 1 {
		return b.parts[0]
	}
	out := make([]byte, 0, b.size)
	for _, p := range b.parts {
		out = append(out, p...)
	}
	return out
}

// Reader reads the body.
func (b *Body) Reader() io.Reader {
	rs := make([]io.Reader, len(b.parts))
	for i, p := range b.parts {
		rs[i] = bytes.NewReader(p)
	}
	return io.MultiReader(rs...)
}

// seal cuts the parts into ChunkSize pieces (copying only pieces that
// straddle parts). Submit calls it before queueing the operation, so the
// copying is done by the caller's goroutine, not the single committer.
func (b *Body) seal() [][]byte {
	if b.chunks != nil || b.size == 0 {
		return b.chunks
	}
	var out [][]byte
	var cur []byte
	left := b.size
	for _, p := range b.parts {
		for len(p) > 0 {
			if cur == nil && len(p) >= ChunkSize {
				out = append(out, p[:ChunkSize:ChunkSize])
				p, left = p[ChunkSize:], left-ChunkSize
				continue
			}
			if cur == nil {
				cur = make([]byte, 0, min(int64(ChunkSize), left))
			}
			n := min(len(p), ChunkSize-len(cur))
			cur = append(cur, p[:n]...)
			p, left = p[n:], left-int64(n)
			if len(cur) == ChunkSize {
				out = append(out, cur)
				cur = nil
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	b.chunks = out
	return out
}

// bodyRecord: refcount u32 ‖ size u64 ‖ chunk count u32.
type bodyRecord struct {
	refs   uint32
	size   int64
	chunks uint32
}

func (r bodyRecord) encode() []byte {
	b := make([]byte, 0, 16)
	b = append(b, u32(r.refs)...)
	b = append(b, u64(uint64(r.size))...)
	return append(b, u32(r.chunks)...)
}

func decodeBody(v []byte) (bodyRecord, error) {
	if len(v) != 16 {
		return bodyRecord{}, errCorrupt
	}
	return bodyRecord{refs: be32(v), size: int64(be64(v[4:])), chunks: be32(v[12:])}, nil
}

func chunkKey(id uint64, n uint32) []byte {
	return append(u64(id), u32(n)...)
}

// putBody stores a body with refs references and returns its ID.
func putBody(tx *bolt.Tx, b *Body, refs uint32) (uint64, error) {
	bodies := tx.Bucket(bucketBodies)
	id, err := bodies.NextSequence()
	if err != nil {
		return 0, err
	}
	chunks := tx.Bucket(bucketChunks)
	chunks.FillPercent = 1 // keys only ever grow: pack pages full
	pieces := b.seal()
	for i, c := range pieces {
		if err := chunks.Put(chunkKey(id, uint32(i)), c); err != nil {
			return 0, err
		}
	}
	rec := bodyRecord{refs: refs, size: b.size, chunks: uint32(len(pieces))}
	return id, bodies.Put(u64(id), rec.encode())
}

// refBody adds delta references to a body and frees it when none remain.
func refBody(tx *bolt.Tx, id uint64, delta int) error {
	bodies := tx.Bucket(bucketBodies)
	v := bodies.Get(u64(id))
	if v == nil {
		return fmt.Errorf("body %d: %w", id, ErrNotFound)
	}
	rec, err := decodeBody(v)
	if err != nil {
		return fmt.Errorf("body %d: %w", id, err)
	}
	n := int64(rec.refs) + int64(delta)
	if n > 0 {
		rec.refs = uint32(n)
		return bodies.Put(u64(id), rec.encode())
	}
	chunks := tx.Bucket(bucketChunks)
	for i := range rec.chunks {
		if err := chunks.Delete(chunkKey(id, i)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketBodyCache).Delete(u64(id)); err != nil {
		return err
	}
	return bodies.Delete(u64(id))
}

// BodyReader reads a stored body one chunk per short read transaction, so
// no transaction is held while the caller writes to a slow network peer.
// It implements io.Reader, io.ReaderAt and io.Seeker. It is not safe for
// concurrent use.
type BodyReader struct {
	s      *Store
	id     uint64
	size   int64
	off    int64
	buf    []byte // cached chunk
	bufIdx int64  // its number, -1 if none
}

// OpenBody opens a body by the BodyID of one of the caller's messages.
func (s *Store) OpenBody(bodyID uint64) (*BodyReader, error) {
	var rec bodyRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketBodies).Get(u64(bodyID))
		if v == nil {
			return fmt.Errorf("body %d: %w", bodyID, ErrNoSuchMessage)
		}
		var err error
		rec, err = decodeBody(v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &BodyReader{s: s, id: bodyID, size: rec.size, bufIdx: -1}, nil
}

// Size is the body's length.
func (r *BodyReader) Size() int64 { return r.size }

func (r *BodyReader) chunk(n int64) ([]byte, error) {
	if n == r.bufIdx {
		return r.buf, nil
	}
	err := r.s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketChunks).Get(chunkKey(r.id, uint32(n)))
		if v == nil {
			return fmt.Errorf("body %d chunk %d: %w", r.id, n, ErrNoSuchMessage)
		}
		r.buf = append(r.buf[:0], v...)
		return nil
	})
	if err != nil {
		r.bufIdx = -1
		return nil, err
	}
	r.bufIdx = n
	return r.buf, nil
}

// ReadAt implements io.ReaderAt.
func (r *BodyReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("store: negative offset")
	}
	n := 0
	for n < len(p) {
		if off >= r.size {
			return n, io.EOF
		}
		c, err := r.chunk(off / ChunkSize)
		if err != nil {
			return n, err
		}
		m := copy(p[n:], c[off%ChunkSize:])
		n += m
		off += int64(m)
	}
	return n, nil
}

// Read implements io.Reader.
func (r *BodyReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if rem := r.size - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// Seek implements io.Seeker.
func (r *BodyReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("store: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("store: negative position")
	}
	r.off = offset
	return offset, nil
}

// ReadBodyBytes reads a whole body (for small bodies and parsing).
func (s *Store) ReadBodyBytes(bodyID uint64) ([]byte, error) {
	r, err := s.OpenBody(bodyID)
	if err != nil {
		return nil, err
	}
	out := make([]byte, r.size)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, err
	}
	return out, nil
}

// BodyCache returns what SetBodyCache stored for a body (nil if nothing):
// protocol front ends keep parsed structures here (IMAP's ENVELOPE and
// BODYSTRUCTURE) so a message is parsed once, not on every FETCH.
func (s *Store) BodyCache(bodyID uint64) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBodyCache).Get(u64(bodyID)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SetBodyCache stores data for a body; a body that is gone is ignored.
func (s *Store) SetBodyCache(ctx context.Context, bodyID uint64, data []byte) error {
	data = append([]byte(nil), data...)
	return s.update(ctx, func(tx *bolt.Tx, _ *changes) error {
		if tx.Bucket(bucketBodies).Get(u64(bodyID)) == nil {
			return nil
		}
		return tx.Bucket(bucketBodyCache).Put(u64(bodyID), data)
	})
}
