package sieve

import (
	"regexp"
	"strings"
)

// check turns the generic tree into the checked tree (RFC 5228 §2.6 and §3:
// arguments, tags, require, control structure), so that every error a
// script can have without a message is reported at Parse with its position.

type valKind uint8

const (
	valNone valKind = iota
	valString
	valStrings
	valNumber
)

type tagDef struct {
	name  string
	group string // mutually exclusive tags share a group
	val   valKind
	ext   string // required capability, "" for the base language
}

type tagVal struct {
	name string
	pos  pos
	arg  rawArg // the tag's value, when val != valNone
}

type argSet struct {
	tags map[string]tagVal // by group
	pos  []rawArg
}

type checker struct {
	lim      Limits
	requires map[string]bool
	reqList  []string
	vars     map[string]bool // variable names assigned by set
	encoded  bool
	varsExt  bool
}

var (
	comparatorTag = []tagDef{{"comparator", "comparator", valString, ""}}
	matchTags     = []tagDef{
		{"is", "match", valNone, ""},
		{"contains", "match", valNone, ""},
		{"matches", "match", valNone, ""},
		{"regex", "match", valNone, "regex"},
		{"count", "match", valString, "relational"},
		{"value", "match", valString, "relational"},
	}
	addressPartTags = []tagDef{
		{"all", "addrpart", valNone, ""},
		{"localpart", "addrpart", valNone, ""},
		{"domain", "addrpart", valNone, ""},
		{"user", "addrpart", valNone, "subaddress"},
		{"detail", "addrpart", valNone, "subaddress"},
	}
)

