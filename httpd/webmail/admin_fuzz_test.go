package webmail

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAdminFormFields: the admin forms' parsers (quota fields, alias
// targets, password rules) take any input without panicking, give
// results inside their bounds, and accept no password that breaks the
// rules they state.
func FuzzAdminFormFields(f *testing.F) {
	for _, s := range []string{"", "0", "12", "-1", "1e3", "99999999999999999999", " 7 ", "alice@example.test, bob@x.test\nc@d",
		"correct horse battery", "aaaaaaaa", "\xff\xfe", "Password123", strings.Repeat("é", 600)} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		q, msg := parseQuota(a, b)
		if msg == "" && (q.MaxBytes < 0 || q.MaxBytes > maxQuotaField*megabyte || q.MaxMessages < 0 || q.MaxMessages > maxQuotaField) {
			t.Fatalf("parseQuota(%q, %q) = %+v, out of bounds", a, b, q)
		}
		if msg != "" && q.MaxBytes|q.MaxMessages != 0 {
			t.Fatalf("parseQuota(%q, %q) refused but returned %+v", a, b, q)
		}
		for _, tg := range splitTargets(a) {
			if tg == "" || strings.ContainsAny(tg, ", ;\t\r\n") {
				t.Fatalf("splitTargets(%q) gave %q", a, tg)
			}
		}
		if checkNewPassword(a, a, "alice@example.test") == "" {
			lower := strings.ToLower(a)
			if utf8.RuneCountInString(a) < minPasswordLength || len(a) > maxPasswordLen || !utf8.ValidString(a) ||
				strings.TrimSpace(a) != a || lower == "alice" || lower == "alice@example.test" {
				t.Fatalf("checkNewPassword accepted %q", a)
			}
		}
		if a != b && checkNewPassword(a, b, "alice@example.test") == "" {
			t.Fatalf("checkNewPassword accepted %q repeated as %q", a, b)
		}
	})
}
