package webmail

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"strconv"
	"strings"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

// MIME limits: a message nests at most maxPartDepth multiparts deep and
// has at most maxParts parts; beyond, the rest is not shown (the raw
// source still is).
const (
	maxPartDepth = 20
	maxParts     = 1000
)

// mimePart is one leaf (or message/rfc822) part of a message, decoded
// from its transfer encoding (RFC 2045 §6).
type mimePart struct {
	Path        string // "1", "1.2", ...: the IMAP part number (RFC 9051 §6.4.5)
	Type        string // media type, lower case: "text/plain"
	Params      map[string]string
	Disposition string // "inline", "attachment" or ""
	Filename    string // RFC 2231 / RFC 2047 decoded
	ContentID   string // without the angle brackets
	Body        []byte // transfer-decoded, charset not converted
	Size        int
	// Alternative: this part is a non-preferred alternative of a
	// multipart/alternative (not shown, not an attachment).
	Alternative bool
}

// text is a text part's body converted to UTF-8 from its charset.
func (p *mimePart) text() string {
	cs := p.Params["charset"]
	if cs == "" || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "us-ascii") {
		return strings.ToValidUTF8(string(p.Body), "\uFFFD")
	}
	r, err := charset.Reader(cs, bytes.NewReader(p.Body))
	if err != nil {
		return strings.ToValidUTF8(string(p.Body), "\uFFFD")
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return strings.ToValidUTF8(string(p.Body), "\uFFFD")
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// isAttachment says whether the part is listed for download.
func (p *mimePart) isAttachment() bool {
	if p.Alternative {
		return false
	}
	if p.Disposition == "attachment" || p.Filename != "" {
		return true
	}
	return !strings.HasPrefix(p.Type, "text/")
}

// parsedMessage is a message's header and parts.
type parsedMessage struct {
	Header textproto.Header
	Parts  []*mimePart
	// Body is the part shown: the HTML alternative if there is one,
	// else the first text part that is not an attachment; nil if none.
	Body *mimePart
	// Truncated: the part limits were reached.
	Truncated bool
}

// parseMessage splits raw into its parts. It never fails on a malformed
// body: what cannot be split is one part of type text/plain.
func parseMessage(raw []byte) (*parsedMessage, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil && h.Len() == 0 {
		return nil, fmt.Errorf("message header: %w", err)
	}
	body, _ := io.ReadAll(br)
	pm := &parsedMessage{Header: h}
	w := &partWalker{pm: pm}
	w.walk(partHeader{h.Get}, body, "", 0)
	if pm.Body == nil {
		for _, p := range pm.Parts {
			if strings.HasPrefix(p.Type, "text/") && !p.isAttachment() && (p.Type == "text/plain" || p.Type == "text/html") {
				pm.Body = p
				break
			}
		}
	}
	return pm, nil
}

// partHeader reads a field of a part's header.
type partHeader struct{ get func(string) string }

type partWalker struct {
	pm *parsedMessage
	n  int
}

// childPath is the IMAP part number of the i'th (1-based) child.
func childPath(parent string, i int) string {
	if parent == "" {
		return strconv.Itoa(i)
	}
	return parent + "." + strconv.Itoa(i)
}

func (w *partWalker) walk(h partHeader, body []byte, path string, depth int) []*mimePart {
	if w.n >= maxParts || depth > maxPartDepth {
		w.pm.Truncated = true
		return nil
	}
	w.n++
	ct, params, err := mime.ParseMediaType(h.get("Content-Type"))
	if err != nil || ct == "" {
		ct, params = "text/plain", map[string]string{"charset": "us-ascii"}
	}
	if strings.HasPrefix(ct, "multipart/") && params["boundary"] != "" {
		var children []*mimePart
		var alts [][]*mimePart
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for i := 1; ; i++ {
			p, err := mr.NextRawPart()
			if err != nil {
				if !errors.Is(err, io.EOF) && i == 1 {
					// Not really multipart: show it as text.
					return w.leaf(h, "text/plain", map[string]string{}, body, childPath(path, 1))
				}
				break
			}
			b, err := io.ReadAll(p)
			if err != nil && len(b) == 0 {
				break
			}
			got := w.walk(partHeader{p.Header.Get}, b, childPath(path, i), depth+1)
			children = append(children, got...)
			alts = append(alts, got)
		}
		if ct == "multipart/alternative" && w.pm.Body == nil {
			w.pickAlternative(alts)
		}
		return children
	}
	if path == "" {
		path = "1" // a single-part message's body is part 1
	}
	return w.leaf(h, ct, params, body, path)
}

// pickAlternative chooses the shown body among the alternatives (RFC 2046
// §5.1.4: the last one we can show is the best; we prefer HTML).
func (w *partWalker) pickAlternative(alts [][]*mimePart) {
	var best *mimePart
	for _, a := range alts {
		for _, p := range a {
			if p.Disposition == "attachment" {
				continue
			}
			if p.Type == "text/html" || (p.Type == "text/plain" && (best == nil || best.Type != "text/html")) {
				best = p
			}
			break // the first part of each alternative is its body
		}
	}
	if best == nil {
		return
	}
	w.pm.Body = best
	for _, a := range alts {
		if len(a) > 0 && a[0] != best && strings.HasPrefix(a[0].Type, "text/") {
			a[0].Alternative = true
		}
	}
}

func (w *partWalker) leaf(h partHeader, ct string, params map[string]string, body []byte, path string) []*mimePart {
	p := &mimePart{Path: path, Type: ct, Params: params}
	if disp, dparams, err := mime.ParseMediaType(h.get("Content-Disposition")); err == nil {
		p.Disposition = disp
		p.Filename = dparams["filename"]
	}
	if p.Filename == "" {
		p.Filename = params["name"]
	}
	p.Filename = safeFilename(decodeWords(p.Filename))
	p.ContentID = strings.Trim(strings.TrimSpace(h.get("Content-ID")), "<>")
	p.Body = decodeTransfer(h.get("Content-Transfer-Encoding"), body)
	p.Size = len(p.Body)
	w.pm.Parts = append(w.pm.Parts, p)
	return []*mimePart{p}
}

// decodeTransfer undoes a Content-Transfer-Encoding (RFC 2045 §6);
// undecodable input is returned as far as it decoded.
func decodeTransfer(enc string, body []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		clean := make([]byte, 0, len(body))
		for _, c := range body {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				clean = append(clean, c)
			}
		}
		clean = bytes.TrimRight(clean, "=")
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, _ := base64.RawStdEncoding.Decode(out, clean)
		return out[:n]
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return out
	default:
		return body
	}
}

// safeFilename strips path components and control characters from a
// name chosen by the sender.
func safeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == ".." {
		return ""
	}
	if len(name) > 255 {
		name = name[:255]
	}
	return strings.ToValidUTF8(name, "")
}

// part returns the part with IMAP number path, or nil.
func (pm *parsedMessage) part(path string) *mimePart {
	for _, p := range pm.Parts {
		if p.Path == path {
			return p
		}
	}
	return nil
}

// partByCID returns the part with Content-ID id (RFC 2392), or nil.
func (pm *parsedMessage) partByCID(id string) *mimePart {
	for _, p := range pm.Parts {
		if p.ContentID != "" && p.ContentID == id {
			return p
		}
	}
	return nil
}