func join(lists ...[]tagDef) []tagDef {
	var out []tagDef
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func (c *checker) has(ext string) bool { return ext == "" || c.requires[ext] }

// collect splits a node's arguments into tags (by group) and positionals,
// checking tag names, their extensions and values (RFC 5228 §2.6.2: tagged
// arguments precede positional ones).
func (c *checker) collect(n *rawNode, defs []tagDef) (argSet, error) {
	as := argSet{tags: map[string]tagVal{}}
	for i := 0; i < len(n.args); i++ {
		a := n.args[i]
		if a.kind != argTag {
			as.pos = append(as.pos, a)
			continue
		}
		if len(as.pos) > 0 {
			return as, errAt(a.pos, "tagged argument :%s after positional arguments of %s", a.tag, n.name)
		}
		var def *tagDef
		for j := range defs {
			if defs[j].name == a.tag && c.has(defs[j].ext) {
				def = &defs[j]
				break
			}
		}
		if def == nil {
			for j := range defs {
				if defs[j].name == a.tag {
					return as, errAt(a.pos, "tag :%s of %s needs require %q", a.tag, n.name, defs[j].ext)
				}
			}
			return as, errAt(a.pos, "unknown tag :%s for %s", a.tag, n.name)
		}
		if prev, dup := as.tags[def.group]; dup {
			if prev.name == a.tag {
				return as, errAt(a.pos, "tag :%s given twice", a.tag)
			}
			return as, errAt(a.pos, "tag :%s cannot be combined with :%s", a.tag, prev.name)
		}
		tv := tagVal{name: a.tag, pos: a.pos}
		if def.val != valNone {
			if i+1 >= len(n.args) {
				return as, errAt(a.pos, "tag :%s needs a value", a.tag)
			}
			i++
			v := n.args[i]
			if err := checkKind(v, def.val, ":"+a.tag); err != nil {
				return as, err
			}
			tv.arg = v
		}
		as.tags[def.group] = tv
	}
	return as, nil
}

func checkKind(a rawArg, want valKind, what string) error {
	switch want {
	case valNumber:
		if a.kind != argNumber {
			return errAt(a.pos, "%s expects a number", what)
		}
	case valString:
		if a.kind != argStrings || a.isList {
			return errAt(a.pos, "%s expects a string", what)
		}
	case valStrings:
		if a.kind != argStrings {
			return errAt(a.pos, "%s expects a string list", what)
		}
	}
	return nil
}

// positional checks the count and kinds of positional arguments.
func positional(n *rawNode, as argSet, kinds ...valKind) error {
	if len(as.pos) != len(kinds) {
		p := n.pos
		if len(as.pos) > len(kinds) {
			p = as.pos[len(kinds)].pos
		}
		return errAt(p, "%s takes %d positional argument(s), found %d", n.name, len(kinds), len(as.pos))
	}
	for i, k := range kinds {
		if err := checkKind(as.pos[i], k, n.name+" argument "+itoa(i+1)); err != nil {
			return err
		}
	}
	return nil
}

func noTests(n *rawNode) error {
	if len(n.tests) > 0 {
		return errAt(n.tests[0].pos, "%s takes no test", n.name)
	}
	return nil
}

// commands checks a block: require placement (RFC 5228 §3.2), if/elsif/else
// chaining (§3.1).
func (c *checker) commands(nodes []*rawNode, top bool) ([]command, error) {
	var out []command
	var chain *cmdIf // the if statement an elsif/else may continue
	seenOther := false
	for _, n := range nodes {
		if n.name != "elsif" && n.name != "else" {
			chain = nil
		}
		if n.name != "require" && n.hasBlock && n.name != "if" && n.name != "elsif" && n.name != "else" {
			return nil, errAt(n.pos, "%s takes no block", n.name)
		}
		switch n.name {
		case "require":
			if !top || seenOther {
				return nil, errAt(n.pos, "require must come before any other command (RFC 5228 §3.2)")
			}
			if err := c.require(n); err != nil {
				return nil, err
			}
			continue
		case "if", "elsif", "else":
			seenOther = true
			if !n.hasBlock {
				return nil, errAt(n.pos, "%s needs a block", n.name)
			}
			if n.name != "if" && chain == nil {
				return nil, errAt(n.pos, "%s without a preceding if or elsif", n.name)
			}
			block, err := c.commands(n.block, false)
			if err != nil {
				return nil, err
			}
			if n.name == "else" {
				if len(n.args) > 0 || len(n.tests) > 0 {
					return nil, errAt(n.pos, "else takes no arguments")
				}
				chain.blocks = append(chain.blocks, block)
				chain = nil
				continue
			}
			if len(n.args) > 0 {
				return nil, errAt(n.args[0].pos, "%s takes only a test", n.name)
			}
			if len(n.tests) != 1 || n.testList {
				return nil, errAt(n.pos, "%s needs exactly one test", n.name)
			}
			t, err := c.test(n.tests[0])
			if err != nil {
				return nil, err
			}
			if n.name == "if" {
				chain = &cmdIf{}
				out = append(out, chain)
			}
			chain.conds = append(chain.conds, t)
			chain.blocks = append(chain.blocks, block)
			continue
		}
		seenOther = true
		cmd, err := c.command(n)
		if err != nil {
			return nil, err
		}
		out = append(out, cmd)
	}
	return out, nil
}

func (c *checker) require(n *rawNode) error {
	as, err := c.collect(n, nil)
	if err != nil {
		return err
	}
	if err := positional(n, as, valStrings); err != nil {
		return err
	}
	if err := noTests(n); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, e := range Extensions() {
		known[e] = true
	}
	for _, s := range as.pos[0].strs {
		name := s.s
		if !known[name] {
			return errAt(s.pos, "unsupported extension %q", name)
		}
		if !c.requires[name] {
			c.requires[name] = true
			c.reqList = append(c.reqList, name)
		}
	}
	c.encoded = c.requires["encoded-character"]
	c.varsExt = c.requires["variables"]
	return nil
}

// str converts a string argument: encoded-character (RFC 5228 §2.4.2.4)
// first, then variable references (RFC 5229 §3).
func (c *checker) str(s rawString) (str, error) {
	v := s.s
	if c.encoded {
		var err error
		if v, err = decodeEncodedCharacters(v); err != nil {
			return str{}, errAt(s.pos, "%v", err)
		}
	}
	if !c.varsExt {
		return str{lit: v}, nil
	}
	out, err := parseVariableRefs(v)
	if err != nil {
		return str{}, errAt(s.pos, "%v", err)
	}
	return out, nil
}

func (c *checker) strs(a rawArg) (strList, error) {
	out := make(strList, 0, len(a.strs))
	for _, s := range a.strs {
		v, err := c.str(s)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// constStr returns a string argument that must not contain variables.
func (c *checker) constStr(a rawArg, what string) (string, error) {
	s, err := c.str(a.strs[0])
	if err != nil {
		return "", err
	}
	if !s.constant() {
		return "", errAt(a.pos, "%s must be a constant string", what)
	}
	return s.lit, nil
}

// matcher builds the comparator and match type of a test (RFC 5228 §2.7).
func (c *checker) matcher(as argSet, keys rawArg) (matcher, error) {
	m := matcher{mt: mtIs, cmp: cmpCasemap, vars: c.varsExt}
	if tv, ok := as.tags["comparator"]; ok {
		name, err := c.constStr(tv.arg, ":comparator")
		if err != nil {
			return m, err
		}
		cmp, ok := comparatorByName(name)
		if !ok {
			return m, errAt(tv.arg.pos, "unknown comparator %q", name)
		}
		if cmp == cmpNumeric && !c.requires["comparator-i;ascii-numeric"] {
			return m, errAt(tv.arg.pos, "comparator i;ascii-numeric needs require \"comparator-i;ascii-numeric\"")
		}
		m.cmp = cmp
	}
	var mpos pos
	if tv, ok := as.tags["match"]; ok {
		mpos = tv.pos
		switch tv.name {
		case "is":
			m.mt = mtIs
		case "contains":
			m.mt = mtContains
		case "matches":
			m.mt = mtMatches
		case "regex":
			m.mt = mtRegex
		case "count", "value":
			m.mt = mtValue
			if tv.name == "count" {
				m.mt = mtCount
			}
			rel, err := c.constStr(tv.arg, ":"+tv.name)
			if err != nil {
				return m, err
			}
			r, ok := relationByName(rel)
			if !ok {
				return m, errAt(tv.arg.pos, "unknown relational operator %q (RFC 5231 §5)", rel)
			}
			m.rel = r
		}
	}
	// RFC 4790 §9.1: i;ascii-numeric offers no substring operation.
	if m.cmp == cmpNumeric && (m.mt == mtContains || m.mt == mtMatches || m.mt == mtRegex) {
		return m, errAt(mpos, "comparator i;ascii-numeric cannot be used with this match type")
	}
	var err error
	if m.keys, err = c.strs(keys); err != nil {
		return m, err
	}
	switch m.mt {
	case mtMatches:
		m.globs = make([][]globItem, len(m.keys))
		for i, k := range m.keys {
			if k.constant() {
				m.globs[i] = compileGlob(k.lit)
			}
		}
	case mtRegex:
		m.res = make([]*regexp.Regexp, len(m.keys))
		for i, k := range m.keys {
			if k.constant() {
				re, err := compileRegex(k.lit, m.cmp, c.lim.MaxRegexBytes)
				if err != nil {
					return m, errAt(keys.strs[i].pos, "%v", err)
				}
				m.res[i] = re
			}
		}
	}
	return m, nil
}

func addressPart(as argSet) addrPart {
	tv, ok := as.tags["addrpart"]
	if !ok {
		return partAll
	}
	switch tv.name {
	case "localpart":
		return partLocal
	case "domain":
		return partDomain
	case "user":
		return partUser
	case "detail":
		return partDetail
	}
	return partAll
}

func (c *checker) needExt(n *rawNode, ext string) error {
	if !c.requires[ext] {
		return errAt(n.pos, "%s needs require %q", n.name, ext)
	}
	return nil
}

// test checks one test (RFC 5228 §5 and the extensions' tests).
func (c *checker) test(n *rawNode) (test, error) {
	switch n.name {
	case "true", "false":
		if len(n.args) > 0 || len(n.tests) > 0 {
			return nil, errAt(n.pos, "%s takes no arguments", n.name)
		}
		if n.name == "true" {
			return testTrue{}, nil
		}
		return testFalse{}, nil
	case "not":
		if len(n.args) > 0 || len(n.tests) != 1 || n.testList {
			return nil, errAt(n.pos, "not takes exactly one test")
		}
		t, err := c.test(n.tests[0])
		return testNot{t}, err
	case "allof", "anyof":
		if len(n.args) > 0 || !n.testList {
			return nil, errAt(n.pos, "%s takes a test list", n.name)
		}
		ts := make([]test, 0, len(n.tests))
		for _, tn := range n.tests {
			t, err := c.test(tn)
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
		}
		if n.name == "allof" {
			return testAllOf{ts}, nil
		}
		return testAnyOf{ts}, nil
	}
	if err := noTests(n); err != nil {
		return nil, err
	}
	switch n.name {
	case "exists":
		as, err := c.collect(n, nil)
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings); err != nil {
			return nil, err
		}
		names, err := c.headerNames(as.pos[0])
		return testExists{names}, err
	case "size":
		as, err := c.collect(n, []tagDef{{"over", "rel", valNone, ""}, {"under", "rel", valNone, ""}})
		if err != nil {
			return nil, err
		}
		tv, ok := as.tags["rel"]
		if !ok {
			return nil, errAt(n.pos, "size needs :over or :under")
		}
		if err := positional(n, as, valNumber); err != nil {
			return nil, err
		}
		return testSize{over: tv.name == "over", n: as.pos[0].num}, nil
	case "header":
		as, err := c.collect(n, join(comparatorTag, matchTags))
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings, valStrings); err != nil {
			return nil, err
		}
		names, err := c.headerNames(as.pos[0])
		if err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[1])
		return &testHeader{names, m}, err
	case "address", "envelope":
		if n.name == "envelope" {
			if err := c.needExt(n, "envelope"); err != nil {
				return nil, err
			}
		}
		as, err := c.collect(n, join(comparatorTag, matchTags, addressPartTags))
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings, valStrings); err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[1])
		if err != nil {
			return nil, err
		}
		if n.name == "address" {
			names, err := c.headerNames(as.pos[0])
			return &testAddress{names, addressPart(as), m}, err
		}
		parts, err := c.strs(as.pos[0])
		if err != nil {
			return nil, err
		}
		for i, p := range parts {
			if p.constant() {
				// RFC 5228 §5.4: "from" and "to"; others are not supported here.
				switch lowerASCII(p.lit) {
				case "from", "to":
					parts[i].lit = lowerASCII(p.lit)
				default:
					return nil, errAt(as.pos[0].strs[i].pos, "unsupported envelope part %q", p.lit)
				}
			}
		}
		return &testEnvelope{parts, addressPart(as), m}, nil
	case "string":
		if err := c.needExt(n, "variables"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, join(comparatorTag, matchTags))
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings, valStrings); err != nil {
			return nil, err
		}
		src, err := c.strs(as.pos[0])
		if err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[1])
		return &testString{src, m}, err
	case "hasflag":
		if err := c.needExt(n, "imap4flags"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, join(comparatorTag, matchTags))
		if err != nil {
			return nil, err
		}
		var vars strList
		switch len(as.pos) {
		case 1:
			err = positional(n, as, valStrings)
		default:
			if err = positional(n, as, valStrings, valStrings); err == nil {
				if !c.varsExt {
					return nil, errAt(as.pos[0].pos, "hasflag with a variable list needs require \"variables\"")
				}
				vars, err = c.varNames(as.pos[0])
			}
		}
		if err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[len(as.pos)-1])
		return &testHasFlag{vars, m}, err
	case "body":
		return c.bodyTest(n)
	case "date", "currentdate":
		return c.dateTest(n)
	}
	return nil, errAt(n.pos, "unknown test %q", n.name)
}

