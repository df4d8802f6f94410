package smtpd

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
)

// rewriter turns the command lines that go-smtp v0.25.1 answers wrongly
// into lines that it answers right (commandFilter applies it). Each case
// names what go-smtp does; what would let it go is a go-smtp that does it
// itself (or a hook for commands).
type rewriter struct {
	// saslInvalid is what an invalid base64 SASL response is replaced
	// by: random octets, base64-encoded, which saslGuard recognises.
	saslInvalid    []byte
	saslInvalidB64 string
	maxLine        int
}

// postmasterDomain stands in for the missing domain of RCPT TO:<Postmaster>
// on its way through go-smtp (RFC 2606: .invalid never names a real
// domain); session.Rcpt turns it back into the bare postmaster.
const postmasterDomain = "postmaster.smtpd.invalid"

// invalidParam makes go-smtp's parseArgs fail (a parameter with two '='),
// which go-smtp answers "501 5.5.4 Unable to parse ... ESMTP parameters".
const invalidParam = " INVALID=PARAMETER="

func newRewriter(maxLine int) *rewriter {
	rw := &rewriter{saslInvalid: make([]byte, 18), maxLine: maxLine}
	rand.Read(rw.saslInvalid)
	rw.saslInvalidB64 = base64.StdEncoding.EncodeToString(rw.saslInvalid)
	return rw
}

// command rewrites one command line (with its line ending) if need be,
// and returns the octets of the BDAT chunk that follows it, if any.
func (rw *rewriter) command(line []byte) ([]byte, int64) {
	// The way go-smtp's parseCmd splits a line.
	s := string(bytes.TrimRight(line, "\r\n"))
	if up := strings.ToUpper(s); strings.HasPrefix(up, "STARTTLS") {
		// go-smtp takes any line beginning with STARTTLS (its test, to
		// the letter) for STARTTLS and ignores the rest; RFC 3207 §4:
		// "501 Syntax error (no parameters allowed)". A line go-smtp
		// cannot split gets its "501 5.5.2 Bad command".
		if strings.TrimSpace(up) != "STARTTLS" {
			return []byte("XSTARTTLS\r\n"), 0
		}
		return line, 0
	}
	if len(s) < 5 || s[4] != ' ' {
		return line, 0
	}
	arg := strings.TrimSpace(s[5:])
	var out string
	switch strings.ToUpper(s[:4]) {
	case "MAIL":
		out = rw.mail(arg)
	case "RCPT":
		out = rw.rcpt(arg)
	case "AUTH":
		out = rw.auth(arg)
	case "BDAT":
		return line, bdatChunk(arg)
	}
	if out == "" || len(out)+2 > rw.maxLine {
		return line, 0
	}
	return []byte(out + "\r\n"), 0
}

// bdatChunk is the size of the chunk that follows a BDAT command with
// these arguments: go-smtp's handleBdat reads the chunk whenever it can
// parse the arguments (even when it refuses the command), and not
// otherwise.
func bdatChunk(arg string) int64 {
	args := strings.Fields(arg)
	if len(args) == 0 || len(args) > 2 || len(args) == 2 && !strings.EqualFold(args[1], "LAST") {
		return 0
	}
	n, err := strconv.ParseUint(args[0], 10, 32)
	if err != nil {
		return 0
	}
	return int64(n)
}

// mail checks MAIL FROM's parameters; "" means no change.
func (rw *rewriter) mail(arg string) string {
	rest, ok := cutPrefixFold(arg, "FROM:")
	if !ok {
		return ""
	}
	path, params := splitPath(strings.TrimSpace(rest))
	if checkParams(params) == "" {
		return ""
	}
	return "MAIL FROM:" + path + invalidParam
}

