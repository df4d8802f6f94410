package imapd

import (
	"os"
	"strings"
	"testing"
)

// mimeAllocBound is the allocations parsing a message of n octets may
// make: a few per header field and per part, each of which takes octets
// of the input, plus a constant.
func mimeAllocBound(n int) float64 { return 4*float64(n) + 200 }

// FuzzParseBody checks BODYSTRUCTURE and ENVELOPE extraction (mime.go,
// parse.go) for a cost linear in the input, counted deterministically: the
// octets scanned (mimeParser.work) and the allocations made; and that
// every result survives the store's cache encoding.
func FuzzParseBody(f *testing.F) {
	if b, err := os.ReadFile("testdata/nested.eml"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		deepMIME(150),
		strings.ReplaceAll(deepMIME(120), "\r\n", "\n"),
		wideMIME(50),
		testMessage(1),
		"",
		"\r\n",
		"Subject: x\r\n",
		"Content-Type: multipart/digest; boundary=x\r\n\r\n--x\r\n\r\nSubject: in\r\n\r\nb\r\n--x--\r\n",
		"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: text/plain\r\n\r\n1\r\n",
		"Content-Type: multipart/mixed; boundary=\"a\"\r\n\r\n--a\r\n--a\r\n--aa\r\n--a \t\r\n--a--\r\n",
		"Content-Type: multipart/mixed; boundary=" + strings.Repeat("a", 200) + "\r\n\r\n" + strings.Repeat("-", 5000),
		"From: \"q\\\"x\" <a@b>, (c (d) e) f@g, grp: h@i, j@k;, <@route:l@m>\r\nTo: =?utf-8?q?x?= <n@o>\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var info *bodyInfo
		var work int
		allocs := testing.AllocsPerRun(1, func() {
			root, p := parseMIME(b)
			info = &bodyInfo{Envelope: envelope(root.header), Body: p.extractPart(root)}
			work = p.work
		})
		if work > mimeCostBound(len(b)) {
			t.Errorf("work %d over the bound %d for %d octets", work, mimeCostBound(len(b)), len(b))
		}
		if allocs > mimeAllocBound(len(b)) {
			t.Errorf("%v allocations over the bound %v for %d octets", allocs, mimeAllocBound(len(b)), len(b))
		}
		if d := depthOf(info.Body); d > maxMIMEDepth {
			t.Errorf("depth %d", d)
		}
		if n := countParts(info.Body); n > maxMIMEParts+1 {
			t.Errorf("%d parts", n)
		}
		enc, err := encodeBodyInfo(info)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := decodeBodyInfo(enc); !ok {
			t.Errorf("cache entry of %d bytes does not decode", len(enc))
		}
	})
}
