package managesieved

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// The command grammar (RFC 5804 §4):
//
//	command     = verb *(SP argument) CRLF
//	argument    = string / number
//	string      = quoted / literal-c2s / literal-s2c
//	quoted      = DQUOTE *1024QUOTED-CHAR DQUOTE
//	QUOTED-CHAR = SAFE-UTF8-CHAR / "\" QUOTED-SPECIALS   ; SAFE: no NUL, CR, LF
//	literal-c2s = "{" number "+}" CRLF *OCTET
//	number      = 1*DIGIT   ; 0 <= n <= 4,294,967,295
//
// RFC 5804 lets clients send only non-synchronizing literals ({n+}); the
// synchronizing form {n} that some older clients send is read the same way
// (there is no continuation to wait for in ManageSieve). A bare LF ends a
// line as CRLF does. The parser reads byte by byte from a buffered reader
// and never backs up: its work is linear in its input.

// maxQuoted is RFC 5804's bound on the octets between the quotes.
const maxQuoted = 1024

// maxNumber is RFC 5804's largest number.
const maxNumber = 4294967295

// arg is one argument of a command.
type arg struct {
	isNumber bool
	num      uint64
	str      []byte // a string's content (quoted or literal)
	literal  bool
	// tooLarge: a literal longer than the parser keeps; its octets were
	// read and dropped, size says how many.
	tooLarge bool
	size     int64
}

// syntaxError is a malformed command. The rest of its line has been read,
// so the session answers NO and reads the next command.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

// fatalParseError is a command the session cannot recover from (a line or
// literal past every bound): it answers BYE and closes.
type fatalParseError struct{ msg string }

func (e *fatalParseError) Error() string { return e.msg }

// parser reads commands from r.
type parser struct {
	r *bufio.Reader
	// maxLine bounds the octets of a command outside its literals.
	maxLine int
	// maxLiteral is the longest literal kept; longer ones up to
	// maxDiscard are read and dropped (arg.tooLarge), longer still is
	// fatal.
	maxLiteral, maxDiscard int64

	n int // octets of the current line outside literals
}

// readByte reads one octet of the command line, counting it against the
// line limit.
func (p *parser) readByte() (byte, error) {
	b, err := p.r.ReadByte()
	if err != nil {
		return 0, err
	}
	p.n++
	if p.n > p.maxLine {
		return 0, &fatalParseError{"line too long"}
	}
	return b, nil
}

func (p *parser) unread() {
	p.r.UnreadByte()
	p.n--
}

// skipLine reads up to and including the next LF (within the line limit),
// after a syntax error.
func (p *parser) skipLine() error {
	for {
		b, err := p.readByte()
		if err != nil {
			return err
		}
		if b == '\n' {
			return nil
		}
	}
}

// syntax reports a syntax error after skipping the rest of the line. b is
// the octet that was wrong (LF when the line already ended).
func (p *parser) syntax(b byte, format string, args ...any) error {
	if b != '\n' {
		if err := p.skipLine(); err != nil {
			return err
		}
	}
	return &syntaxError{fmt.Sprintf(format, args...)}
}

// command reads one command: its verb (as sent; the caller folds case)
// and arguments. An empty line gives verb "". Errors: *syntaxError (the
// line was consumed), *fatalParseError, or the reader's error.
func (p *parser) command() (verb string, args []arg, err error) {
	p.n = 0
	var v []byte
	for {
		b, err := p.readByte()
		if err != nil {
			return "", nil, err
		}
		switch {
		case b == '\n':
			return string(v), nil, nil
		case b == '\r':
			if err := p.crlf(); err != nil {
				return "", nil, err
			}
			return string(v), nil, nil
		case b == ' ':
			if len(v) == 0 {
				return "", nil, p.syntax(b, "command expected")
			}
			args, err := p.arguments()
			return string(v), args, err
		case b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z':
			v = append(v, b)
		default:
			return "", nil, p.syntax(b, "invalid character in command name")
		}
	}
}

// crlf reads the LF after a CR.
func (p *parser) crlf() error {
	b, err := p.readByte()
	if err != nil {
		return err
	}
	if b != '\n' {
		return p.syntax(b, "CR without LF")
	}
	return nil
}

