package smtpd

import (
	"bufio"
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// costOf runs f once and returns its allocations and allocated bytes: a
// deterministic measure of its work (no clock), which the fuzz targets
// bound by a linear function of the input size.
func costOf(f func()) (allocs, bytes uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc
}

// checkLinear fails if the cost of f on an input of n octets is more than
// linear: at most base + perByte·n allocations, and bytes in proportion
// (plus a fixed 8 KiB for buffers); the constants are generous, and a
// quadratic parser still exceeds them on the seeds of a few KiB.
func checkLinear(t *testing.T, n int, perByte uint64, f func()) {
	t.Helper()
	const base = 64
	allocs, b := costOf(f)
	if limit := base + perByte*uint64(n); allocs > limit || b > 8192+64*limit+32*uint64(n) {
		t.Fatalf("input of %d octets: %d allocations, %d bytes (limit %d, %d)", n, allocs, b, limit, 8192+64*limit+32*uint64(n))
	}
}

// FuzzOriginators: the From:/Sender: rules of submission (header.go) on
// any header, with a cost bound linear in the header's size.
func FuzzOriginators(f *testing.F) {
	for _, s := range []string{
		"From: <a@b.test>\r\n\r\n",
		"From: A <a@b.test>, \"B, C\" <c@d.test>\r\nSender: <a@b.test>\r\n\r\n",
		"From: a@b.test\r\nFrom: c@d.test\r\n\r\n",
		"From: =?utf-8?q?caf=C3=A9?= <a@b.test>\r\n\r\n",
		"From: g: a@b.test, c@d.test;\r\n\r\n",
		"From: " + strings.Repeat("(", 4000) + "a@b.test\r\n\r\n",
		"From: " + strings.Repeat("\"", 4000) + "\r\n\r\n",
		"From: " + strings.Repeat("a@b.test, ", 800) + "\r\n\r\n",
		"From: " + strings.Repeat("=?utf-8?q?x?= ", 600) + "<a@b.test>\r\n\r\n",
		"From: <" + strings.Repeat("\\", 5000) + ">\r\n\r\n",
		"From: a@[" + strings.Repeat("1.", 3000) + "]\r\n\r\n",
		"From: <a@b.test>\r\n " + strings.Repeat("x\r\n ", 1000) + "\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkLinear(t, len(in), 16, func() {
			h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(in)))
			if err != nil {
				return
			}
			addrs, refusal := originators(h)
			if refusal == nil && len(addrs) == 0 {
				t.Fatal("accepted without an address")
			}
		})
	})
}

// FuzzCommandRewrite: the command filter's rewriting (postmaster, STARTTLS,
// AUTH, DSN parameters, BDAT sizes) on any line: linear cost, a line
// ending kept, and a line that needs no change returned as it is.
func FuzzCommandRewrite(f *testing.F) {
	for _, s := range []string{
		"RCPT TO:<Postmaster>\r\n", "RCPT TO:<postmaster> NOTIFY=NEVER NOTIFY=NEVER\r\n",
		"MAIL FROM:<a@b> RET=FULL ENVID=" + strings.Repeat("+41", 40) + "\r\n",
		"MAIL FROM:<\"a b\\\" c\"@d> SIZE=1 SIZE=2\r\n", "AUTH PLAIN !!!\r\n", "AUTH PLAIN =\r\n",
		"STARTTLS x\r\n", "BDAT 4294967295 LAST\r\n", "BDAT 1 2 3\r\n",
		"RCPT TO:" + strings.Repeat("<", 1000) + "\r\n", "MAIL FROM:<a@b>" + strings.Repeat(" A=B", 400) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	rw := newRewriter(2000)
	f.Fuzz(func(t *testing.T, in []byte) {
		var out []byte
		var chunk int64
		checkLinear(t, len(in), 4, func() { out, chunk = rw.command(in) })
		if chunk < 0 || chunk > 1<<32 {
			t.Fatalf("chunk %d", chunk)
		}
		if !bytes.Equal(out, in) && !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("rewritten %q to %q without a line ending", in, out)
		}
		checkLinear(t, len(in), 4, func() { out = rw.saslResponse(in) })
	})
}

