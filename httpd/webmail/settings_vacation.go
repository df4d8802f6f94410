package webmail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailserver/mailserver/queue/sieve"
)

// vacationScriptName is the Sieve script the vacation form writes (S4).
const vacationScriptName = "vacation"

// Vacation form limits.
const (
	maxVacationSubject  = 200
	maxVacationText     = 8 << 10
	maxVacationDays     = 365
	defaultVacationDays = 7 // RFC 5230 §4.1 suggests 7
)

// vacationSettings is what the form sets; the script keeps them in a
// comment so that the form shows them again.
type vacationSettings struct {
	Enabled bool   `json:"enabled"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
	Days    int    `json:"days"`
	Start   string `json:"start,omitempty"` // YYYY-MM-DD, "" for no bound
	End     string `json:"end,omitempty"`
	// Replaced is the script that was active before the vacation script
	// replaced it; turning the vacation off activates it again.
	Replaced string `json:"replaced,omitempty"`
}

// vacationMetaPrefix starts the comment line holding the settings.
const vacationMetaPrefix = "# webmail-vacation "

// check validates the settings (the text is required only when on).
func (v *vacationSettings) check() error {
	v.Subject = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v.Subject))
	v.Text = strings.ReplaceAll(strings.ReplaceAll(v.Text, "\r\n", "\n"), "\r", "\n")
	switch {
	case !utf8.ValidString(v.Subject) || !utf8.ValidString(v.Text):
		return errors.New("the text is not valid UTF-8")
	case utf8.RuneCountInString(v.Subject) > maxVacationSubject:
		return fmt.Errorf("the subject may have at most %d characters", maxVacationSubject)
	case len(v.Text) > maxVacationText:
		return fmt.Errorf("the message may have at most %d bytes", maxVacationText)
	case v.Enabled && strings.TrimSpace(v.Text) == "":
		return errors.New("write the message to send")
	case v.Days < 1 || v.Days > maxVacationDays:
		return fmt.Errorf("reply at most once every 1 to %d days", maxVacationDays)
	}
	var start, end time.Time
	var err error
	if v.Start != "" {
		if start, err = time.Parse(time.DateOnly, v.Start); err != nil {
			return errors.New("the first day is not a date (YYYY-MM-DD)")
		}
	}
	if v.End != "" {
		if end, err = time.Parse(time.DateOnly, v.End); err != nil {
			return errors.New("the last day is not a date (YYYY-MM-DD)")
		}
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return errors.New("the last day is before the first")
	}
	return nil
}

// vacationScript is the Sieve script for v (RFC 5230 vacation; the
// period with RFC 5260 currentdate, compared as ISO dates with
// RFC 5231 relational "ge"/"le"). addresses are the user's other
// identities (:addresses, §4.5: mail to them gets the reply too). The
// script is checked with sieve.Parse before it is returned.
func vacationScript(v *vacationSettings, addresses []string) ([]byte, error) {
	meta, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	dated := v.Start != "" || v.End != ""
	if dated {
		b.WriteString(`require ["vacation", "date", "relational"];` + "\r\n")
	} else {
		b.WriteString(`require ["vacation"];` + "\r\n")
	}
	b.WriteString("# Written by the webmail's vacation form; changes made here are\r\n# replaced when the form is saved.\r\n")
	b.WriteString(vacationMetaPrefix + string(meta) + "\r\n")
	action := "vacation :days " + strconv.Itoa(v.Days)
	if v.Subject != "" {
		action += " :subject " + sieveString(v.Subject)
	}
	if len(addresses) > 0 {
		quoted := make([]string, len(addresses))
		for i, a := range addresses {
			quoted[i] = sieveString(a)
		}
		action += " :addresses [" + strings.Join(quoted, ", ") + "]"
	}
	action += " " + sieveString(strings.ReplaceAll(strings.TrimRight(v.Text, "\n")+"\n", "\n", "\r\n")) + ";\r\n"
	if dated {
		var tests []string
		if v.Start != "" {
			tests = append(tests, `currentdate :value "ge" "date" `+sieveString(v.Start))
		}
		if v.End != "" {
			tests = append(tests, `currentdate :value "le" "date" `+sieveString(v.End))
		}
		b.WriteString("if allof(" + strings.Join(tests, ", ") + ") {\r\n  " + action + "}\r\n")
	} else {
		b.WriteString(action)
	}
	if _, err := sieve.Parse(b.Bytes(), sieve.Limits{}); err != nil {
		return nil, fmt.Errorf("vacation script: %w", err)
	}
	return b.Bytes(), nil
}

// sieveString is s as a Sieve quoted string (RFC 5228 §2.4.2: backslash
// escapes only backslash and double quote; line breaks may stand in it).
func sieveString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// parseVacationMeta reads the settings back from a script the form
// wrote; ok is false for any other script.
func parseVacationMeta(script []byte) (v vacationSettings, ok bool) {
	for _, line := range strings.Split(string(script), "\n") {
		line = strings.TrimRight(line, "\r")
		if rest, found := strings.CutPrefix(line, vacationMetaPrefix); found {
			if json.Unmarshal([]byte(rest), &v) == nil {
				return v, true
			}
			return vacationSettings{}, false
		}
	}
	return vacationSettings{}, false
}
