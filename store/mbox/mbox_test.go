package mbox

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func readAll(t *testing.T, s string) []Message {
	t.Helper()
	r := NewReader(strings.NewReader(s))
	var out []Message
	for {
		m, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		c := *m
		c.Raw = bytes.Clone(m.Raw)
		out = append(out, c)
	}
}

func TestReadMboxoAndMboxrd(t *testing.T) {
	in := "From alice@example.test Mon Jan  2 15:04:05 2006\n" +
		"Subject: one\nStatus: RO\nX-Status: AF\nX-Keywords: $Label1 Work\nContent-Length: 99\n\n" +
		">From the start\n>>From quoted twice\nFrom unquoted mboxo line without blank before\n\n" +
		"From bob Tue Feb  3 04:05:06 2009 +0100\n" +
		"Subject: two\n\nbody\n"
	msgs := readAll(t, in)
	if len(msgs) != 2 {
		t.Fatalf("%d messages: %+v", len(msgs), msgs)
	}
	if got := string(msgs[0].Raw); got != "Subject: one\n\nFrom the start\n>From quoted twice\nFrom unquoted mboxo line without blank before\n" {
		t.Errorf("first message %q", got)
	}
	if !slices.Equal(msgs[0].Flags, []string{`\Seen`, `\Answered`, `\Flagged`, "$Label1", "Work"}) {
		t.Errorf("flags %v", msgs[0].Flags)
	}
	if want := time.Date(2006, 1, 2, 15, 4, 5, 0, time.Local); !msgs[0].Date.Equal(want) {
		t.Errorf("date %v", msgs[0].Date)
	}
	if want := time.Date(2009, 2, 3, 3, 5, 6, 0, time.UTC); !msgs[1].Date.Equal(want) || string(msgs[1].Raw) != "Subject: two\n\nbody\n" {
		t.Errorf("second %v %q", msgs[1].Date, msgs[1].Raw)
	}
}

// TestDovecotContentLength: Dovecot's mbox does not quote "From " lines
// in bodies; its Content-Length says where a body ends (mboxcl2).
func TestDovecotContentLength(t *testing.T) {
	in := "From mbx@vm  Thu Jan 02 03:04:05 2020\nSubject: plain\nX-UID: 1\nStatus: R\nX-Keywords:    \nContent-Length: 44\n\n" +
		"Hello\nFrom the start of a line\n>From quoted\n\n" +
		"From mbx@vm  Sun Sep 13 12:26:40 2020\nSubject: k\nStatus: \nX-Status: F\nContent-Length: 99\n\nwrong length\n\nFrom x\n\nlast\n"
	msgs := readAll(t, in)
	if len(msgs) != 3 {
		t.Fatalf("%d messages: %+v", len(msgs), msgs)
	}
	if got := string(msgs[0].Raw); got != "Subject: plain\n\nHello\nFrom the start of a line\n>From quoted\n" {
		t.Errorf("counted body %q", got)
	}
	if got := string(msgs[1].Raw); got != "Subject: k\n\nwrong length\n" || !slices.Equal(msgs[1].Flags, []string{`\Flagged`}) {
		t.Errorf("a wrong Content-Length is ignored: %q %v", got, msgs[1].Flags)
	}
}

func TestTextBeforeFirstFromIsKept(t *testing.T) {
	msgs := readAll(t, "garbage line\n\nFrom x Mon Jan  2 15:04:05 2006\nA: b\n\nc\n")
	if len(msgs) != 2 || string(msgs[0].Raw) != "garbage line\n" || msgs[0].From != "" {
		t.Fatalf("%+v", msgs)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	date := time.Date(2022, 7, 8, 9, 10, 11, 0, time.Local)
	bodies := []string{
		"Subject: a\r\n\r\nFrom here\r\n>From there\r\n\r\n",
		"Subject: b\n\nno CRLF\n",
		"",
		"\r\nno header\r\n",
		"Subject: c\r\n\r\nends\r\n\r\n\r\n",
	}
	flags := [][]string{{`\Seen`, `\Answered`, "Work"}, nil, {`\Deleted`}, {`\Draft`, `\Flagged`}, nil}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i, b := range bodies {
		if err := w.Write("a@b", date, flags[i], strings.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	msgs := readAll(t, buf.String())
	if len(msgs) != len(bodies) {
		t.Fatalf("%d messages from %q", len(msgs), buf.String())
	}
	for i, m := range msgs {
		if string(m.Raw) != bodies[i] || !slices.Equal(m.Flags, flags[i]) || !m.Date.Equal(date) {
			t.Errorf("%d: %q %v %v, want %q %v", i, m.Raw, m.Flags, m.Date, bodies[i], flags[i])
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add("From a Mon Jan  2 15:04:05 2006\nStatus: R\n\n>From x\n\nFrom b Mon Jan  2 15:04:05 2006\n\n")
	f.Add("no from\r\n\r\nFrom \r\n")
	f.Add("From x\nX-Keywords: a,b\n c\nX-Status: ATFD\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := NewReader(strings.NewReader(s))
		r.MaxSize = 1 << 20
		total := 0
		for {
			m, err := r.Next()
			if err != nil {
				break
			}
			total += len(m.Raw)
			if total > len(s) {
				t.Fatalf("read %d bytes of messages from %d", total, len(s))
			}
		}
	})
}

func FuzzWriteRead(f *testing.F) {
	f.Add("Subject: a\r\n\r\nFrom x\r\n", true)
	f.Add(">>From \n\n", false)
	f.Fuzz(func(t *testing.T, body string, seen bool) {
		if !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		var flags []string
		if seen && body[0] != ' ' && body[0] != '\t' {
			flags = []string{`\Seen`}
		}
		// Headers the reader takes out are not the message's.
		if _, fl := takeFlagHeaders([]byte(body)); len(fl) > 0 || strings.Contains(strings.ToLower(body), "content-length") || strings.Contains(strings.ToLower(body), "x-") || strings.Contains(strings.ToLower(body), "status") {
			return
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		w.Write("s", time.Unix(1e9, 0), flags, strings.NewReader(body))
		w.Flush()
		r := NewReader(&buf)
		m, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Raw) != body || !slices.Equal(m.Flags, flags) {
			t.Fatalf("%q -> %q %v", body, m.Raw, m.Flags)
		}
	})
}