// FuzzDotScan: the filter's end-of-data scan ends exactly where go-smtp's
// own DATA reader does, for any content split anywhere, and allocates
// nothing.
func FuzzDotScan(f *testing.F) {
	for _, s := range []string{"a\r\n.\r\nQUIT\r\n", ".\r\n", "\r\r\n.\r\n.\r\n", "a\n.\n.\r\n", "x\r\n.\rX\r\n.\r\n", "..\r\n.\r"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		l := goSMTPLayout(t)
		ref := l.newReference(bufio.NewReader(bytes.NewReader(in)), 0)
		data, err := io.ReadAll(ref)
		_ = data
		refEnd := -1
		if err == nil {
			// go-smtp stopped at the end of data: how far did it read?
			refEnd = len(in) - remaining(t, l, in)
		}
		state, pos, end := dsBeginLine, 0, -1
		step := int(split)%7 + 1
		allocs := testing.AllocsPerRun(1, func() {
			state, pos, end = dsBeginLine, 0, -1
			for pos < len(in) {
				k, done := dotScan(&state, in[pos:min(len(in), pos+step)])
				pos += k
				if done {
					end = pos
					break
				}
			}
		})
		if allocs != 0 {
			t.Fatalf("dotScan allocated %v times", allocs)
		}
		if end != refEnd {
			t.Fatalf("%q: dotScan ends at %d, go-smtp at %d", in, end, refEnd)
		}
	})
}

// remaining is what go-smtp's reader leaves unread of in after the end of
// data.
func remaining(t *testing.T, l *dataLayout, in []byte) int {
	br := bufio.NewReaderSize(bytes.NewReader(in), 16)
	io.ReadAll(l.newReference(br, 0))
	rest, _ := io.ReadAll(br)
	return len(rest)
}

// FuzzContentLineLimit: BDAT's line limit (contentScanner.maxLine)
// refuses exactly the data with a line, its LF included, over the limit,
// however the data is split into reads, and the scan allocates nothing.
func FuzzContentLineLimit(f *testing.F) {
	for _, s := range []string{"a\r\nb\r\n", "a\rb\n.\n", strings.Repeat("x", 100) + "\r\n", "\n\n\r\r", strings.Repeat("y", 39) + "\n"} {
		f.Add([]byte(s), uint8(1))
	}
	const maxLine = 40
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		want := false
		for _, l := range bytes.SplitAfter(in, []byte("\n")) {
			want = want || len(l) > maxLine
		}
		parts := &contentScanner{r: &splitReader{b: in, n: int(split)%5 + 1}, maxLine: maxLine}
		_, err := io.ReadAll(parts)
		if (err != nil) != want {
			t.Fatalf("%q: error %v, want too long %v", in, err, want)
		}
		c := &contentScanner{maxLine: maxLine}
		if a := testing.AllocsPerRun(1, func() { c.scan(in); c.countLines(in) }); a != 0 {
			t.Fatalf("scan allocated %v times", a)
		}
	})
}

// splitReader returns b n octets at a time.
type splitReader struct {
	b []byte
	n int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}

// FuzzCommandFilter: the command filter passes any stream through
// unchanged when no line needs rewriting (rewrites only touch lines that
// go-smtp would answer wrongly; DATA content and BDAT chunks are never
// touched), whatever the read sizes, with a number of reads linear in the
// input (an operation count, not a clock).
func FuzzCommandFilter(f *testing.F) {
	for _, s := range []string{
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5 LAST\r\nRCPT TO:<Postmaster>\r\nQUIT\r\n",
		"NOOP\r\n" + strings.Repeat("x", 5000) + "\r\nNOOP\r\n", "BDAT 3\r\nab", "partial",
		"DATA\r\nRCPT TO:<Postmaster>\r\n.\r\nQUIT\r\n", "DATA\r\n\r\r\n.\r\n" + strings.Repeat("y", 300) + "\r\n.\r\n",
	} {
		f.Add([]byte(s), uint8(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, size uint8) {
		rw := newRewriter(100)
		changes := false
		for _, l := range bytes.SplitAfter(in, []byte("\n")) {
			if out, _ := rw.command(l); !bytes.Equal(out, l) {
				changes = true
			}
		}
		fl := newCommandFilter(bytes.NewReader(in), nil, rw, 100)
		var out []byte
		buf := make([]byte, int(size)%64+1)
		reads := 0
		for {
			n, err := fl.Read(buf)
			out = append(out, buf[:n]...)
			if fl.mode == modeCommand && len(fl.out) == 0 && (string(out) == "DATA\r\n" || bytes.HasSuffix(out, []byte("\nDATA\r\n"))) {
				fl.beginData() // as Session.Data does after go-smtp's 354
			}
			if reads++; reads > 4*len(in)+8 {
				t.Fatalf("%d reads for %d octets", reads, len(in))
			}
			if err != nil {
				break
			}
		}
		if !changes && !bytes.Equal(in, out) {
			t.Fatalf("%q became %q", in, out)
		}
	})
}
