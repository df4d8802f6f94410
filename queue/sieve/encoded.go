package sieve

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeEncodedCharacters decodes "${hex:...}" and "${unicode:...}"
// (RFC 5228 §2.4.2.4). Sequences that are not well formed stay as they are;
// a Unicode value outside 0-D7FF and E000-10FFFF is an error.
func decodeEncodedCharacters(s string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			b.WriteString(s[i:])
			break
		}
		body := s[i+2 : i+end]
		colon := strings.IndexByte(body, ':')
		if colon < 0 {
			b.WriteString("${")
			i += 2
			continue
		}
		kind := strings.ToLower(body[:colon])
		if kind != "hex" && kind != "unicode" {
			b.WriteString("${")
			i += 2
			continue
		}
		out, ok, err := decodeSeq(kind, body[colon+1:])
		if err != nil {
			return "", err
		}
		if !ok {
			b.WriteString("${")
			i += 2
			continue
		}
		b.WriteString(out)
		i += end + 1
	}
	return b.String(), nil
}

func decodeSeq(kind, seq string) (string, bool, error) {
	fields := strings.FieldsFunc(seq, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' })
	var b strings.Builder
	for _, f := range fields {
		if kind == "hex" && len(f) > 2 {
			return "", false, nil
		}
		if len(f) > 8 && kind == "unicode" {
			f = strings.TrimLeft(f, "0")
			if len(f) > 8 {
				return "", false, errors.New("invalid unicode character in ${unicode:...} (RFC 5228 §2.4.2.4)")
			}
		}
		v, err := strconv.ParseUint(f, 16, 64)
		if err != nil {
			return "", false, nil
		}
		if kind == "hex" {
			b.WriteByte(byte(v))
			continue
		}
		if v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) {
			return "", false, errors.New("invalid unicode character in ${unicode:...} (RFC 5228 §2.4.2.4)")
		}
		b.WriteRune(rune(v))
	}
	_ = utf8.RuneError
	return b.String(), true, nil
}
