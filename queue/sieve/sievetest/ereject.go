package sievetest

import (
	"bytes"
	"strings"
)

// rewriteEreject returns script with the capability string "ereject" in
// require commands and, once it was required, the command identifier ereject
// written as reject, for a Pigeonhole built without ereject (see the package
// documentation). An ereject that was never required stays, so that both
// implementations refuse it. It
// follows RFC 5228 §8.1's lexical rules far enough to leave comments,
// quoted strings outside require, and text: blocks alone; it is linear in
// the script.
func rewriteEreject(script []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(script))
	inRequire := false
	required := false // "ereject" was in a require: only then is the command rewritten
	prevColon := false
	for i := 0; i < len(script); {
		c := script[i]
		switch {
		case c == '#':
			j := bytes.IndexByte(script[i:], '\n')
			if j < 0 {
				j = len(script) - i
			} else {
				j++
			}
			out.Write(script[i : i+j])
			i += j
		case c == '/' && i+1 < len(script) && script[i+1] == '*':
			j := bytes.Index(script[i+2:], []byte("*/"))
			end := len(script)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			out.Write(script[i:end])
			i = end
		case c == '"':
			j := i + 1
			for j < len(script) && script[j] != '"' {
				if script[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(script))
			lit := script[i:end]
			if inRequire && strings.EqualFold(string(lit), `"ereject"`) {
				out.WriteString(`"reject"`)
				required = true
			} else {
				out.Write(lit)
			}
			i = end
		case isIdentStart(c):
			j := i
			for j < len(script) && isIdentChar(script[j]) {
				j++
			}
			word := string(script[i:j])
			switch {
			case prevColon:
				out.WriteString(word)
			case strings.EqualFold(word, "text") && j < len(script) && script[j] == ':':
				// RFC 5228 §8.1 multi-line: "text:" to end of line, then up to a
				// line holding a single ".".
				end := multilineEnd(script, j+1)
				out.Write(script[i:end])
				j = end
			case strings.EqualFold(word, "ereject") && required:
				out.WriteString("reject")
			default:
				if strings.EqualFold(word, "require") {
					inRequire = true
				}
				out.WriteString(word)
			}
			i = j
		default:
			if c == ';' {
				inRequire = false
			}
			out.WriteByte(c)
			i++
		}
		prevColon = c == ':'
	}
	return out.Bytes()
}

// multilineEnd returns the offset just after the terminating ".CRLF" line
// of a multi-line literal whose "text:" ends at from.
func multilineEnd(s []byte, from int) int {
	nl := bytes.IndexByte(s[from:], '\n')
	if nl < 0 {
		return len(s)
	}
	pos := from + nl + 1
	for pos < len(s) {
		nl := bytes.IndexByte(s[pos:], '\n')
		line := s[pos:]
		next := len(s)
		if nl >= 0 {
			line = s[pos : pos+nl]
			next = pos + nl + 1
		}
		if string(bytes.TrimSuffix(line, []byte("\r"))) == "." {
			return next
		}
		pos = next
	}
	return len(s)
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }
