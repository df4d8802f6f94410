package imapd

import (
	"bufio"
	"bytes"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"
)

// TestEachFieldMatchesTextproto checks the raw field scanner against
// go-message's header parser on ordinary and damaged headers.
func TestEachFieldMatchesTextproto(t *testing.T) {
	headers := []string{
		"From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: hello\r\n\r\nbody From: x\r\n",
		"Subject: folded\r\n  across\r\n\tthree lines\r\nFROM : Upper <u@example.org>\r\nfrom: second@example.org\r\n\r\n",
		"Subject: =?utf-8?q?caf=C3=A9_invoice?=\r\nX-Empty:\r\n\r\n",
		"From: before@example.org\r\nbroken line without colon\r\nSubject: after damage\r\n\r\n",
		"From: no blank line at the end\r\n",
		"From: lf only\nSubject: lf\n\nbody\n",
		" leading continuation\r\nFrom: x@example.org\r\n\r\n",
		"\r\nFrom: in the body\r\n",
		"",
	}
	keys := []string{"From", "Subject", "To", "X-Empty", "Cc"}
	for _, raw := range headers {
		h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader([]byte(raw))))
		for _, key := range keys {
			var want, got []string
			for f := h.FieldsByKey(key); f.Next(); {
				want = append(want, f.Value())
			}
			eachField([]byte(raw), key, func(v string) bool { got = append(got, v); return true })
			if !slices.Equal(got, want) {
				t.Errorf("%q, %s: got %q, want %q", raw, key, got, want)
			}
		}
	}
}

func TestMatchRawFields(t *testing.T) {
	raw := []byte("From: Alice <ALICE@example.org>\r\nSubject: =?utf-8?q?Caf=C3=A9_Invoice?=\r\nX-Empty:\r\n\r\n")
	for _, c := range []struct {
		key, pattern string
		want         bool
	}{
		{"From", "alice@", true},
		{"from", "bob", false},
		{"Subject", "café invoice", true}, // decoded, case-insensitive
		{"Subject", "=?utf-8", false},
		{"X-Empty", "", true}, // present, empty pattern
		{"Cc", "", false},
	} {
		if got := matchRawFields(raw, c.key, c.pattern); got != c.want {
			t.Errorf("%s %q: %v, want %v", c.key, c.pattern, got, c.want)
		}
	}
	if !containsLower("ÀB Invoice", "invoice") || containsLower("inv", "invoice") {
		t.Error("containsLower")
	}
}

// TestHeaderFieldsMatchesLibrary checks BODY[HEADER.FIELDS (...)] and
// HEADER.FIELDS.NOT cut from the raw header against go-imap's extraction.
func TestHeaderFieldsMatchesLibrary(t *testing.T) {
	headers := []string{
		"From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: hello\r\n\r\n",
		"Subject: folded\r\n  across\r\n\tthree lines\r\nFROM : Upper <u@example.org>\r\nfrom: second@example.org\r\nX-Other: x\r\n\r\n",
		"X-Only: 1\r\n\r\n",
		"\r\n",
	}
	lists := [][]string{{"From", "Subject"}, {"subject"}, {"X-Missing"}, {"from", "to", "x-other", "subject"}}
	for _, raw := range headers {
		for _, names := range lists {
			for _, not := range []bool{false, true} {
				bs := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: names}
				if not {
					bs = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFieldsNot: names}
				}
				want := imapserver.ExtractBodySection(bytes.NewReader([]byte(raw)), bs)
				got, ok := headerFields([]byte(raw), names, not)
				if !ok || !bytes.Equal(got, want) {
					t.Errorf("%q %v not=%v: got %q (%v), want %q", raw, names, not, got, ok, want)
				}
			}
		}
	}
	for _, damaged := range []string{"From: a\r\nbroken\r\n\r\n", "From: no line end", " Subject: x\r\n\r\n"} {
		if _, ok := headerFields([]byte(damaged), []string{"From"}, false); ok {
			t.Errorf("%q: not reported as damaged", damaged)
		}
	}
}
