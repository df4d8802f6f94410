package sievetest

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Translate turns one sieve-test run (exit status, stdout, stderr, the -d
// program dump) into S2 lines; from is the envelope sender given to
// sieve-test (the vacation reply's recipient). It is exported so that its
// tests can feed captured samples.
func Translate(status int, stdout, stderr, dump []byte, from string) ([]string, error) {
	switch {
	case status == exitCompileFailed && bytes.Contains(stderr, []byte("failed to compile sieve script")):
		return []string{"invalid"}, nil
	case status == 1 && bytes.Contains(stderr, []byte("final result: failed; resolved with successful implicit keep")):
		return []string{"error", "implicit keep"}, nil
	case status != 0:
		return nil, fmt.Errorf("sieve-test exited with status %d", status)
	}
	return parseResult(string(stdout), dump, from)
}

// parseResult reads the "Performed actions:" and "Implicit keep:" sections.
func parseResult(out string, dump []byte, from string) ([]string, error) {
	out = strings.ReplaceAll(out, "\r\n", "\n")
	perf := strings.Index(out, "\nPerformed actions:\n")
	keep := strings.LastIndex(out, "\nImplicit keep:\n")
	if perf < 0 || keep < 0 || keep < perf {
		return nil, fmt.Errorf("no \"Performed actions:\" / \"Implicit keep:\" sections in sieve-test output")
	}
	actions, err := parseActions(out[perf+len("\nPerformed actions:\n"):keep], dump, from)
	if err != nil {
		return nil, fmt.Errorf("performed actions: %w", err)
	}
	implicit, err := parseImplicit(out[keep+len("\nImplicit keep:\n"):])
	if err != nil {
		return nil, fmt.Errorf("implicit keep: %w", err)
	}
	return append(actions, implicit), nil
}

const (
	storePrefix    = " * store message in folder: "
	flagsPrefix    = "        + add IMAP flags: "
	createLine     = "        + create mailbox if it does not exist"
	copyLine       = "        + preserve implicit keep"
	redirectPrefix = " * redirect message to: "
	rejectPrefix   = " * reject message with reason: "
	rejectDiscard  = " * reject message without sending a response (discard)"
	discardLine    = " * discard"
	vacationLine   = " * send vacation message:"
	noneLine       = "  (none)"
)

func parseActions(sec string, dump []byte, from string) ([]string, error) {
	lines := strings.Split(sec, "\n")
	var res []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case l == "":
		case l == noneLine:
			if len(res) != 0 {
				return nil, fmt.Errorf("%q after actions", l)
			}
		case strings.HasPrefix(l, storePrefix):
			name := l[len(storePrefix):]
			if truncated(name) {
				return nil, fmt.Errorf("mailbox name cut by sieve-test: %q", name)
			}
			res = append(res, "store "+name)
		case strings.HasPrefix(l, flagsPrefix):
			if len(res) == 0 || !strings.HasPrefix(res[len(res)-1], "store ") {
				return nil, fmt.Errorf("%q not under a store action", l)
			}
			res[len(res)-1] += flagsSuffix(l[len(flagsPrefix):])
		case l == createLine || l == copyLine:
			if len(res) == 0 {
				return nil, fmt.Errorf("%q not under an action", l)
			}
		case strings.HasPrefix(l, redirectPrefix):
			addr := l[len(redirectPrefix):]
			addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
			res = append(res, "redirect "+addr)
		case strings.HasPrefix(l, rejectPrefix):
			reason := l[len(rejectPrefix):]
			if truncated(reason) {
				return nil, fmt.Errorf("reject reason cut by sieve-test: %q", reason)
			}
			res = append(res, "reject "+unsanitize(reason))
		case l == rejectDiscard || l == discardLine:
			res = append(res, "discard")
		case l == vacationLine:
			v, next, err := parseVacation(lines, i+1, dump, from)
			if err != nil {
				return nil, err
			}
			res = append(res, v)
			i = next - 1
		default:
			return nil, fmt.Errorf("unknown line %q", l)
		}
	}
	return res, nil
}

