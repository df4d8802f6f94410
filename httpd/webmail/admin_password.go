package webmail

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The passwords an administrator sets (new users, resets). The login
// throttle slows guessing over the network, but the password is also
// the only secret of IMAP, POP3 and SMTP submission: refuse the ones a
// guesser tries first.

// minPasswordLength is the shortest password the admin pages accept, in
// characters (NIST SP 800-63B §5.1.1.2 asks for at least 8).
const minPasswordLength = 8

// commonPasswords are a few of the most used passwords of at least
// minPasswordLength characters (from published breach lists); anything
// with fewer than minDistinctChars distinct characters is refused too.
var commonPasswords = []string{
	"password", "password1", "password123", "12345678", "123456789", "1234567890",
	"qwertyui", "qwertyuiop", "iloveyou", "sunshine", "princess", "football",
	"baseball", "welcome1", "abcd1234", "admin123", "letmein1", "trustno1",
	"passw0rd", "changeme", "11111111", "00000000", "87654321", "asdfghjk",
}

const minDistinctChars = 4

// checkNewPassword returns what is wrong with password as the new
// password of address (repeat is the second entry of the form), or "".
func checkNewPassword(password, repeat, address string) string {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(strings.ToLower(address), "@")
	distinct := map[rune]bool{}
	for _, c := range lower {
		distinct[c] = true
	}
	switch {
	case password == "":
		return "Enter a password."
	case !utf8.ValidString(password):
		return "The password is not valid text (UTF-8)."
	case password != repeat:
		return "The two passwords do not match: type the same password twice."
	case n < minPasswordLength:
		return fmt.Sprintf("The password is too short: use at least %d characters (a few words make a good one).", minPasswordLength)
	case len(password) > maxPasswordLen:
		return "The password is too long: at most 1024 bytes (a longer one could not log in to the webmail)."
	case strings.TrimSpace(password) != password:
		return "The password must not begin or end with a space (clients often drop them)."
	case lower == strings.ToLower(address) || lower == local:
		return "The password must not be the address."
	case len(distinct) < minDistinctChars:
		return "The password is too weak: use more different characters."
	}
	for _, c := range commonPasswords {
		if lower == c {
			return "The password is too weak: it is one of the most used passwords."
		}
	}
	return ""
}
