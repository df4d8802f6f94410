package smtpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/emersion/go-smtp"
)

// probeSession captures the reader go-smtp passes to Data.
type probeSession struct{ got chan<- io.Reader }

func (p *probeSession) Reset()                               {}
func (p *probeSession) Logout() error                        { return nil }
func (p *probeSession) Mail(string, *smtp.MailOptions) error { return nil }
func (p *probeSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (p *probeSession) Data(r io.Reader) error {
	p.got <- r
	_, err := io.Copy(io.Discard, r)
	return err
}

var dataReaderType = sync.OnceValues(func() (reflect.Type, error) {
	got := make(chan io.Reader, 1)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &probeSession{got: got}, nil
	}))
	srv.Domain = "probe.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	defer srv.Close()
	c, err := smtp.Dial(ln.Addr().String())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := send(c, "a@b.test", []string{"c@d.test"}, "x\r\n"); err != nil {
		return nil, err
	}
	return reflect.TypeOf(<-got), nil
})

// fastReader is fastData without a connection (no line limit).
func fastReader(fp *fastPath, r io.Reader) io.Reader {
	d, _ := fp.fastData(r, nil)
	return d
}

// goSMTPLayout returns the layout of go-smtp's DATA reader.
func goSMTPLayout(t testing.TB) *dataLayout {
	t.Helper()
	typ, err := dataReaderType()
	if err != nil {
		t.Fatal(err)
	}
	l, ok := layoutOf(typ)
	if !ok {
		t.Fatalf("go-smtp's DATA reader %v does not have the expected fields", typ)
	}
	if !l.verify() {
		t.Fatalf("go-smtp's DATA reader %v does not number its states as expected", typ)
	}
	return l
}

// TestGoSMTPGuardPasses: with the go-smtp of go.mod, the guard passes and
// both hooks are on: Data reads through dotReader and the command filter
// is in place. A go-smtp upgrade fails here until re-verified (and the
// server then runs on go-smtp's behaviour, refusing BDAT).
func TestGoSMTPGuardPasses(t *testing.T) {
	h := checkGoSMTP()
	if len(h.off) > 0 || h.fast == nil || h.conn == nil {
		t.Fatalf("guard: %q", h.off)
	}
	l := goSMTPLayout(t)
	if _, ok := fastReader(h.fast, l.newReference(bufio.NewReader(strings.NewReader("")), 0)).(*dotReader); !ok {
		t.Fatal("fastData did not use dotReader")
	}
	// Anything else (BDAT's pipe) passes through.
	pr, _ := io.Pipe()
	if r := fastReader(h.fast, pr); r != io.Reader(pr) {
		t.Fatalf("fastData(pipe) = %T", r)
	}
}

// compareReaders reads in through go-smtp's reader and dotReader with the
// same read sizes and limit and reports any difference: data, errors,
// and what is left unread after the end of data (the next commands).
func compareReaders(t *testing.T, l *dataLayout, in []byte, sizes []int, limit int64) {
	t.Helper()
	fp := &fastPath{data: l}
	brRef := bufio.NewReaderSize(bytes.NewReader(in), 16)
	brFast := bufio.NewReaderSize(bytes.NewReader(in), 16)
	ref := l.newReference(brRef, limit)
	fast := fastReader(fp, l.newReference(brFast, limit))
	if _, ok := fast.(*dotReader); !ok {
		t.Fatal("fastData did not use dotReader")
	}
	for i := 0; ; i++ {
		size := sizes[i%len(sizes)]
		bRef, bFast := make([]byte, size), make([]byte, size)
		nRef, errRef := ref.Read(bRef)
		nFast, errFast := fast.Read(bFast)
		if nRef != nFast || !bytes.Equal(bRef[:nRef], bFast[:nFast]) || !errors.Is(errFast, errRef) {
			t.Fatalf("input %q, read %d (size %d): go-smtp %q, %v; dotReader %q, %v",
				in, i, size, bRef[:nRef], errRef, bFast[:nFast], errFast)
		}
		if errRef != nil || i > len(in)+10 {
			break
		}
	}
	restRef, _ := io.ReadAll(brRef)
	restFast, _ := io.ReadAll(brFast)
	if !bytes.Equal(restRef, restFast) {
		t.Fatalf("input %q: left after the data: go-smtp %q, dotReader %q", in, restRef, restFast)
	}
}

