package imapd

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// The MIME structure of a message (RFC 2045, RFC 2046), found in one pass
// over each level of the message held in memory: BODYSTRUCTURE, ENVELOPE
// and SEARCH BODY/TEXT all start from it.
//
// go-message's multipart reader reads each part through the reader of its
// parent, so every octet of a part nested n levels deep passed through n
// readers, and a 727 KB message nested 10,000 levels cost half a minute of
// CPU per FETCH BODYSTRUCTURE (and 20,000 levels: minutes and 300 MB).
// Here a part is a slice of the message: a multipart body is split by
// scanning it once for its own delimiter lines, so each level costs its
// own size, and the levels are bounded as Dovecot bounds them
// (message-parser.h: 100 nested parts, 10,000 parts in all): a multipart
// or message/rfc822 entity deeper than maxMIMEDepth is an opaque leaf (its
// whole body one application/octet-stream part), and parts past
// maxMIMEParts are left out. The total cost is therefore at most about
// maxMIMEDepth passes over the message.
const (
	maxMIMEDepth = 100
	maxMIMEParts = 10000
)

// mimeNode is one entity: its header, its body (a slice of the message)
// and, for multipart and message/rfc822 ones, what they contain.
type mimeNode struct {
	header   textproto.Header
	body     []byte
	typ, sub string            // lowercased media type and subtype
	params   map[string]string // Content-Type parameters, raw (names lowercased)
	children []*mimeNode       // multipart
	message  *mimeNode         // message/rfc822, message/global
	// opaque: a multipart or message entity past maxMIMEDepth, reported
	// as application/octet-stream and not looked into.
	opaque bool
}

// mimeParser builds the tree of one message.
type mimeParser struct {
	parts int // entities so far (the root included)
	// work counts the octets scanned (delimiter search, header parsing,
	// line counts): the fuzz targets bound it relative to the input.
	work int
	br   *bufio.Reader
	rd   bytes.Reader
}

// parseMIME returns the MIME tree of a whole message.
func parseMIME(msg []byte) (*mimeNode, *mimeParser) {
	p := &mimeParser{}
	p.br = bufio.NewReaderSize(&p.rd, 4096)
	return p.entity(msg, "", 0), p
}

// entity parses raw (header section, then body) at depth (the root is 0).
func (p *mimeParser) entity(raw []byte, parentSubtype string, depth int) *mimeNode {
	p.parts++
	hlen := headerLen(raw)
	n := &mimeNode{header: p.readHeader(raw[:hlen]), body: raw[hlen:]}
	mediaType, params := contentParams(rawValue(n.header, "Content-Type"))
	typ, sub, ok := strings.Cut(mediaType, "/")
	if !ok || typ == "" || sub == "" {
		// RFC 2045 §5.2 default; RFC 2046 §5.1.5 in a digest.
		if parentSubtype == "digest" {
			typ, sub, params = "message", "rfc822", nil
		} else {
			typ, sub, params = "text", "plain", map[string]string{"charset": "us-ascii"}
		}
	}
	n.typ, n.sub, n.params = typ, sub, params
	container := typ == "multipart" || isMessageType(typ, sub)
	if container && depth >= maxMIMEDepth {
		n.opaque = true
		return n
	}
	switch {
	case typ == "multipart":
		if b := params["boundary"]; b != "" {
			p.work += len(n.body)
			for _, child := range splitMultipart(n.body, b) {
				if p.parts >= maxMIMEParts {
					break
				}
				n.children = append(n.children, p.entity(child, sub, depth+1))
			}
		}
	case isMessageType(typ, sub):
		if p.parts < maxMIMEParts {
			n.message = p.entity(n.body, "", depth+1)
		} else {
			n.opaque = true
		}
	}
	return n
}

func isMessageType(typ, sub string) bool {
	return typ == "message" && (sub == "rfc822" || sub == "global")
}

// readHeader parses a header section (what textproto.ReadHeader can read
// of a damaged one).
func (p *mimeParser) readHeader(raw []byte) textproto.Header {
	p.work += len(raw)
	p.rd.Reset(raw)
	p.br.Reset(&p.rd)
	h, _ := textproto.ReadHeader(p.br)
	return h
}

// lines counts the line ends of b (BODYSTRUCTURE's line counts).
func (p *mimeParser) lines(b []byte) int64 {
	p.work += len(b)
	return int64(bytes.Count(b, []byte("\n")))
}

// headerLen is the length of the header section at the start of raw, the
// empty line ending it included (RFC 5322 §2.1; LF line ends accepted, as
// go-message's textproto does); all of raw if no empty line ends it.
func headerLen(raw []byte) int {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw)
		}
		if j == 0 || j == 1 && raw[i] == '\r' {
			return i + j + 1
		}
		i += j + 1
	}
	return len(raw)
}

// splitMultipart returns the body parts of a multipart body (RFC 2046
// §5.1.1): the text between delimiter lines ("--" boundary, optional
// linear white space), the line end before each delimiter belonging to
// the delimiter. The preamble and the epilogue after the close delimiter
// ("--" boundary "--") are dropped; without a close delimiter the last
// part runs to the end. One pass over body: at most one candidate per
// line is looked at.
func splitMultipart(body []byte, boundary string) [][]byte {
	dash := []byte("--" + boundary)
	var parts [][]byte
	start := -1 // start of the current part's content; -1 in the preamble
	for pos := 0; pos < len(body); {
		i := bytes.Index(body[pos:], dash)
		if i < 0 {
			break
		}
		i += pos
		lineEnd := len(body)
		if j := bytes.IndexByte(body[i:], '\n'); j >= 0 {
			lineEnd = i + j + 1
		}
		// A delimiter starts a line: anything else goes on at the next
		// line, which is past this match (a boundary holds no line end),
		// so the search never looks at the same octets twice.
		if i > 0 && body[i-1] != '\n' {
			pos = lineEnd
			continue
		}
		rest := body[i+len(dash) : lineEnd]
		final := bytes.HasPrefix(rest, []byte("--"))
		if final {
			rest = rest[2:]
		}
		if len(bytes.TrimRight(rest, " \t\r\n")) != 0 {
			pos = lineEnd // "--boundaryX": a longer boundary, or text
			continue
		}
		if start >= 0 {
			end := i
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
		}
		if final {
			return parts
		}
		start, pos = lineEnd, lineEnd
	}
	if start >= 0 {
		parts = append(parts, body[start:])
	}
	return parts
}
