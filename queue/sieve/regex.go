package sieve

import (
	"fmt"
	"regexp"
	"regexp/syntax"
)

// :regex (draft-ietf-sieve-regex-01 §3). The draft asks for POSIX extended
// regular expressions; Go's regexp (RE2 syntax) covers them except
// backreferences, which RE2 cannot run in linear time and which are
// therefore refused. Patterns are bounded by Limits.MaxRegexBytes, matched
// input by maxRegexInput per value, and one run's total work by
// maxRegexCost (pattern bytes × input bytes).

func compileRegex(pat string, cmp comparator, maxBytes int) (*regexp.Regexp, error) {
	if len(pat) > maxBytes {
		return nil, fmt.Errorf("regular expression longer than %d bytes", maxBytes)
	}
	for i := 0; i+1 < len(pat); i++ {
		if pat[i] == '\\' {
			if pat[i+1] >= '1' && pat[i+1] <= '9' {
				return nil, fmt.Errorf("backreferences (\\%c) are not supported in regular expressions", pat[i+1])
			}
			i++
		}
	}
	flags := syntax.Perl
	if cmp == cmpCasemap {
		flags |= syntax.FoldCase
	}
	if _, err := syntax.Parse(pat, flags); err != nil {
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	p := pat
	if cmp == cmpCasemap {
		p = "(?i)" + pat
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression: %v", err)
	}
	re.Longest() // POSIX leftmost-longest, as the draft's POSIX EREs
	return re, nil
}
