package webmail

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxInlineImageBytes bounds the cid: images put into one message's
// frame as data: URLs (the frame is sandboxed without an origin of its
// own, so it cannot fetch them with the session cookie).
const maxInlineImageBytes = 20 << 20

// newSanitizer is the policy for message HTML: the user-content policy
// (no script, style element, form, object, embed, SVG, meta, base or
// event handler attribute; URLs only http, https, mailto and cid), plus the
// presentational attributes and a checked list of CSS properties that
// mail layouts use. CSS values go through bluemonday's per-property
// checks, so url(), expression() and the like never pass; no property
// that takes a URL (background, list-style-image, ...) is allowed at all.
func newSanitizer() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.AllowDataURIImages()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowElements("font", "center", "span", "div")
	p.AllowAttrs("color", "face", "size").OnElements("font")
	p.AllowAttrs("align", "valign", "width", "height", "bgcolor", "border",
		"cellpadding", "cellspacing", "dir").Globally()
	p.AllowStyles("color", "background-color", "font-family", "font-size", "font-style",
		"font-weight", "font-variant", "text-align", "text-decoration", "text-transform",
		"text-indent", "letter-spacing", "word-spacing", "line-height", "vertical-align",
		"white-space", "word-break", "word-wrap", "overflow-wrap", "direction",
		"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
		"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
		"border", "border-top", "border-right", "border-bottom", "border-left",
		"border-color", "border-style", "border-width", "border-collapse", "border-spacing",
		"border-radius", "width", "height", "max-width", "min-width", "max-height", "min-height",
		"display", "float", "clear", "table-layout", "list-style-type", "opacity").Globally()
	return p
}

// sanitized is message HTML made safe for the frame.
type sanitized struct {
	HTML string
	// Remote: the message has remote images (not loaded unless the user
	// asked for them).
	Remote bool
}

// sanitizeHTML cleans a message's HTML for its frame: bluemonday first,
// then on the cleaned tree cid: images become data: URLs from the
// message's parts (RFC 2392) and remote images lose their source unless
// showRemote. The result is well-formed HTML for a <body>.
func sanitizeHTML(pol *bluemonday.Policy, src string, pm *parsedMessage, showRemote bool) sanitized {
	clean := pol.Sanitize(src)
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(clean), ctx)
	if err != nil {
		return sanitized{HTML: html.EscapeString(clean)}
	}
	var out sanitized
	budget := maxInlineImageBytes
	var fix func(n *html.Node)
	fix = func(n *html.Node) {
		if n.Type == html.ElementNode {
			n.Attr = fixAttrs(n, pm, showRemote, &out.Remote, &budget)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			fix(c)
		}
	}
	var buf bytes.Buffer
	for _, n := range nodes {
		fix(n)
		if err := html.Render(&buf, n); err != nil {
			return sanitized{HTML: html.EscapeString(clean)}
		}
	}
	out.HTML = buf.String()
	return out
}

// fixAttrs rewrites an element's URLs for the frame.
func fixAttrs(n *html.Node, pm *parsedMessage, showRemote bool, remote *bool, budget *int) []html.Attribute {
	attrs := n.Attr[:0]
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		switch {
		case key == "srcset" || key == "background" || key == "poster" || key == "lowsrc" || key == "dynsrc":
			continue // sources we do not rewrite: never kept
		case key == "id" || key == "name":
			continue // the message names nothing in its document
		case key == "src" && n.DataAtom == atom.Img:
			v := strings.TrimSpace(a.Val)
			lower := strings.ToLower(v)
			switch {
			case strings.HasPrefix(lower, "cid:"):
				v = cidDataURL(pm, v[4:], budget)
				if v == "" {
					continue
				}
			case strings.HasPrefix(lower, "data:image/"):
				mt, _, _ := strings.Cut(lower[len("data:"):], ";")
				if !safeImageType.MatchString(mt) {
					continue
				}
			case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "//"):
				*remote = true
				if !showRemote {
					continue
				}
			default:
				continue
			}
			a.Val = v
		case key == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "cid:"):
			continue
		}
		attrs = append(attrs, a)
	}
	return attrs
}

// cidDataURL is the data: URL of the message's image part with
// Content-ID id, or "" (no such image, or over the budget).
func cidDataURL(pm *parsedMessage, id string, budget *int) string {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	p := pm.partByCID(unescapeCID(id))
	if p == nil || !strings.HasPrefix(p.Type, "image/") || !safeImageType.MatchString(p.Type) || p.Size > *budget {
		return ""
	}
	*budget -= p.Size
	return "data:" + p.Type + ";base64," + base64.StdEncoding.EncodeToString(p.Body)
}

// safeImageType: raster types a browser shows as an image and never runs
// (image/svg+xml is a document with scripts; it is not inlined).
var safeImageType = regexp.MustCompile(`^image/(png|gif|jpeg|jpg|pjpeg|webp|bmp|x-ms-bmp|avif|x-icon|vnd\.microsoft\.icon)$`)

// unescapeCID undoes the %hh escapes of a cid: URL (RFC 2392 §2).
func unescapeCID(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
