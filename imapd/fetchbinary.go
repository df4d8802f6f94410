package imapd

import (
	"bytes"
	"io"
)

// Binary content (RFC 3516). A message APPENDed as literal8 is stored
// octet for octet (messages.go, store.ReadBodyExact), so it may hold NUL
// and bare LF: BINARY[...] sends the decoded octets as literal8 and
// BINARY.SIZE counts them (go-imap's ExtractBinarySection and
// WriteBinarySection); BODY[...] is sent in a normal literal, where
// CHAR8 excludes NUL (RFC 9051 §9; RFC 3516 §4.3: only a BINARY fetch
// answers with literal8), so each NUL of a BODY section goes out as 0x80,
// as Dovecot's nonuls stream sends it. Sizes and offsets stay those of
// the stored message (RFC822.SIZE, partial fetches), and a client that
// wants the octets asks for BINARY.

// nulReplacement stands in for NUL in BODY sections.
const nulReplacement = 0x80

// nulFree returns b with each NUL replaced, copying only if there is one.
func nulFree(b []byte) []byte {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return b
	}
	out := bytes.Clone(b)
	for ; i >= 0; i = bytes.IndexByte(out, 0) {
		out[i] = nulReplacement
	}
	return out
}

// nulFreeWriter replaces NUL in what is written through it (a streamed
// BODY section).
type nulFreeWriter struct {
	io.WriteCloser
	buf []byte
}

func (w *nulFreeWriter) Write(p []byte) (int, error) {
	if bytes.IndexByte(p, 0) < 0 {
		return w.WriteCloser.Write(p)
	}
	w.buf = append(w.buf[:0], p...)
	for i := bytes.IndexByte(w.buf, 0); i >= 0; i = bytes.IndexByte(w.buf, 0) {
		w.buf[i] = nulReplacement
	}
	if _, err := w.WriteCloser.Write(w.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}