// arguments reads SP-separated arguments up to the end of the line; the
// first SP has been read.
func (p *parser) arguments() ([]arg, error) {
	var args []arg
	for {
		a, err := p.argument()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		b, err := p.readByte()
		if err != nil {
			return nil, err
		}
		switch b {
		case ' ':
			continue
		case '\n':
			return args, nil
		case '\r':
			return args, p.crlf()
		default:
			return nil, p.syntax(b, "space or end of line expected after an argument")
		}
	}
}

// argument reads a string or a number.
func (p *parser) argument() (arg, error) {
	b, err := p.readByte()
	if err != nil {
		return arg{}, err
	}
	switch {
	case b == '"':
		s, err := p.quoted()
		return arg{str: s}, err
	case b == '{':
		return p.literal()
	case b >= '0' && b <= '9':
		p.unread() // number reads it again
		n, err := p.number()
		return arg{isNumber: true, num: n}, err
	}
	return arg{}, p.syntax(b, "string or number expected")
}

// quoted reads a quoted string after its opening DQUOTE.
func (p *parser) quoted() ([]byte, error) {
	var s []byte
	for {
		b, err := p.readByte()
		if err != nil {
			return nil, err
		}
		switch b {
		case '"':
			if !utf8.Valid(s) {
				return nil, p.syntax(0, "quoted string is not UTF-8")
			}
			return s, nil
		case '\\':
			b, err = p.readByte()
			if err != nil {
				return nil, err
			}
			if b != '"' && b != '\\' {
				return nil, p.syntax(b, `only \" and \\ may be escaped in a quoted string`)
			}
		case 0, '\r', '\n':
			return nil, p.syntax(b, "NUL, CR or LF in a quoted string; send a literal")
		}
		if len(s) == maxQuoted {
			return nil, p.syntax(b, "quoted string longer than %d octets; send a literal", maxQuoted)
		}
		s = append(s, b)
	}
}

// number reads 1*DIGIT up to maxNumber.
func (p *parser) number() (uint64, error) {
	var n uint64
	digits := 0
	for {
		b, err := p.readByte()
		if err != nil {
			return 0, err
		}
		if b < '0' || b > '9' {
			if digits == 0 {
				return 0, p.syntax(b, "number expected")
			}
			p.unread()
			return n, nil
		}
		digits++
		n = n*10 + uint64(b-'0')
		if n > maxNumber {
			return 0, p.syntax(b, "number larger than %d", maxNumber)
		}
	}
}

// literal reads "{" number ["+"] "}" CRLF and the octets, after the "{".
func (p *parser) literal() (arg, error) {
	n, err := p.number()
	if err != nil {
		return arg{}, err
	}
	b, err := p.readByte()
	if err != nil {
		return arg{}, err
	}
	if b == '+' {
		if b, err = p.readByte(); err != nil {
			return arg{}, err
		}
	}
	if b != '}' {
		return arg{}, p.syntax(b, "literal: } expected")
	}
	if b, err = p.readByte(); err != nil {
		return arg{}, err
	}
	if b == '\r' {
		if b, err = p.readByte(); err != nil {
			return arg{}, err
		}
	}
	if b != '\n' {
		return arg{}, p.syntax(b, "literal: end of line expected after }")
	}
	size := int64(n)
	if size > p.maxLiteral {
		if size > p.maxDiscard {
			return arg{}, &fatalParseError{"literal of " + strconv.FormatInt(size, 10) + " octets is too large"}
		}
		if _, err := io.CopyN(io.Discard, p.r, size); err != nil {
			return arg{}, unexpectedEOF(err)
		}
		return arg{literal: true, tooLarge: true, size: size}, nil
	}
	s := make([]byte, size)
	if _, err := io.ReadFull(p.r, s); err != nil {
		return arg{}, unexpectedEOF(err)
	}
	return arg{str: s, literal: true, size: size}, nil
}

// unexpectedEOF turns the end of input inside a literal into
// io.ErrUnexpectedEOF: the command was cut off, not finished.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// response reads one client response of an AUTHENTICATE exchange
// (RFC 5804 §2.1): a string and the end of the line.
func (p *parser) response() ([]byte, error) {
	p.n = 0
	a, err := p.argument()
	if err != nil {
		return nil, err
	}
	if a.isNumber || a.tooLarge {
		return nil, p.syntax(0, "a string expected")
	}
	b, err := p.readByte()
	if err != nil {
		return nil, err
	}
	switch b {
	case '\n':
	case '\r':
		if err := p.crlf(); err != nil {
			return nil, err
		}
	default:
		return nil, p.syntax(b, "end of line expected after the response")
	}
	return a.str, nil
}
