package sieve

import (
	"strconv"
	"unicode/utf8"
)

// Comparators (RFC 5228 §2.7.3, RFC 4790 §9) and match types (RFC 5228
// §2.7.1, RFC 5231 relational, draft-ietf-sieve-regex).

type comparator uint8

const (
	cmpCasemap comparator = iota // i;ascii-casemap, the default (RFC 5228 §2.7.3)
	cmpOctet                     // i;octet
	cmpNumeric                   // i;ascii-numeric (RFC 4790 §9.1)
)

func comparatorByName(name string) (comparator, bool) {
	switch name {
	case "i;ascii-casemap":
		return cmpCasemap, true
	case "i;octet":
		return cmpOctet, true
	case "i;ascii-numeric":
		return cmpNumeric, true
	}
	return 0, false
}

type matchType uint8

const (
	mtIs matchType = iota
	mtContains
	mtMatches
	mtRegex
	mtCount // RFC 5231 §4.2
	mtValue // RFC 5231 §4.1
)

// relation is the relational operator of :count / :value (RFC 5231 §5).
type relation uint8

const (
	relGT relation = iota
	relGE
	relLT
	relLE
	relEQ
	relNE
)

func relationByName(s string) (relation, bool) {
	switch lowerASCII(s) {
	case "gt":
		return relGT, true
	case "ge":
		return relGE, true
	case "lt":
		return relLT, true
	case "le":
		return relLE, true
	case "eq":
		return relEQ, true
	case "ne":
		return relNE, true
	}
	return 0, false
}

func (r relation) holds(c int) bool {
	switch r {
	case relGT:
		return c > 0
	case relGE:
		return c >= 0
	case relLT:
		return c < 0
	case relLE:
		return c <= 0
	case relEQ:
		return c == 0
	default:
		return c != 0
	}
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func foldByte(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// equal is the equality operation of the comparator (RFC 4790 §4.2).
func (c comparator) equal(a, b string) bool {
	switch c {
	case cmpOctet:
		return a == b
	case cmpNumeric:
		return compareNumeric(a, b) == 0
	}
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] && foldByte(a[i]) != foldByte(b[i]) {
			return false
		}
	}
	return true
}

