package sieve

import (
	"strings"
)

// The lexer follows RFC 5228 §8.1 (lexical tokens). It accepts bare LF as
// well as CRLF line endings (as Pigeonhole does) and normalises line ends
// inside strings to CRLF, which is what RFC 5228 §2.4.2 says they contain.

type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokIdent
	tokTag
	tokNumber
	tokString
	tokPunct // one of ; , ( ) [ ] { }
)

func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of script"
	case tokIdent:
		return "identifier"
	case tokTag:
		return "tagged argument"
	case tokNumber:
		return "number"
	case tokString:
		return "string"
	default:
		return "punctuation"
	}
}

type token struct {
	kind  tokenKind
	pos   pos
	text  string // identifier/tag name (lowercased), string value, punct char
	num   int64
	multi bool // string came from text: (multi-line)
}

type lexer struct {
	src  []byte
	i    int
	line int
	col  int // column of src[i], 1-based
}

// maxNumber bounds numbers (RFC 5228 §2.4.1 requires at least 2^31-1;
// we allow the full non-negative int64 range up to 2^53 for sizes).
const maxNumber = 1 << 53

func lex(src []byte) ([]token, error) {
	lx := &lexer{src: src, line: 1, col: 1}
	toks := make([]token, 0, len(src)/4+1)
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tokEOF {
			return toks, nil
		}
	}
}

func (lx *lexer) here() pos { return pos{lx.line, lx.col} }

func (lx *lexer) advance() {
	if lx.src[lx.i] == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	lx.i++
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (lx *lexer) skipSpace() error {
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			lx.advance()
		case c == '#': // hash-comment, to end of line
			for lx.i < len(lx.src) && lx.src[lx.i] != '\n' {
				lx.advance()
			}
		case c == '/' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '*': // bracket-comment
			start := lx.here()
			lx.advance()
			lx.advance()
			for {
				if lx.i+1 >= len(lx.src) {
					return errAt(start, "unterminated bracket comment")
				}
				if lx.src[lx.i] == '*' && lx.src[lx.i+1] == '/' {
					lx.advance()
					lx.advance()
					break
				}
				lx.advance()
			}
		default:
			return nil
		}
	}
	return nil
}

func (lx *lexer) next() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	p := lx.here()
	if lx.i >= len(lx.src) {
		return token{kind: tokEOF, pos: p}, nil
	}
	c := lx.src[lx.i]
	switch {
	case strings.IndexByte(";,()[]{}", c) >= 0:
		lx.advance()
		return token{kind: tokPunct, pos: p, text: string(c)}, nil
	case c == '"':
		s, err := lx.quoted()
		return token{kind: tokString, pos: p, text: s}, err
	case c == ':':
		lx.advance()
		if lx.i >= len(lx.src) || !(isAlpha(lx.src[lx.i]) || lx.src[lx.i] == '_') {
			return token{}, errAt(p, "expected a tag name after ':'")
		}
		return token{kind: tokTag, pos: p, text: lx.ident()}, nil
	case isDigit(c):
		return lx.number(p)
	case isAlpha(c) || c == '_':
		id := lx.ident()
		if id == "text" && lx.i < len(lx.src) && lx.src[lx.i] == ':' {
			lx.advance()
			s, err := lx.multiline(p)
			return token{kind: tokString, pos: p, text: s, multi: true}, err
		}
		return token{kind: tokIdent, pos: p, text: id}, nil
	}
	return token{}, errAt(p, "unexpected character %q", c)
}

func (lx *lexer) ident() string {
	start := lx.i
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		if !(isAlpha(c) || isDigit(c) || c == '_') {
			break
		}
		lx.advance()
	}
	// Identifiers are case-insensitive (RFC 5228 §2.5... §8.1).
	return strings.ToLower(string(lx.src[start:lx.i]))
}

// number reads RFC 5228 §2.4.1 number [QUANTIFIER].
func (lx *lexer) number(p pos) (token, error) {
	var n int64
	for lx.i < len(lx.src) && isDigit(lx.src[lx.i]) {
		n = n*10 + int64(lx.src[lx.i]-'0')
		if n > maxNumber {
			return token{}, errAt(p, "number too large")
		}
		lx.advance()
	}
	if lx.i < len(lx.src) {
		mul := int64(1)
		switch lx.src[lx.i] {
		case 'K', 'k':
			mul = 1 << 10
		case 'M', 'm':
			mul = 1 << 20
		case 'G', 'g':
			mul = 1 << 30
		}
		if mul > 1 {
			lx.advance()
			if n > maxNumber/mul {
				return token{}, errAt(p, "number too large")
			}
			n *= mul
		}
		if lx.i < len(lx.src) && (isAlpha(lx.src[lx.i]) || lx.src[lx.i] == '_') {
			return token{}, errAt(lx.here(), "unexpected character %q after number", lx.src[lx.i])
		}
	}
	return token{kind: tokNumber, pos: p, num: n}, nil
}

// quoted reads a quoted-string (RFC 5228 §2.4.2): \\ and \" are escapes,
// a backslash before any other character is dropped.
func (lx *lexer) quoted() (string, error) {
	start := lx.here()
	lx.advance() // opening quote
	var b strings.Builder
	for {
		if lx.i >= len(lx.src) {
			return "", errAt(start, "unterminated string")
		}
		c := lx.src[lx.i]
		switch c {
		case '"':
			lx.advance()
			return b.String(), nil
		case '\\':
			lx.advance()
			if lx.i >= len(lx.src) {
				return "", errAt(start, "unterminated string")
			}
			c = lx.src[lx.i]
			if c == '\r' || c == '\n' {
				continue // handled as a line end below
			}
			b.WriteByte(c)
			lx.advance()
		case '\r':
			lx.advance()
		case '\n':
			b.WriteString("\r\n")
			lx.advance()
		default:
			b.WriteByte(c)
			lx.advance()
		}
	}
}

// multiline reads the rest of a "text:" string (RFC 5228 §2.4.2, §8.1):
// optional white space and a comment, a line end, lines up to a line
// containing only ".", with a leading ".." unstuffed to ".".
func (lx *lexer) multiline(start pos) (string, error) {
	for lx.i < len(lx.src) && (lx.src[lx.i] == ' ' || lx.src[lx.i] == '\t') {
		lx.advance()
	}
	if lx.i < len(lx.src) && lx.src[lx.i] == '#' {
		for lx.i < len(lx.src) && lx.src[lx.i] != '\n' {
			lx.advance()
		}
	}
	if lx.i < len(lx.src) && lx.src[lx.i] == '\r' {
		lx.advance()
	}
	if lx.i >= len(lx.src) || lx.src[lx.i] != '\n' {
		return "", errAt(start, "text: must be followed by a line end")
	}
	lx.advance()
	var b strings.Builder
	for {
		if lx.i >= len(lx.src) {
			return "", errAt(start, "unterminated multi-line string (missing a line with only \".\")")
		}
		ls := lx.i
		for lx.i < len(lx.src) && lx.src[lx.i] != '\n' {
			lx.advance()
		}
		line := lx.src[ls:lx.i]
		if lx.i < len(lx.src) {
			lx.advance() // the LF
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 1 && line[0] == '.' {
			return b.String(), nil
		}
		if len(line) >= 2 && line[0] == '.' && line[1] == '.' {
			line = line[1:]
		}
		b.Write(line)
		b.WriteString("\r\n")
	}
}
