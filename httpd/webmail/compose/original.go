package compose

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // legacy charsets of received mail
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/net/html"
)

// Limits on reading a stored message, so the work stays linear and
// bounded whatever the message.
const (
	maxDepth = 20   // MIME nesting
	maxParts = 1000 // leaf parts looked at
)

// Original is a stored message read for a reply or a forward.
type Original struct {
	Header gomail.Header
	// Text is the message's text: its first text/plain part, else its
	// first text/html part as text; LF line endings.
	Text string
	// Attachments are its other leaf parts that have a filename or are
	// not text (what a forward carries along).
	Attachments []Attachment

	textFlowed bool // Text was format=flowed (and is decoded)
}

// ParseOriginal reads a stored message. Unknown charsets and encodings of
// parts are tolerated (the raw text is used), a malformed header is not.
func ParseOriginal(raw []byte) (*Original, error) {
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("compose: reading the message: %w", err)
	}
	o := &Original{Header: gomail.Header{Header: e.Header}}
	w := walker{o: o}
	if err := w.walk(e, 0); err != nil {
		return nil, err
	}
	switch {
	case w.plain != nil:
		o.Text = *w.plain
	case w.html != nil:
		o.Text = htmlText(*w.html)
	}
	o.Text = strings.ReplaceAll(strings.ReplaceAll(o.Text, "\r\n", "\n"), "\r", "\n")
	if o.Text = strings.TrimRight(o.Text, "\n"); o.Text != "" {
		o.Text += "\n"
	}
	return o, nil
}

type walker struct {
	o           *Original
	plain, html *string
	parts       int
}

var errTooManyParts = errors.New("compose: message has too many parts")

func (w *walker) walk(e *gomessage.Entity, depth int) error {
	if depth > maxDepth {
		return nil
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
				// A broken multipart: keep what was read.
				return nil
			}
			if err := w.walk(p, depth+1); err != nil {
				return err
			}
		}
	}
	w.parts++
	if w.parts > maxParts {
		return errTooManyParts
	}
	ct, params, _ := e.Header.ContentType()
	disp, dparams, _ := e.Header.ContentDisposition()
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return nil // a broken part (bad base64): skipped
	}
	isText := ct == "text/plain" || ct == "text/html"
	if isText && disp != "attachment" && filename == "" {
		s := string(body)
		if ct == "text/plain" && w.plain == nil {
			if strings.EqualFold(params["format"], "flowed") {
				s = unflow(s)
				w.o.textFlowed = true
			}
			w.plain = &s
			return nil
		}
		if ct == "text/html" && w.html == nil {
			w.html = &s
			return nil
		}
		if w.plain != nil || w.html != nil {
			return nil // an alternative of the text already chosen
		}
	}
	if filename == "" && isText {
		return nil
	}
	if filename == "" {
		filename = "attachment"
	}
	if ct == "message/rfc822" && !strings.HasSuffix(strings.ToLower(filename), ".eml") {
		filename += ".eml"
	}
	w.o.Attachments = append(w.o.Attachments, Attachment{Filename: filename, ContentType: ct, Data: body})
	return nil
}

// htmlText is the text of an HTML document, for quoting: the text of
// its elements with a line break for each block, without scripts,
// styles and the head.
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(collapseBlank(b.String()))
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip++
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table":
				newline(&b)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table":
				newline(&b)
			case "td", "th":
				space(&b) // cells of a row stay apart
			}
		case html.TextToken:
			if skip == 0 {
				// Text returns the token's text once (a second call
				// gives nothing), so it is read into t first.
				t := string(z.Text())
				words := strings.Fields(t)
				if len(words) == 0 {
					if t != "" {
						space(&b) // whitespace between inline elements
					}
					continue
				}
				if isSpace(t[0]) {
					space(&b)
				}
				b.WriteString(strings.Join(words, " "))
				if isSpace(t[len(t)-1]) {
					b.WriteString(" ")
				}
			}
		}
	}
}

// isSpace reports whether c is HTML whitespace (HTML §2.3.3 ASCII whitespace).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// space separates the next word from the previous one, once.
func space(b *strings.Builder) {
	if s := b.String(); s != "" && !strings.HasSuffix(s, " ") && !strings.HasSuffix(s, "\n") {
		b.WriteString(" ")
	}
}

// collapseBlank turns runs of blank lines into one and trims lines.
func collapseBlank(s string) string {
	var out []string
	blank := 0
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// newline ends the current line unless it is ended already.
func newline(b *strings.Builder) {
	if s := b.String(); s != "" && !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
}
