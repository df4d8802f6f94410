package smtpd

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzContentScanner: the verdict does not depend on how the data is cut
// into reads, the data passes through unchanged, and every spelling of a
// "." line with a bare CR or LF next to it is caught.
func FuzzContentScanner(f *testing.F) {
	for _, s := range []string{
		"Subject: x\r\n\r\nbody\r\n",
		"a\n.\nb", "a\n.\r\nb", "a\r.\rb", "a\r\n.\nb", "\n.\n", ".\n", "a\r", "caf\xc3\xa9\n",
		"..\r\n", "line\nline\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := &contentScanner{r: bytes.NewReader(data)}
		out, err := io.ReadAll(whole)
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("data changed: %q -> %q (%v)", data, out, err)
		}
		bytewise := &contentScanner{r: iotest.OneByteReader(bytes.NewReader(data))}
		io.ReadAll(bytewise)
		if whole.smuggling != bytewise.smuggling || whole.eightBit != bytewise.eightBit {
			t.Fatalf("%q: verdict depends on read sizes", data)
		}
		if want := bytes.ContainsFunc(data, func(r rune) bool { return r >= 0x80 }); whole.eightBit != want {
			t.Fatalf("%q: eightBit %v, want %v", data, whole.eightBit, want)
		}
		if want := refSmuggling(data); whole.smuggling != want {
			t.Fatalf("%q: smuggling %v, want %v", data, whole.smuggling, want)
		}
	})
}

// refSmuggling is the rule of the package comment, written plainly:
// a bare CR anywhere, or a line "." with a bare LF before or after it.
func refSmuggling(data []byte) bool {
	for i, b := range data {
		if b == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
			return true
		}
	}
	segs := bytes.Split(data, []byte("\n"))
	prevBare := false
	for i, seg := range segs {
		terminated := i < len(segs)-1
		bare := terminated && !bytes.HasSuffix(seg, []byte("\r"))
		line := bytes.TrimSuffix(seg, []byte("\r"))
		if !terminated {
			line = seg
		}
		if string(line) == "." && (bare || prevBare) {
			return true
		}
		prevBare = bare
	}
	return false
}
