package sieve

import "strings"

// vacation (RFC 5230, RFC 6131 :seconds).

const (
	defaultVacationSeconds = 7 * 86400 // RFC 5230 §4.1: default 7 days
	minVacationSeconds     = 86400     // RFC 5230 §4.1 lets sites set a minimum; Pigeonhole's is 1 day
)

func (c *checker) vacation(n *rawNode) (command, error) {
	if err := c.needExt(n, "vacation"); err != nil {
		return nil, err
	}
	as, err := c.collect(n, []tagDef{
		{"days", "period", valNumber, ""},
		{"seconds", "period", valNumber, "vacation-seconds"},
		{"subject", "subject", valString, ""},
		{"from", "from", valString, ""},
		{"addresses", "addresses", valStrings, ""},
		{"mime", "mime", valNone, ""},
		{"handle", "handle", valString, ""},
	})
	if err != nil {
		return nil, err
	}
	if err := positional(n, as, valString); err != nil {
		return nil, err
	}
	v := cmdVacation{line: n.pos.line, seconds: defaultVacationSeconds}
	if tv, ok := as.tags["period"]; ok {
		v.seconds = tv.arg.num
		if tv.name == "days" {
			v.seconds *= 86400
		}
		if v.seconds < minVacationSeconds {
			v.seconds = minVacationSeconds
		}
	}
	if v.reason, err = c.str(as.pos[0].strs[0]); err != nil {
		return nil, err
	}
	opt := func(group string) (*str, string, error) {
		tv, ok := as.tags[group]
		if !ok {
			return nil, "", nil
		}
		s, err := c.str(tv.arg.strs[0])
		return &s, tv.arg.strs[0].s, err
	}
	var rawSubject, rawFrom string
	if v.subject, rawSubject, err = opt("subject"); err != nil {
		return nil, err
	}
	if v.from, rawFrom, err = opt("from"); err != nil {
		return nil, err
	}
	if v.from != nil && v.from.constant() {
		// RFC 5230 §4.4: :from must be a valid address
		if l := parseAddressList(v.from.lit); len(l) != 1 || !l[0].valid {
			return nil, errAt(as.tags["from"].arg.pos, "invalid :from address %q (RFC 5230 §4.4)", v.from.lit)
		}
	}
	if v.handle, _, err = opt("handle"); err != nil {
		return nil, err
	}
	if tv, ok := as.tags["addresses"]; ok {
		if v.addresses, err = c.strs(tv.arg); err != nil {
			return nil, err
		}
	}
	_, v.mime = as.tags["mime"]
	// The default handle, as Pigeonhole builds it (RFC 5230 §4.2 leaves the
	// choice to the implementation): reason, subject, from and the :mime
	// flag, from the script text before variable expansion.
	var h strings.Builder
	h.WriteString(as.pos[0].strs[0].s)
	if v.subject != nil {
		h.WriteString(rawSubject)
	} else {
		h.WriteString("<default-subject>")
	}
	if v.from != nil {
		h.WriteString(rawFrom)
	} else {
		h.WriteString("<default-from>")
	}
	if v.mime {
		h.WriteString("<MIME>")
	} else {
		h.WriteString("<NO-MIME>")
	}
	v.defHandle = h.String()
	return v, nil
}

func (r *run) doVacation(c cmdVacation) error {
	if r.vacation {
		return r.fail("vacation given twice")
	}
	if err := r.checkRejectConflict("vacation"); err != nil {
		return err
	}
	if err := r.count(); err != nil {
		return err
	}
	r.vacation = true
	v := Vacation{Reason: r.expand(c.reason), Mime: c.mime, Seconds: c.seconds, Handle: c.defHandle}
	if c.subject != nil {
		v.Subject = r.expand(*c.subject)
	}
	if c.from != nil {
		v.From = r.expand(*c.from)
	}
	if c.handle != nil {
		v.Handle = r.expand(*c.handle)
	}
	v.Addresses = r.expandList(c.addresses)
	r.actions = append(r.actions, v)
	return nil
}

// IsAutoReplyExempt reports whether RFC 5230 §4.5 / RFC 3834 §2 forbid an
// automatic reply to msg based on its header alone: Auto-Submitted other
// than "no", list headers (List-Id, List-Unsubscribe, List-Post, ...),
// Precedence bulk/list/junk. Checks needing delivery context (null sender,
// own addresses, :days memory) are the caller's.
func IsAutoReplyExempt(msg []byte) bool {
	m := message{raw: msg}
	for _, i := range m.lookup("auto-submitted") {
		v := strings.ToLower(m.value(i))
		if j := strings.IndexByte(v, ';'); j >= 0 {
			v = v[:j]
		}
		if strings.TrimSpace(v) != "no" {
			return true
		}
	}
	for _, h := range []string{"list-id", "list-unsubscribe", "list-post", "list-help",
		"list-subscribe", "list-owner", "list-archive", "x-list-id"} {
		if len(m.lookup(h)) > 0 {
			return true
		}
	}
	for _, i := range m.lookup("precedence") {
		switch strings.ToLower(m.value(i)) {
		case "bulk", "list", "junk":
			return true
		}
	}
	return false
}
