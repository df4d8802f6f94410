package imapd

// searchFix rewrites the search keys of a SEARCH or UID SEARCH command
// on its way through the input guard, for go-imap v2.0.0-beta.8's
// parser: readSearchKeyWithAtom merges a date key (SINCE, BEFORE, ON,
// SENT*) and LARGER/SMALLER into the criteria with SearchCriteria.And,
// and And sets Smaller to the other side's Smaller whenever that is
// smaller, 0 (no bound) included. So `SMALLER 30000 SINCE 1-Jan-2026`
// and `SMALLER 100 LARGER 10` reach imapd without their SMALLER. And
// keeps the Not lists whole (it appends them), and NOT parses its key
// into criteria of its own, so the guard sends
//
//	SMALLER n  as  NOT NOT SMALLER n  (n > 0: the same messages, RFC 9051 §6.4.4.1)
//	SMALLER 0  as  NOT ALL            (no message is smaller than 0 octets,
//	                                   and Smaller 0 means "no bound" to go-imap)
//
// where SMALLER is a search key, never inside a quoted string, a literal
// or the argument of another key (SUBJECT SMALLER 5 is left alone). The
// other keys survive And: dates intersect, Larger keeps the larger bound,
// the lists append.
//
// The guard sees the plaintext of every connection (143, 993, and 143
// after STARTTLS, which the server takes over: starttls.go). The
// workaround can go when And keeps a Smaller
// of 0 on the other side out of the minimum (upstream: `if other.Smaller
// != 0 && (criteria.Smaller == 0 || other.Smaller < criteria.Smaller)`).
//
// The guard hands the command over in segments, each ending at a line end
// or a literal's announcement (whose octets pass unread and count as one
// string), so the state below carries from one segment to the next; a
// command so long that the guard hands it over mid-token (over
// guardMaxHeld, which the library refuses anyway) is left as it is from
// there on.
type searchFix struct {
	off      bool
	argsLeft int // arguments still due to the last key (or CHARSET, RETURN)
	argDepth int // parentheses open inside an argument (RETURN's options)
}

// searchKeyArgs is how many arguments a search key takes (RFC 9051 §6.4.4,
// RFC 3501 §6.4.4); NOT and OR take keys, which are read as keys.
var searchKeyArgs = map[string]int{
	"BCC": 1, "CC": 1, "FROM": 1, "SUBJECT": 1, "TO": 1, "BODY": 1, "TEXT": 1,
	"KEYWORD": 1, "UNKEYWORD": 1, "UID": 1, "LARGER": 1, "SMALLER": 1,
	"SINCE": 1, "BEFORE": 1, "ON": 1, "SENTSINCE": 1, "SENTBEFORE": 1, "SENTON": 1,
	"HEADER": 2, "CHARSET": 1, "RETURN": 1, "MODSEQ": 1,
}

// rewrite returns seg with its SMALLER keys rewritten (seg itself when
// nothing changes).
func (f *searchFix) rewrite(seg []byte) []byte {
	if f.off {
		return seg
	}
	var out []byte // nil while nothing has changed
	copied := 0
	for i := 0; i < len(seg); {
		ch := seg[i]
		switch {
		case ch == ' ' || ch == '\r' || ch == '\n':
			i++
		case ch == '"':
			i = skipQuoted(seg, i)
			f.token()
		case ch == '{' || ch == '~' && i+1 < len(seg) && seg[i+1] == '{':
			// A literal's announcement ends the segment; its octets are
			// the string.
			i = len(seg)
			f.token()
		case ch == '(':
			if f.argsLeft > 0 {
				f.argDepth++
			}
			i++
		case ch == ')':
			if f.argDepth > 0 {
				if f.argDepth--; f.argDepth == 0 {
					f.token()
				}
			}
			i++
		default:
			end := i
			for end < len(seg) && !endsAtom(seg[end]) {
				end++
			}
			atom := seg[i:end]
			isKey := f.argsLeft == 0
			f.token()
			if isKey {
				key := upperASCII(string(atom))
				if key == "SMALLER" {
					repl, next := smallerReplacement(seg, end)
					if repl != nil {
						out = append(append(out, seg[copied:i]...), repl...)
						copied = next
						if next > end {
							end = next // the number went too: SMALLER 0
						} else {
							f.argsLeft = 1
						}
						i = end
						continue
					}
				}
				f.argsLeft = searchKeyArgs[key]
			}
			i = end
		}
	}
	if out == nil {
		return seg
	}
	return append(out, seg[copied:]...)
}

// token counts one finished token: an argument of the last key, unless
// it is inside an argument's parentheses.
func (f *searchFix) token() {
	if f.argDepth == 0 && f.argsLeft > 0 {
		f.argsLeft--
	}
}

// smallerReplacement is what replaces the key SMALLER whose atom ends at
// end, and where the replaced text ends: the number too for SMALLER 0.
func smallerReplacement(seg []byte, end int) (repl []byte, next int) {
	j := end
	if j < len(seg) && seg[j] == ' ' {
		j++
	}
	k := j
	for k < len(seg) && seg[k] == '0' {
		k++
	}
	numEnd := k
	for numEnd < len(seg) && seg[numEnd] >= '0' && seg[numEnd] <= '9' {
		numEnd++
	}
	if k > j && numEnd == k && (numEnd == len(seg) || endsAtom(seg[numEnd])) {
		return []byte("NOT ALL"), numEnd
	}
	return []byte("NOT NOT SMALLER"), end
}

// endsAtom: an octet that ends an atom in a search key (RFC 9051 §9,
// atom-specials that can follow one).
func endsAtom(c byte) bool {
	switch c {
	case ' ', '\r', '\n', '(', ')', '"', '{':
		return true
	}
	return false
}

// skipQuoted returns the index after the quoted string that begins at i
// (the guard has already refused one with a line end in it).
func skipQuoted(seg []byte, i int) int {
	for j := i + 1; j < len(seg); j++ {
		switch seg[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(seg)
}