// rcpt rewrites RCPT TO:<Postmaster> and checks the parameters.
func (rw *rewriter) rcpt(arg string) string {
	rest, ok := cutPrefixFold(arg, "TO:")
	if !ok {
		return ""
	}
	path, params := splitPath(strings.TrimSpace(rest))
	newPath := path
	// RFC 5321 §4.1.1.3, §4.5.1: "<Postmaster>" without a domain (case
	// does not matter) MUST be accepted. go-smtp's parsePath requires an
	// '@' and answers 501 before Session.Rcpt is called.
	if lp := strings.TrimSuffix(strings.TrimPrefix(path, "<"), ">"); strings.EqualFold(lp, "postmaster") &&
		(path == lp || len(path) == len(lp)+2) {
		newPath = "<" + lp + "@" + postmasterDomain + ">"
	}
	if checkParams(params) != "" {
		return "RCPT TO:" + newPath + invalidParam
	}
	if newPath == path {
		return ""
	}
	return "RCPT TO:" + newPath + params
}

// auth replaces an initial response that is not base64 (go-smtp answers
// it "454 4.7.0 Invalid base64 data", a temporary failure; RFC 4954 §4
// says 501) by one that saslGuard answers 501 5.5.2.
func (rw *rewriter) auth(arg string) string {
	parts := strings.Fields(arg)
	if len(parts) < 2 || validSASL(parts[1]) {
		return ""
	}
	return "AUTH " + parts[0] + " " + rw.saslInvalidB64
}

// saslResponse does the same for a response to a 334 challenge (go-smtp
// reads it with textproto's ReadLine, which drops one CRLF or LF).
func (rw *rewriter) saslResponse(line []byte) []byte {
	s := bytes.TrimSuffix(line, []byte("\n"))
	s = bytes.TrimSuffix(s, []byte("\r"))
	if string(s) == "*" || validSASL(string(s)) {
		return line
	}
	return []byte(rw.saslInvalidB64 + "\r\n")
}

// validSASL reports whether go-smtp's decodeSASLResponse accepts s.
func validSASL(s string) bool {
	if s == "=" {
		return true
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

// splitPath splits "<path> params" where go-smtp's parsePath would: after
// the closing '>' (or, without brackets, at the first space) outside a
// quoted local part.
func splitPath(s string) (path, params string) {
	bracket := strings.HasPrefix(s, "<")
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case bracket && c == '>':
			return s[:i+1], s[i+1:]
		case !bracket && (c == ' ' || c == '\t'):
			return s[:i], s[i:]
		}
	}
	return s, ""
}

// DSN parameter limits, RFC 3461 §4.4 and §4.2 (on the xtext as sent).
const (
	maxEnvIDLen = 100
	maxORcptLen = 500
)

// checkParams returns the keyword of the first parameter that is
// repeated or too long, or "". go-smtp keeps parameters in a map, so a
// repeated NOTIFY, ORCPT, RET or ENVID silently replaced the first
// (RFC 3461 §4: each at most once; RFC 5321 §4.1.2 esmtp-param); it does
// not bound ENVID or ORCPT.
func checkParams(params string) string {
	var seen []string
	for _, p := range strings.Fields(params) {
		k, v, _ := strings.Cut(p, "=")
		k = strings.ToUpper(k)
		for _, s := range seen {
			if s == k {
				return k
			}
		}
		seen = append(seen, k)
		if k == "ENVID" && len(v) > maxEnvIDLen || k == "ORCPT" && len(v) > maxORcptLen {
			return k
		}
	}
	return ""
}

// cutPrefixFold is strings.CutPrefix ignoring case (as go-smtp's).
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// saslGuard wraps a SASL mechanism: it answers the stand-in for invalid
// base64 with 501 5.5.2, and tells the command filter when the client's
// next line is a response to a challenge.
type saslGuard struct {
	next    func(response []byte) ([]byte, bool, error)
	invalid []byte
	filter  *commandFilter
}

// errBadBase64 is RFC 4954 §4's reply to a response that is not base64.
var errBadBase64 = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Invalid base64 data"}

func (g *saslGuard) Next(response []byte) ([]byte, bool, error) {
	if bytes.Equal(response, g.invalid) {
		return nil, false, errBadBase64
	}
	challenge, done, err := g.next(response)
	if err == nil && !done {
		g.filter.expectSASLResponse()
	}
	return challenge, done, err
}
