package sieve

// The parser builds the generic syntax tree of RFC 5228 §8.2 (grammar);
// check.go then turns it into the checked, typed tree the evaluator runs.
//
//	commands   = *command
//	command    = identifier arguments (";" / block)
//	block      = "{" commands "}"
//	arguments  = *argument [ test / test-list ]
//	argument   = string-list / number / tag
//	string-list = "[" string *("," string) "]" / string
//	test       = identifier arguments
//	test-list  = "(" test *("," test) ")"

type argKind uint8

const (
	argTag argKind = iota
	argNumber
	argStrings // a single string or a string list
)

type rawString struct {
	s     string
	pos   pos
	multi bool
}

type rawArg struct {
	kind   argKind
	pos    pos
	tag    string // for argTag
	num    int64
	strs   []rawString
	isList bool // written with [ ]
}

type rawNode struct {
	name     string
	pos      pos
	args     []rawArg
	tests    []*rawNode
	testList bool // tests written as ( ... )
	block    []*rawNode
	hasBlock bool
}

// parser reads tokens from the lexer with one token of lookahead.
type parser struct {
	lx       *lexer
	cur      token
	err      error // the lexer's error, reported as soon as the token is needed
	maxDepth int
}

func parse(src []byte, maxDepth int) ([]*rawNode, error) {
	lx, err := newLexer(src)
	if err != nil {
		return nil, err
	}
	p := &parser{lx: lx, maxDepth: maxDepth}
	p.advance()
	cmds, err := p.commands(0)
	if err != nil {
		return nil, err
	}
	if p.err != nil {
		return nil, p.err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.fail(errAt(t.pos, "unexpected %s", describe(t)))
	}
	return cmds, nil
}

func (p *parser) advance() {
	if p.err != nil {
		return
	}
	t, err := p.lx.next()
	if err != nil {
		p.err = err
		// an EOF token makes every caller stop; the error is what is returned
		t = token{kind: tokEOF, pos: p.lx.here()}
	}
	p.cur = t
}

func describe(t token) string {
	switch t.kind {
	case tokPunct:
		return "'" + t.text + "'"
	case tokIdent:
		return "identifier '" + t.text + "'"
	case tokTag:
		return "tag ':" + t.text + "'"
	}
	return t.kind.String()
}

func (p *parser) peek() token { return p.cur }
func (p *parser) take() token {
	t := p.cur
	if t.kind != tokEOF {
		p.advance()
	}
	return t
}

// fail returns the lexer's error if there is one (it explains the token
// the parser found unexpected), else err.
func (p *parser) fail(err error) error {
	if p.err != nil {
		return p.err
	}
	return err
}

func (p *parser) commands(depth int) ([]*rawNode, error) {
	var cmds []*rawNode
	for {
		t := p.peek()
		if t.kind == tokEOF || (t.kind == tokPunct && t.text == "}") {
			return cmds, nil
		}
		c, err := p.command(depth)
		if err != nil {
			return nil, err
		}
		cmds = append(cmds, c)
	}
}

func (p *parser) command(depth int) (*rawNode, error) {
	t := p.take()
	if t.kind != tokIdent {
		return nil, p.fail(errAt(t.pos, "expected a command, found %s", describe(t)))
	}
	n := &rawNode{name: t.text, pos: t.pos}
	// tests nest on their own count (as blocks do), each bounded by MaxNesting
	if err := p.arguments(n, 0); err != nil {
		return nil, err
	}
	t = p.take()
	switch {
	case t.kind == tokPunct && t.text == ";":
		return n, nil
	case t.kind == tokPunct && t.text == "{":
		if depth+1 > p.maxDepth {
			return nil, p.fail(errAt(t.pos, "blocks nested deeper than %d", p.maxDepth))
		}
		block, err := p.commands(depth + 1)
		if err != nil {
			return nil, err
		}
		end := p.take()
		if end.kind != tokPunct || end.text != "}" {
			return nil, p.fail(errAt(end.pos, "expected '}', found %s", describe(end)))
		}
		n.block, n.hasBlock = block, true
		return n, nil
	}
	return nil, p.fail(errAt(t.pos, "expected ';' or '{' after command %q, found %s", n.name, describe(t)))
}

func (p *parser) arguments(n *rawNode, depth int) error {
	for {
		t := p.peek()
		switch {
		case t.kind == tokTag:
			p.take()
			n.args = append(n.args, rawArg{kind: argTag, pos: t.pos, tag: t.text})
		case t.kind == tokNumber:
			p.take()
			n.args = append(n.args, rawArg{kind: argNumber, pos: t.pos, num: t.num})
		case t.kind == tokString:
			p.take()
			n.args = append(n.args, rawArg{kind: argStrings, pos: t.pos,
				strs: []rawString{{t.text, t.pos, t.multi}}})
		case t.kind == tokPunct && t.text == "[":
			p.take()
			a := rawArg{kind: argStrings, pos: t.pos, isList: true}
			for {
				s := p.take()
				if s.kind != tokString {
					return p.fail(errAt(s.pos, "expected a string in the string list, found %s", describe(s)))
				}
				a.strs = append(a.strs, rawString{s.text, s.pos, s.multi})
				sep := p.take()
				if sep.kind == tokPunct && sep.text == "]" {
					break
				}
				if sep.kind != tokPunct || sep.text != "," {
					return p.fail(errAt(sep.pos, "expected ',' or ']' in string list, found %s", describe(sep)))
				}
			}
			n.args = append(n.args, a)
		case t.kind == tokIdent:
			if depth+1 > p.maxDepth {
				return p.fail(errAt(t.pos, "tests nested deeper than %d", p.maxDepth))
			}
			test, err := p.test(depth + 1)
			if err != nil {
				return err
			}
			n.tests = []*rawNode{test}
			return nil
		case t.kind == tokPunct && t.text == "(":
			p.take()
			if depth+1 > p.maxDepth {
				return p.fail(errAt(t.pos, "tests nested deeper than %d", p.maxDepth))
			}
			n.testList = true
			for {
				test, err := p.test(depth + 1)
				if err != nil {
					return err
				}
				n.tests = append(n.tests, test)
				sep := p.take()
				if sep.kind == tokPunct && sep.text == ")" {
					break
				}
				if sep.kind != tokPunct || sep.text != "," {
					return p.fail(errAt(sep.pos, "expected ',' or ')' in test list, found %s", describe(sep)))
				}
			}
			return nil
		default:
			return nil
		}
	}
}

func (p *parser) test(depth int) (*rawNode, error) {
	t := p.take()
	if t.kind != tokIdent {
		return nil, p.fail(errAt(t.pos, "expected a test, found %s", describe(t)))
	}
	n := &rawNode{name: t.text, pos: t.pos}
	if err := p.arguments(n, depth); err != nil {
		return nil, err
	}
	return n, nil
}