// parseVacation reads the block after " * send vacation message:" starting
// at lines[i]; it returns the S2 line and the index after END MESSAGE.
func parseVacation(lines []string, i int, dump []byte, from string) (string, int, error) {
	var seconds, subject, vfrom, handle string
	haveHandle := false
	vfrom = "-"
	for ; i < len(lines); i++ {
		l := lines[i]
		field, value, ok := strings.Cut(strings.TrimLeft(l, " "), " : ")
		if !ok || !strings.HasPrefix(l, "    => ") {
			break
		}
		switch strings.TrimSpace(strings.TrimPrefix(field, "=>")) {
		case "seconds":
			seconds = value
		case "subject":
			subject = foldNewlines(value)
		case "from":
			vfrom = value
		case "handle":
			// The handle may contain the reason's line breaks: it runs up to
			// the empty line before START MESSAGE.
			j := i + 1
			for j+1 < len(lines) && !(lines[j] == "" && lines[j+1] == "START MESSAGE") {
				j++
			}
			handle = strings.Join(append([]string{value}, lines[i+1:j]...), "\n")
			haveHandle = true
			i = j - 1
		default:
			return "", 0, fmt.Errorf("unknown vacation field %q", l)
		}
	}
	if seconds == "" || !haveHandle {
		return "", 0, fmt.Errorf("vacation block without seconds or handle")
	}
	for i < len(lines) && lines[i] == "" {
		i++
	}
	if i >= len(lines) || lines[i] != "START MESSAGE" {
		return "", 0, fmt.Errorf("vacation block without START MESSAGE")
	}
	for i < len(lines) && lines[i] != "END MESSAGE" {
		i++
	}
	if i >= len(lines) {
		return "", 0, fmt.Errorf("vacation block without END MESSAGE")
	}
	var mime string
	switch {
	case strings.HasSuffix(handle, "<MIME>"):
		mime = "yes"
	case strings.HasSuffix(handle, "<NO-MIME>"):
		mime = "no"
	default:
		mime = dumpMime(dump)
		if mime == "" {
			return "", 0, fmt.Errorf("cannot tell whether vacation with handle %q has :mime", handle)
		}
	}
	line := fmt.Sprintf("vacation to=%s seconds=%s subject=%s handle=%s mime=%s from=%s",
		from, seconds, subject, foldNewlines(handle), mime, vfrom)
	return line, i + 1, nil
}

// vacationOp matches a VACATION operation in the program dump and the
// operand lines after it.
var vacationOp = regexp.MustCompile(`(?m)^[0-9a-f]{8}: +(?:[0-9]+: )?VACATION\n((?:[0-9a-f]{8}: {9}.*\n)*)`)

// dumpMime returns "yes" or "no" when every VACATION operation of the
// program agrees on the :mime flag, "" otherwise.
func dumpMime(dump []byte) string {
	ms := vacationOp.FindAllSubmatch(dump, -1)
	seen := ""
	for _, m := range ms {
		v := "no"
		for _, op := range strings.Split(string(m[1]), "\n") {
			if strings.TrimSpace(op[min(len(op), 10):]) == "mime" {
				v = "yes"
			}
		}
		if seen != "" && seen != v {
			return ""
		}
		seen = v
	}
	return seen
}

func parseImplicit(sec string) (string, error) {
	var res string
	for _, l := range strings.Split(sec, "\n") {
		switch {
		case l == "":
		case l == noneLine && res == "":
			res = "implicit none"
		case strings.HasPrefix(l, storePrefix) && res == "":
			res = "implicit keep"
		case strings.HasPrefix(l, flagsPrefix) && res == "implicit keep":
			res += flagsSuffix(l[len(flagsPrefix):])
		case strings.HasPrefix(l, "sieve-test("):
			// stderr interleaved by a caller; not expected here.
			return "", fmt.Errorf("unexpected %q", l)
		default:
			return "", fmt.Errorf("unknown line %q", l)
		}
	}
	if res == "" {
		return "", fmt.Errorf("empty section")
	}
	return res, nil
}

// sanitizeMax is the length at which Pigeonhole's str_sanitize cuts a
// printed mailbox name or reject reason, ending it with "...".
const sanitizeMax = 128

// truncated reports whether s may have been cut by str_sanitize: then the
// real value is unknown and the pair cannot be compared.
func truncated(s string) bool {
	return len(s) == sanitizeMax && strings.HasSuffix(s, "...")
}

// flagsSuffix renders a flag list as S2's " flags=a b" (lowercased,
// deduplicated, sorted), or "" when empty.
func flagsSuffix(list string) string {
	var fs []string
	for _, f := range strings.Fields(list) {
		fs = append(fs, strings.ToLower(f))
	}
	slices.Sort(fs)
	fs = slices.Compact(fs)
	if len(fs) == 0 {
		return ""
	}
	return " flags=" + strings.Join(fs, " ")
}

// unsanitize undoes what Pigeonhole's str_sanitize did to CR LF (script
// strings hold CR LF line ends, RFC 5228 §2.4.2): each control character
// became "?", so "??" is written \n as S2 asks. Corpus reject reasons avoid
// literal question marks for this reason.
func unsanitize(s string) string {
	return strings.ReplaceAll(s, "??", `\n`)
}

// foldNewlines writes CR LF, CR and LF as the two characters \n.
func foldNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", `\n`)
}
