package imapd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// wideMIME is a multipart/mixed message of n small text parts.
func wideMIME(n int) string {
	var sb strings.Builder
	sb.WriteString("From: a@example.org\r\nSubject: wide\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&sb, "--w\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	sb.WriteString("--w--\r\n")
	return sb.String()
}

func depthOf(p *part) int {
	d := 0
	for _, c := range p.Children {
		d = max(d, 1+depthOf(c))
	}
	if p.Message != nil {
		d = max(d, 1+depthOf(p.Message))
	}
	return d
}

func countParts(p *part) int {
	n := 1
	for _, c := range p.Children {
		n += countParts(c)
	}
	if p.Message != nil {
		n += countParts(p.Message)
	}
	return n
}

// mimeCostBound is the work (octets scanned) a message of n octets may
// cost: each of at most maxMIMEDepth levels scans its body once for its
// delimiters and once for line counts, plus the headers.
func mimeCostBound(n int) int { return (2*maxMIMEDepth+2)*n + 64 }

// Deep nesting stops at maxMIMEDepth with an opaque leaf, wide messages at
// maxMIMEParts; the cost stays within mimeCostBound, and every result
// survives the store's cache encoding (JSON refused depths over 10,000
// nesting levels, so a 5,000-level message was parsed again on every
// FETCH).
func TestMIMELimitsAndCacheRoundTrip(t *testing.T) {
	nested, err := os.ReadFile("testdata/nested.eml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		msg       string
		depth     int
		maxParts  int
		hasOpaque bool
	}{
		{"deep 10000", deepMIME(10000), maxMIMEDepth, maxMIMEDepth + 1, true},
		{"deep 20000 LF", strings.ReplaceAll(deepMIME(20000), "\r\n", "\n"), maxMIMEDepth, maxMIMEDepth + 1, true},
		{"wide 12000", wideMIME(12000), 1, maxMIMEParts, false},
		{"nested.eml", string(nested), 3, 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, p := parseMIME([]byte(tc.msg))
			info := &bodyInfo{Envelope: envelope(root.header), Body: p.extractPart(root)}
			if w := p.work; w > mimeCostBound(len(tc.msg)) {
				t.Errorf("work %d over the bound %d", w, mimeCostBound(len(tc.msg)))
			}
			if d := depthOf(info.Body); d != tc.depth {
				t.Errorf("depth %d, want %d", d, tc.depth)
			}
			if n := countParts(info.Body); n > tc.maxParts {
				t.Errorf("%d parts, want at most %d", n, tc.maxParts)
			}
			if got := strings.Contains(fmt.Sprint(jsonOf(t, info)), `"application","s":"octet-stream"`); got != tc.hasOpaque {
				t.Errorf("opaque leaf %v, want %v", got, tc.hasOpaque)
			}
			enc, err := encodeBodyInfo(info)
			if err != nil {
				t.Fatal(err)
			}
			dec, ok := decodeBodyInfo(enc)
			if !ok {
				t.Fatalf("the cache entry (%d bytes) does not decode", len(enc))
			}
			// Decoded and encoded again, the same bytes (times come back
			// in a fixed zone, so the structs themselves differ).
			if again, err := encodeBodyInfo(dec); err != nil || !bytes.Equal(again, enc) {
				t.Errorf("the cache entry decodes to something else (%v)", err)
			}
			if size := infoSize(enc); size > infoCacheBytes/maxEntryShare {
				t.Errorf("info of %d bytes too big for the memory cache", size)
			}
		})
	}
}

func jsonOf(t *testing.T, info *bodyInfo) string {
	enc, err := encodeBodyInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	return string(enc[1:])
}

// FETCH BODYSTRUCTURE and ENVELOPE of a 5,500-level message over a socket
// (issue 10 item 4): answered with the structure cut at maxMIMEDepth, and
// the result cached in memory (TestMIMELimitsAndCacheRoundTrip checks the
// store's encoding), so a second FETCH does not parse again.
func TestDeepMIMEFetch(t *testing.T) {
	e := newTestEnv(t)
	msg := deepMIME(5500)
	e.deliver(e.alice, msg)
	rc := e.rawLogin("alice@example.test")
	rc.timeout = 5 * time.Minute // the code as found took minutes; bounded now
	rc.ok("SELECT INBOX")
	u := rc.ok("FETCH 1 (BODYSTRUCTURE ENVELOPE)")
	if len(u) != 1 {
		t.Fatalf("responses %q", u)
	}
	resp := strings.ToUpper(u[0])
	if n := strings.Count(resp, `"MIXED"`); n != maxMIMEDepth {
		t.Errorf("%d multipart levels, want %d", n, maxMIMEDepth)
	}
	if !strings.Contains(resp, `"APPLICATION" "OCTET-STREAM"`) || !strings.Contains(resp, `"DEEP"`) {
		t.Errorf("response %.300q", u[0])
	}
	// BODY and TEXT search through the same tree; the text below the
	// limit is inside the opaque leaf, as with Dovecot.
	if u := rc.ok("SEARCH TEXT deep"); len(u) != 1 || u[0] != "* SEARCH 1" {
		t.Errorf("SEARCH TEXT deep: %q", u)
	}
	if u := rc.ok("SEARCH BODY bottom"); len(u) != 1 || u[0] != "* SEARCH" {
		t.Errorf("SEARCH BODY bottom: %q", u)
	}
	// A part path deeper than the limit is empty, not a walk through
	// 5,500 nested readers.
	path := strings.Repeat("1.", 5000) + "1"
	if u := rc.ok("FETCH 1 BODY.PEEK[" + path + "]"); len(u) != 1 || !strings.HasSuffix(u[0], ` ""`) && !strings.HasSuffix(u[0], "{0}\r\n)") {
		t.Errorf("deep part path: %.200q", u)
	}
	msgs, err := e.st.ListMessages(context.Background(), e.alice.ID, mailboxID(t, e, "INBOX"), 1, 1)
	if err != nil || len(msgs) != 1 {
		t.Fatal(msgs, err)
	}
	if _, ok := e.srv.infos.get(msgs[0].BodyID); !ok {
		t.Error("the result is not in the memory cache")
	}
}
