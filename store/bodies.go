package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// ChunkSize is the size of the pieces bodies are stored in.
const ChunkSize = 64 << 10

// Body is a message body read into memory, ready to be stored. Line endings
// are CRLF: ReadBody turns bare LF into CRLF, so every size the protocols
// report is the size of the bytes they send.
//
// A Body is the header lines put in front with Prepend (head) followed by
// what ReadBody read, in ChunkSize pieces (parts). Prepend copies only the
// new lines, never the body, and the stored chunks are head (if any) and
// the parts as they are: the body is copied once, from the network buffer
// into its chunk.
type Body struct {
	head  []byte
	parts [][]byte // each ChunkSize long except the last
	size  int64
}

// NewBody wraps a copy of b (normalising line endings).
func NewBody(b []byte) *Body {
	if !hasBareLF(b) {
		body := &Body{size: int64(len(b))}
		for len(b) > 0 {
			n := min(len(b), ChunkSize)
			body.parts = append(body.parts, append([]byte(nil), b[:n]...))
			b = b[n:]
		}
		return body
	}
	body, _ := ReadBody(bytes.NewReader(b), 0)
	return body
}

func hasBareLF(b []byte) bool {
	for i := bytes.IndexByte(b, '\n'); i >= 0; {
		if i == 0 || b[i-1] != '\r' {
			return true
		}
		j := bytes.IndexByte(b[i+1:], '\n')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// readers recycles ReadBody's 32 KiB input buffers (one per message
// otherwise: a sixth of all bytes allocated per accepted SMTP message).
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

// ReadBody reads r to EOF into a Body, turning bare LF into CRLF. If limit > 0
// and the result would exceed limit bytes it reads on to EOF (so protocols
// can stay in sync) and returns ErrTooLarge.
func ReadBody(r io.Reader, limit int64) (*Body, error) { return readBody(r, limit, true) }

// ReadBodyExact is ReadBody keeping the octets as they are: for content
// that is binary by declaration, such as an IMAP APPEND sent as literal8
// (RFC 3516 §4.4), where a bare LF or a NUL is data.
func ReadBodyExact(r io.Reader, limit int64) (*Body, error) { return readBody(r, limit, false) }

func readBody(r io.Reader, limit int64, crlf bool) (*Body, error) {
	b := &Body{}
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
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
			if need := len(cur) + len(p); need > cap(cur) && cap(cur) < ChunkSize {
				// Small messages stay small; past 16 KiB go straight to a
				// whole chunk instead of doubling through 32 KiB.
				newCap := ChunkSize
				if need <= 8<<10 {
					newCap = 2 * need
				}
				grown := make([]byte, len(cur), newCap)
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
	crlfOctets := []byte("\r\n")
	prevCR := false
	for {
		line, err := br.ReadSlice('\n')
		if n := len(line); crlf && n > 0 && line[n-1] == '\n' && !(n >= 2 && line[n-2] == '\r' || n == 1 && prevCR) {
			write(line[:n-1])
			write(crlfOctets)
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
// body, normalising their line endings. Only the new lines are copied;
// copies of b made before (as values) are not affected.
func (b *Body) Prepend(header []byte) {
	h := NewBody(header).Bytes()
	b.head = append(append(make([]byte, 0, len(h)+len(b.head)), h...), b.head...)
	b.size += int64(len(h))
}

// Bytes returns the whole body as one slice (a copy if it has several parts).
func (b *Body) Bytes() []byte {
	if len(b.head) == 0 && len(b.parts) == 1 {
		return b.parts[0]
	}
	out := make([]byte, 0, b.size)
	out = append(out, b.head...)
	for _, p := range b.parts {
		out = append(out, p...)
	}
	return out
}

// Reader reads the body.
func (b *Body) Reader() io.Reader {
	rs := []io.Reader{bytes.NewReader(b.head)}
	for _, p := range b.parts {
		rs = append(rs, bytes.NewReader(p))
	}
	return io.MultiReader(rs...)
}

// chunks is how the body is stored: head as chunk 0 (if any), then the
// parts. Every chunk but the first and the last is ChunkSize long.
func (b *Body) chunks() [][]byte {
	if len(b.head) == 0 {
		return b.parts
	}
	return append([][]byte{b.head}, b.parts...)
}

// bodyRecord: refcount u32 ‖ size u64 ‖ chunk count u32 ‖ first chunk's
// length u32. Chunk 0 holds the first `first` bytes; chunk i > 0 starts at
// first + (i-1)·ChunkSize.
type bodyRecord struct {
	refs   uint32
	size   int64
	chunks uint32
	first  uint32
}

func (r bodyRecord) encode() []byte {
	b := make([]byte, 0, 20)
	b = append(b, u32(r.refs)...)
	b = append(b, u64(uint64(r.size))...)
	b = append(b, u32(r.chunks)...)
	return append(b, u32(r.first)...)
}

func decodeBody(v []byte) (bodyRecord, error) {
	if len(v) != 20 {
		return bodyRecord{}, errCorrupt
	}
	return bodyRecord{refs: be32(v), size: int64(be64(v[4:])), chunks: be32(v[12:]), first: be32(v[16:])}, nil
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
	pieces := b.chunks()
	for i, c := range pieces {
		if err := chunks.Put(chunkKey(id, uint32(i)), c); err != nil {
			return 0, err
		}
	}
	rec := bodyRecord{refs: refs, size: b.size, chunks: uint32(len(pieces))}
	if len(pieces) > 0 {
		rec.first = uint32(len(pieces[0]))
	}
	return id, bodies.Put(u64(id), rec.encode())
}

// refBody adds delta references to a body. One left without references
// is not deleted here (a reader may be sending it): its count is set to 0,
// it is listed in bodygc, and ch hands it to the bodyKeeper after the
// commit (see bodykeeper.go).
func refBody(tx *bolt.Tx, ch *changes, id uint64, delta int) error {
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
	if rec.refs == 0 {
		return nil // already unreferenced
	}
	rec.refs = 0
	if err := bodies.Put(u64(id), rec.encode()); err != nil {
		return err
	}
	if err := tx.Bucket(bucketBodyGC).Put(u64(id), nil); err != nil {
		return err
	}
	ch.freed = append(ch.freed, id)
	return nil
}

// deleteBody deletes an unreferenced body: its chunks, cache and record.
// A body that is gone, or referenced again, is left alone.
func deleteBody(tx *bolt.Tx, id uint64) error {
	bodies := tx.Bucket(bucketBodies)
	v := bodies.Get(u64(id))
	if v == nil {
		return nil
	}
	rec, err := decodeBody(v)
	if err != nil {
		return fmt.Errorf("body %d: %w", id, err)
	}
	if rec.refs > 0 {
		return nil
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
// It implements io.Reader, io.ReaderAt, io.Seeker and io.Closer. It is not
// safe for concurrent use.
//
// An open reader pins its body: the body stays readable to its last byte
// even if every message using it is expunged meanwhile. The pin ends with
// Close, when Read reaches the end, or (for a reader dropped without
// either) when the reader is garbage collected; callers should Close.
type BodyReader struct {
	s      *Store
	id     uint64
	size   int64
	first  int64 // length of chunk 0
	off    int64
	buf    []byte // cached chunk
	bufIdx int64  // its number, -1 if none
	pin    *bodyPin
}

// bodyPin is a BodyReader's pin, apart from the reader so that a cleanup
// can release it once the reader is unreachable.
type bodyPin struct {
	k       *bodyKeeper
	id      uint64
	done    atomic.Bool
	cleanup runtime.Cleanup
}

func (p *bodyPin) release() {
	if p.done.CompareAndSwap(false, true) {
		p.k.unpin(p.id)
	}
}

// OpenBody opens a body by the BodyID of one of the caller's messages. It
// fails with ErrNoSuchMessage only for a body that is gone: one whose
// messages were all expunged but that is not deleted yet still opens
// (RFC 2180 §4.1 lets a session read messages it has not been told are
// expunged).
func (s *Store) OpenBody(bodyID uint64) (*BodyReader, error) {
	rec, err := s.pinBody(bodyID)
	if err != nil {
		return nil, err
	}
	p := &bodyPin{k: s.bodies, id: bodyID}
	r := &BodyReader{s: s, id: bodyID, size: rec.size, first: int64(rec.first), bufIdx: -1, pin: p}
	p.cleanup = runtime.AddCleanup(r, func(p *bodyPin) { p.release() }, p)
	return r, nil
}

// pinBody pins a body and reads its record in a transaction begun after
// the pin (see bodyKeeper for why that order matters).
func (s *Store) pinBody(bodyID uint64) (bodyRecord, error) {
	if !s.bodies.pin(bodyID) {
		return bodyRecord{}, fmt.Errorf("body %d: %w", bodyID, ErrNoSuchMessage)
	}
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
		s.bodies.unpin(bodyID)
		return bodyRecord{}, err
	}
	return rec, nil
}

// Close releases the reader's pin on its body. Reading after Close still
// works while the body exists.
func (r *BodyReader) Close() error {
	r.pin.cleanup.Stop()
	r.pin.release()
	return nil
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
		idx, start := int64(0), int64(0)
		if off >= r.first {
			idx = 1 + (off-r.first)/ChunkSize
			start = r.first + (idx-1)*ChunkSize
		}
		c, err := r.chunk(idx)
		if err != nil {
			return n, err
		}
		m := copy(p[n:], c[off-start:])
		n += m
		off += int64(m)
	}
	return n, nil
}

// Read implements io.Reader.
func (r *BodyReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		r.Close() // read to the end: the body is no longer needed
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
	return s.AppendBody(nil, bodyID)
}

// appendBodyChunksPerTx bounds the chunks AppendBody copies in one read
// transaction (1 MiB), so a large body never pins the file for long.
const appendBodyChunksPerTx = 16

// AppendBody appends a whole body to dst and returns the extended slice,
// copying each chunk once, straight from the database's memory map: for
// protocol code that sends whole bodies from a reused buffer.
// Like a BodyReader, it pins the body while it reads.
func (s *Store) AppendBody(dst []byte, bodyID uint64) ([]byte, error) {
	rec, err := s.pinBody(bodyID)
	if err != nil {
		return dst, err
	}
	defer s.bodies.unpin(bodyID)
	dst = slices.Grow(dst, int(rec.size))
	for n := uint32(0); ; {
		err := s.db.View(func(tx *bolt.Tx) error {
			chunks := tx.Bucket(bucketChunks)
			for end := min(rec.chunks, n+appendBodyChunksPerTx); n < end; n++ {
				v := chunks.Get(chunkKey(bodyID, n))
				if v == nil {
					return fmt.Errorf("body %d chunk %d: %w", bodyID, n, ErrNoSuchMessage)
				}
				dst = append(dst, v...)
			}
			return nil
		})
		if err != nil {
			return dst, err
		}
		if n >= rec.chunks {
			return dst, nil
		}
	}
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
