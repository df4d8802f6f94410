package compose

import (
	"strings"
	"unicode/utf8"
)

// flowedWidth is where flowed lines are broken (RFC 3676 §4.2: SHOULD be
// no more than 78 characters; shorter reads better when quoted).
const flowedWidth = 72

// normalizeText makes every line break CRLF and ends the text with one.
func normalizeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(s, "\n", "\r\n") + "\r\n"
}

// flow encodes text (CRLF lines) as format=flowed, DelSp=No (RFC 3676
// §4.2): trailing spaces of a line are trimmed (a space before the line
// break is what marks a soft break), long lines are broken after a space,
// lines starting with a space or "From " are space-stuffed (§4.4), the
// signature separator "-- " is kept (§4.3). Quoted lines (starting with
// '>') are left as they are: fixed lines at their quote depth.
func flow(text string) string {
	var b strings.Builder
	if text == "" {
		return ""
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if line == "-- " {
			b.WriteString("-- \r\n")
			continue
		}
		line = strings.TrimRight(line, " ")
		if strings.HasPrefix(line, ">") {
			b.WriteString(line + "\r\n")
			continue
		}
		for {
			cut := breakAt(line, flowedWidth)
			part := line[:cut]
			line = line[cut:]
			if strings.HasPrefix(part, " ") || strings.HasPrefix(part, "From ") {
				part = " " + part
			}
			b.WriteString(part + "\r\n")
			if line == "" {
				break
			}
		}
	}
	return b.String()
}

// breakAt returns where to cut line so the first part is at most width
// runes and ends with a space (a soft break); len(line) when it fits or
// has no space to break at.
func breakAt(line string, width int) int {
	if utf8.RuneCountInString(line) <= width {
		return len(line)
	}
	last, n := -1, 0
	for i, r := range line {
		if n >= width && last > 0 {
			break
		}
		if r == ' ' && i > 0 {
			last = i + 1
		}
		n++
	}
	if last <= 0 || last >= len(line) {
		return len(line)
	}
	return last
}

// unflow decodes format=flowed text, DelSp=No (RFC 3676 §4.1, §4.2): a
// line ending in a space continues on the next one, stuffing is removed.
// Quoted lines are kept as they are (as flow writes them).
func unflow(text string) string {
	var b strings.Builder
	joining := false
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(line, ">") {
			if joining {
				b.WriteString("\n")
				joining = false
			}
			b.WriteString(line + "\n")
			continue
		}
		line = strings.TrimPrefix(line, " ")
		b.WriteString(line)
		if strings.HasSuffix(line, " ") && line != "-- " {
			joining = true
			continue
		}
		joining = false
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