// TestDotReaderMatchesGoSMTP compares dotReader with go-smtp's reader on
// typical and random inputs made of the octets that matter.
func TestDotReaderMatchesGoSMTP(t *testing.T) {
	l := goSMTPLayout(t)
	for _, in := range []string{
		"",
		"Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"..stuffed\r\n.\r\n",
		"bare\nlf\n.\n.\r\n",
		"a\r\r\n.\r\nb\r\n.\r\n",
		"x\r\n.\rX\r\n.\r\n",
		strings.Repeat(strings.Repeat("y", 77)+"\r\n", 100) + ".\r\nRSET\r\n",
		"no end",
	} {
		compareReaders(t, l, []byte(in), []int{4096}, 0)
		compareReaders(t, l, []byte(in), []int{1, 3, 7}, 0)
		compareReaders(t, l, []byte(in), []int{5}, 9)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(".\r\naZ\x80")
	for range 3000 {
		in := make([]byte, rng.IntN(80))
		for i := range in {
			in[i] = alphabet[rng.IntN(len(alphabet))]
		}
		sizes := []int{1 + rng.IntN(40), 1 + rng.IntN(5)}
		compareReaders(t, l, in, sizes, int64(rng.IntN(3)*rng.IntN(60)))
	}
}

// FuzzDotReader: dotReader reads exactly what go-smtp's reader reads.
func FuzzDotReader(f *testing.F) {
	f.Add([]byte("a\r\n..b\r\n.\r\nQUIT\r\n"), uint8(3), uint8(0))
	f.Add([]byte("a\r\r\n.\r\n.\r\n"), uint8(1), uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, size, limit uint8) {
		compareReaders(t, goSMTPLayout(t), in, []int{int(size) + 1, 2}, int64(limit))
	})
}

// TestDotReaderLineLimit: dotReader refuses exactly the data go-smtp's
// line limit refuses (lines around the limit, CRLF and bare LF).
func TestDotReaderLineLimit(t *testing.T) {
	l := goSMTPLayout(t)
	ll, ok := lineLayoutOf()
	if !ok {
		t.Fatal("go-smtp's Conn has no line limit of the expected layout")
	}
	f, _ := reflect.TypeFor[smtp.Conn]().FieldByName("lineLimitReader")
	const limit = 20
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		var in []byte
		for range 1 + rng.IntN(4) {
			in = append(in, bytes.Repeat([]byte{'a' + byte(i%26)}, limit-4+rng.IntN(8))...)
			if rng.IntN(4) == 0 {
				in = append(in, '\n')
			} else {
				in = append(in, '\r', '\n')
			}
		}
		in = append(in, ".\r\n"...)

		// go-smtp: its dataReader over bufio over its lineLimitReader.
		llr := reflect.New(f.Type.Elem())
		p := llr.UnsafePointer()
		*(*io.Reader)(p) = bytes.NewReader(in)
		*(*int)(unsafe.Add(p, ll.limit)) = limit
		_, errRef := io.ReadAll(l.newReference(bufio.NewReaderSize(llr.Interface().(io.Reader), 16), 0))

		d := fastReader(&fastPath{data: l}, l.newReference(bufio.NewReaderSize(bytes.NewReader(in), 16), 0)).(*dotReader)
		d.maxLine = limit
		_, errFast := io.ReadAll(d)
		if (errRef == smtp.ErrTooLongLine) != (errFast == smtp.ErrTooLongLine) {
			t.Fatalf("%q: go-smtp %v, dotReader %v", in, errRef, errFast)
		}
	}
}
