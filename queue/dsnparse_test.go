package queue

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// parsedDSN is a DSN as a mail client would read it.
type parsedDSN struct {
	header     message.Header
	perMessage textproto.Header
	recipients []textproto.Header
	original   []byte // third part
	origType   string
}

// parseDSN parses an RFC 3464 report with go-message and fails the test
// if it is not one.
func parseDSN(t testing.TB, raw []byte) *parsedDSN {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("DSN does not parse: %v\n%s", err, raw)
	}
	ct, params, _ := e.Header.ContentType()
	if ct != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("DSN content type %s %v", ct, params)
	}
	d := &parsedDSN{header: e.Header}
	mr := e.MultipartReader()
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			if i != 3 {
				t.Fatalf("DSN has %d parts", i)
			}
			return d
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := p.Header.ContentType()
		body, _ := io.ReadAll(p.Body)
		switch i {
		case 0:
			if pt != "text/plain" {
				t.Fatalf("part 1 is %s", pt)
			}
		case 1:
			if pt != "message/delivery-status" {
				t.Fatalf("part 2 is %s", pt)
			}
			br := bufio.NewReader(bytes.NewReader(body))
			for {
				h, err := textproto.ReadHeader(br)
				if err != nil {
					t.Fatalf("delivery-status: %v\n%s", err, body)
				}
				if d.perMessage.Len() == 0 && h.Has("Reporting-Mta") {
					d.perMessage = h
				} else {
					d.recipients = append(d.recipients, h)
				}
				if _, err := br.Peek(1); err != nil {
					break
				}
			}
		case 2:
			d.origType, d.original = pt, body
		}
	}
}

// rcpt returns the per-recipient block of addr.
func (d *parsedDSN) rcpt(t testing.TB, addr string) textproto.Header {
	t.Helper()
	for _, h := range d.recipients {
		if strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(h.Get("Final-Recipient"), "rfc822;")), addr) {
			return h
		}
	}
	t.Fatalf("no DSN block for %s in %d blocks", addr, len(d.recipients))
	return textproto.Header{}
}
