package sieve

import "regexp"

// The checked tree. Every node here has passed check.go: names, argument
// types and counts, tags and required extensions are known to be right,
// so the evaluator does not check them again.

// str is a string argument: a constant, or a template with variable
// references when "variables" is required (RFC 5229 §3).
type str struct {
	lit   string
	parts []strPart // nil: the constant lit
}

type strPart struct {
	lit   string
	name  string // variable name, lowercased (RFC 5229 §3: case-insensitive)
	num   int    // match variable index when name == ""
	isVar bool
}

func (s str) constant() bool { return s.parts == nil }

type strList []str

type matcher struct {
	mt    matchType
	rel   relation
	cmp   comparator
	keys  strList
	globs [][]globItem     // precompiled constant keys for :matches
	res   []*regexp.Regexp // precompiled constant keys for :regex
	vars  bool             // "variables" required: successful :matches/:regex set ${0}..${9}
}

type addrPart uint8

const (
	partAll addrPart = iota
	partLocal
	partDomain
	partUser   // RFC 5233 :user
	partDetail // RFC 5233 :detail
)

type test interface{}

type (
	testTrue   struct{}
	testFalse  struct{}
	testNot    struct{ t test }
	testAllOf  struct{ ts []test }
	testAnyOf  struct{ ts []test }
	testExists struct{ names strList }
	testSize   struct {
		over bool
		n    int64
	}
	testHeader struct {
		names strList
		m     matcher
	}
	testAddress struct {
		names strList
		part  addrPart
		m     matcher
	}
	testEnvelope struct {
		parts strList
		part  addrPart
		m     matcher
	}
	testString struct {
		sources strList
		m       matcher
	}
	testHasFlag struct {
		vars strList // nil: the internal variable
		m    matcher
	}
	testBody struct {
		transform bodyTransform
		types     strList
		m         matcher
	}
	testDate struct {
		current      bool
		header       str
		zone         *str
		originalZone bool
		part         str
		m            matcher
	}
)

type bodyTransform uint8

const (
	bodyText bodyTransform = iota
	bodyRaw
	bodyContent
)

type command interface{}

type (
	cmdIf struct {
		conds  []test
		blocks [][]command // blocks[i] runs when conds[i] holds; a final extra block is else
	}
	cmdStop    struct{}
	cmdDiscard struct{ line int }
	cmdKeep    struct {
		line  int
		flags *strList
	}
	cmdFileInto struct {
		line         int
		mailbox      str
		flags        *strList
		copy, create bool
	}
	cmdRedirect struct {
		line int
		addr str
		copy bool
	}
	cmdReject struct {
		line     int
		reason   str
		extended bool
	}
	cmdVacation struct {
		line      int
		reason    str
		subject   *str
		from      *str
		addresses strList
		mime      bool
		handle    *str
		seconds   int64
		defHandle string // Pigeonhole's default handle (from the unexpanded strings)
	}
	cmdSet struct {
		line  int
		name  string
		value str
		mods  []setModifier // in order of application (RFC 5229 §4.1)
	}
	cmdFlags struct {
		line  int
		op    flagOp
		name  *str // variable name; nil: the internal variable
		flags strList
	}
)

type flagOp uint8

const (
	flagSet flagOp = iota
	flagAdd
	flagRemove
)