// order compares a and b under the comparator (RFC 4790 §4.3): <0, 0, >0.
func (c comparator) order(a, b string) int {
	switch c {
	case cmpNumeric:
		return compareNumeric(a, b)
	case cmpOctet:
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := foldByte(a[i]), foldByte(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// compareNumeric implements i;ascii-numeric (RFC 4790 §9.1.1): the value is
// the leading decimal digits; a string not starting with a digit is positive
// infinity (equal to any other such string).
func compareNumeric(a, b string) int {
	da, db := leadingDigits(a), leadingDigits(b)
	switch {
	case da == "" && db == "":
		return 0
	case da == "":
		return 1
	case db == "":
		return -1
	}
	da, db = trimZeros(da), trimZeros(db)
	if len(da) != len(db) {
		return len(da) - len(db)
	}
	switch {
	case da < db:
		return -1
	case da > db:
		return 1
	}
	return 0
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// contains is the substring operation (RFC 4790 §4.2.2); "" is contained in
// everything (RFC 5228 §2.7.1).
func (c comparator) contains(hay, needle string) bool {
	if c == cmpOctet {
		return indexOctet(hay, needle) >= 0
	}
	return indexFold(hay, needle) >= 0
}

func indexOctet(hay, needle string) int {
	n := len(needle)
	if n == 0 {
		return 0
	}
	for i := 0; i+n <= len(hay); i++ {
		if hay[i] == needle[0] && hay[i:i+n] == needle {
			return i
		}
	}
	return -1
}

func indexFold(hay, needle string) int {
	n := len(needle)
	if n == 0 {
		return 0
	}
	first := foldByte(needle[0])
outer:
	for i := 0; i+n <= len(hay); i++ {
		if foldByte(hay[i]) != first {
			continue
		}
		for j := 1; j < n; j++ {
			if hay[i+j] != needle[j] && foldByte(hay[i+j]) != foldByte(needle[j]) {
				continue outer
			}
		}
		return i
	}
	return -1
}

// globItem is one element of a :matches pattern.
type globItem struct {
	kind byte // 'c' literal byte, '?' one character, '*' any sequence
	c    byte
}

func compileGlob(p string) []globItem {
	items := make([]globItem, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\\': // RFC 5228 §2.7.1: "\" quotes the next character
			if i+1 < len(p) {
				i++
				items = append(items, globItem{'c', p[i]})
			}
		case '*':
			items = append(items, globItem{kind: '*'})
		case '?':
			items = append(items, globItem{kind: '?'})
		default:
			items = append(items, globItem{'c', c})
		}
	}
	return items
}

// globMatch matches s against the pattern. Matching is leftmost-shortest
// for every "*" but the last, which takes the rest (this gives the match
// variables of the RFC 5229 §3.2 example), and needs no backtracking: each
// star-free segment is searched once, left to right, so the cost is
// O(len(s) × len(pattern)). "?" matches one UTF-8 character (RFC 5228
// §2.7.1 says "character"). When caps is not nil, the text matched by each
// wildcard is appended to it.
func (c comparator) globMatch(s string, items []globItem, caps *[]string) bool {
	fold := c != cmpOctet
	// segments between stars
	segStart := 0
	pos := 0
	first := true
	for segStart <= len(items) {
		end := segStart
		for end < len(items) && items[end].kind != '*' {
			end++
		}
		seg := items[segStart:end]
		last := end == len(items)
		switch {
		case first && last: // no star: the whole must match
			e, ok := matchSeg(s, pos, seg, fold, caps)
			return ok && e == len(s)
		case first: // anchored at start
			e, ok := matchSeg(s, pos, seg, fold, caps)
			if !ok {
				return false
			}
			pos = e
		case last: // anchored at end: find the start that makes it end at len(s)
			found := false
			for st := len(s) - minSegLen(seg); st >= pos; st-- {
				if st < 0 {
					break
				}
				if st < len(s) && !utf8.RuneStart(s[st]) {
					continue
				}
				mark := 0
				if caps != nil {
					mark = len(*caps)
				}
				// the star before this segment
				if caps != nil {
					*caps = append(*caps, s[pos:st])
				}
				e, ok := matchSeg(s, st, seg, fold, caps)
				if ok && e == len(s) {
					found = true
					break
				}
				if caps != nil {
					*caps = (*caps)[:mark]
				}
				// with "?" items a segment's byte length varies; keep searching
			}
			return found
		default: // middle: leftmost occurrence
			found := false
			for st := pos; st <= len(s); st++ {
				mark := 0
				if caps != nil {
					mark = len(*caps)
					*caps = append(*caps, s[pos:st])
				}
				e, ok := matchSeg(s, st, seg, fold, caps)
				if ok {
					pos = e
					found = true
					break
				}
				if caps != nil {
					*caps = (*caps)[:mark]
				}
			}
			if !found {
				return false
			}
		}
		first = false
		segStart = end + 1
	}
	return true
}

func minSegLen(seg []globItem) int { return len(seg) }

// matchSeg matches a star-free segment at s[i:], returning its end.
func matchSeg(s string, i int, seg []globItem, fold bool, caps *[]string) (int, bool) {
	for _, it := range seg {
		if it.kind == '?' {
			if i >= len(s) {
				return 0, false
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			if caps != nil {
				*caps = append(*caps, s[i:i+n])
			}
			i += n
			continue
		}
		if i >= len(s) {
			return 0, false
		}
		if s[i] != it.c && (!fold || foldByte(s[i]) != foldByte(it.c)) {
			return 0, false
		}
		i++
	}
	return i, true
}

func itoa(n int) string { return strconv.Itoa(n) }
