package managesieved

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzParser: the command parser never panics, always makes progress,
// and keeps its bounds (line length, literal and quoted sizes, numbers).
func FuzzParser(f *testing.F) {
	for _, s := range []string{
		"CAPABILITY\r\n",
		"PUTSCRIPT \"a\" {5+}\r\nkeep;\r\n",
		"PUTSCRIPT \"a\" {5}\r\nkeep;\r\nLISTSCRIPTS\r\n",
		"AUTHENTICATE \"PLAIN\" \"AGFsaWNlAHNlY3JldA==\"\r\n",
		"NOOP \"a\\\"b\"\r\n",
		"HAVESPACE \"x\" 4294967295\r\n",
		"HAVESPACE \"x\" 4294967296\r\n",
		"GETSCRIPT {99999999+}\r\n",
		"\"*\"\r\n",
		"PUTSCRIPT \"a\r\nb\"\r\n",
		"\n\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bufio.NewReader(bytes.NewReader(in))
		p := parser{r: r, maxLine: 256, maxLiteral: 64, maxDiscard: 1024}
		for i := 0; ; i++ {
			if i > len(in) {
				t.Fatalf("no progress after %d commands on %d octets", i, len(in))
			}
			var err error
			var args []arg
			if i%3 == 2 {
				// The other form the session reads: an AUTHENTICATE response.
				var b []byte
				b, err = p.response()
				args = []arg{{str: b}}
			} else {
				_, args, err = p.command()
			}
			if err == nil && p.n > p.maxLine {
				t.Fatalf("line of %d octets passed the limit", p.n)
			}
			for _, a := range args {
				if !a.literal && len(a.str) > maxQuoted || a.literal && len(a.str) > 64 || a.tooLarge && a.size <= 64 || a.num > maxNumber {
					t.Fatalf("argument out of bounds: %+v", a)
				}
			}
			var se *syntaxError
			if err == nil || errors.As(err, &se) {
				continue
			}
			var fe *fatalParseError
			if errors.As(err, &fe) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return
			}
			t.Fatalf("unexpected error %v", err)
		}
	})
}