// headerNames checks header field names (RFC 5322 §3.6.8 ftext) and lowercases
// constant ones for lookup.
func (c *checker) headerNames(a rawArg) (strList, error) {
	names, err := c.strs(a)
	if err != nil {
		return nil, err
	}
	for i, s := range names {
		if !s.constant() {
			continue
		}
		if !validHeaderName(s.lit) {
			return nil, errAt(a.strs[i].pos, "invalid header field name %q", s.lit)
		}
		names[i].lit = lowerASCII(s.lit)
	}
	return names, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 127 || s[i] == ':' {
			return false
		}
	}
	return true
}

// varNames checks a list of variable names (constant, RFC 5229 §3).
func (c *checker) varNames(a rawArg) (strList, error) {
	out := make(strList, 0, len(a.strs))
	for _, s := range a.strs {
		v, err := c.str(s)
		if err != nil {
			return nil, err
		}
		if !v.constant() || !validVariableName(v.lit) {
			return nil, errAt(s.pos, "invalid variable name %q", s.s)
		}
		v.lit = strings.ToLower(v.lit)
		if err := c.declare(v.lit, s.pos); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (c *checker) declare(name string, p pos) error {
	if !c.vars[name] {
		if len(c.vars) >= c.lim.MaxVariables {
			return errAt(p, "more than %d variables", c.lim.MaxVariables)
		}
		c.vars[name] = true
	}
	return nil
}

// command checks an action or other non-control command.
func (c *checker) command(n *rawNode) (command, error) {
	if err := noTests(n); err != nil {
		return nil, err
	}
	line := n.pos.line
	switch n.name {
	case "stop", "discard":
		if len(n.args) > 0 {
			return nil, errAt(n.args[0].pos, "%s takes no arguments", n.name)
		}
		if n.name == "stop" {
			return cmdStop{}, nil
		}
		return cmdDiscard{line}, nil
	case "keep":
		as, err := c.collect(n, []tagDef{{"flags", "flags", valStrings, "imap4flags"}})
		if err != nil {
			return nil, err
		}
		if err := positional(n, as); err != nil {
			return nil, err
		}
		k := cmdKeep{line: line}
		k.flags, err = c.flagsTag(as)
		return k, err
	case "fileinto":
		if err := c.needExt(n, "fileinto"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, []tagDef{
			{"copy", "copy", valNone, "copy"},
			{"create", "create", valNone, "mailbox"},
			{"flags", "flags", valStrings, "imap4flags"},
		})
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valString); err != nil {
			return nil, err
		}
		f := cmdFileInto{line: line}
		_, f.copy = as.tags["copy"]
		_, f.create = as.tags["create"]
		if f.mailbox, err = c.str(as.pos[0].strs[0]); err != nil {
			return nil, err
		}
		if f.mailbox.constant() && f.mailbox.lit == "" {
			return nil, errAt(as.pos[0].pos, "fileinto needs a mailbox name")
		}
		f.flags, err = c.flagsTag(as)
		return f, err
	case "redirect":
		as, err := c.collect(n, []tagDef{{"copy", "copy", valNone, "copy"}})
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valString); err != nil {
			return nil, err
		}
		r := cmdRedirect{line: line}
		_, r.copy = as.tags["copy"]
		if r.addr, err = c.str(as.pos[0].strs[0]); err != nil {
			return nil, err
		}
		if r.addr.constant() {
			a, ok := redirectAddress(r.addr.lit)
			if !ok {
				return nil, errAt(as.pos[0].pos, "invalid redirect address %q (RFC 5228 §4.2)", r.addr.lit)
			}
			r.addr.lit = a
		}
		return r, nil
	case "reject", "ereject":
		if err := c.needExt(n, n.name); err != nil {
			return nil, err
		}
		as, err := c.collect(n, nil)
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valString); err != nil {
			return nil, err
		}
		r := cmdReject{line: line, extended: n.name == "ereject"}
		r.reason, err = c.str(as.pos[0].strs[0])
		return r, err
	case "vacation":
		return c.vacation(n)
	case "set":
		return c.set(n)
	case "setflag", "addflag", "removeflag":
		if err := c.needExt(n, "imap4flags"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, nil)
		if err != nil {
			return nil, err
		}
		f := cmdFlags{line: line}
		switch n.name {
		case "addflag":
			f.op = flagAdd
		case "removeflag":
			f.op = flagRemove
		}
		if len(as.pos) == 2 {
			if err := positional(n, as, valString, valStrings); err != nil {
				return nil, err
			}
			if !c.varsExt {
				return nil, errAt(as.pos[0].pos, "%s with a variable name needs require \"variables\"", n.name)
			}
			names, err := c.varNames(as.pos[0])
			if err != nil {
				return nil, err
			}
			f.name = &names[0]
		} else if err := positional(n, as, valStrings); err != nil {
			return nil, err
		}
		f.flags, err = c.strs(as.pos[len(as.pos)-1])
		return f, err
	}
	return nil, errAt(n.pos, "unknown command %q", n.name)
}

func (c *checker) flagsTag(as argSet) (*strList, error) {
	tv, ok := as.tags["flags"]
	if !ok {
		return nil, nil
	}
	l, err := c.strs(tv.arg)
	return &l, err
}
