package sieve

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// date and currentdate (RFC 5260 §4, §5).

var dateParts = map[string]bool{"year": true, "month": true, "day": true, "date": true,
	"julian": true, "hour": true, "minute": true, "second": true, "time": true,
	"iso8601": true, "std11": true, "zone": true, "weekday": true}

func (c *checker) dateTest(n *rawNode) (test, error) {
	if err := c.needExt(n, "date"); err != nil {
		return nil, err
	}
	tags := join(comparatorTag, matchTags, []tagDef{{"zone", "zone", valString, ""}})
	if n.name == "date" {
		tags = append(tags, tagDef{"originalzone", "zone", valNone, ""})
	}
	as, err := c.collect(n, tags)
	if err != nil {
		return nil, err
	}
	t := &testDate{current: n.name == "currentdate"}
	if t.current {
		err = positional(n, as, valString, valStrings)
	} else {
		err = positional(n, as, valString, valString, valStrings)
	}
	if err != nil {
		return nil, err
	}
	if tv, ok := as.tags["zone"]; ok {
		if tv.name == "originalzone" {
			t.originalZone = true
		} else {
			z, err := c.str(tv.arg.strs[0])
			if err != nil {
				return nil, err
			}
			if z.constant() {
				if _, ok := parseZone(z.lit); !ok {
					return nil, errAt(tv.arg.pos, "invalid time zone %q (RFC 5260 §4.1: +hhmm or -hhmm)", z.lit)
				}
			}
			t.zone = &z
		}
	}
	i := 0
	if !t.current {
		if t.header, err = c.str(as.pos[0].strs[0]); err != nil {
			return nil, err
		}
		if t.header.constant() {
			if !validHeaderName(t.header.lit) {
				return nil, errAt(as.pos[0].pos, "invalid header field name %q", t.header.lit)
			}
			t.header.lit = lowerASCII(t.header.lit)
		}
		i = 1
	}
	if t.part, err = c.str(as.pos[i].strs[0]); err != nil {
		return nil, err
	}
	if t.part.constant() {
		t.part.lit = lowerASCII(t.part.lit)
		if !dateParts[t.part.lit] {
			return nil, errAt(as.pos[i].pos, "unknown date part %q (RFC 5260 §4.2)", t.part.lit)
		}
	}
	t.m, err = c.matcher(as, as.pos[i+1])
	return t, err
}

// parseZone parses "+hhmm" / "-hhmm" (RFC 5260 §4.1).
func parseZone(z string) (*time.Location, bool) {
	if len(z) != 5 || (z[0] != '+' && z[0] != '-') {
		return nil, false
	}
	for i := 1; i < 5; i++ {
		if !isDigit(z[i]) {
			return nil, false
		}
	}
	h := int(z[1]-'0')*10 + int(z[2]-'0')
	m := int(z[3]-'0')*10 + int(z[4]-'0')
	if m > 59 {
		return nil, false
	}
	off := (h*60 + m) * 60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone(z, off), true
}

func (r *run) date(t *testDate) (bool, error) {
	var dates []time.Time
	if t.current {
		dates = []time.Time{r.now}
	} else {
		for _, i := range r.msg.lookup(r.headerName(t.header)) {
			v := r.msg.value(i)
			if r.headerName(t.header) == "received" {
				// RFC 5260 §4: the date of a Received field follows its last ";"
				if j := strings.LastIndexByte(v, ';'); j >= 0 {
					v = v[j+1:]
				}
			}
			d, err := mail.ParseDate(strings.TrimSpace(v))
			if err != nil {
				continue // not a date: nothing to compare (RFC 5260 §4)
			}
			dates = append(dates, d)
		}
	}
	var loc *time.Location
	switch {
	case t.zone != nil:
		z := r.expand(*t.zone)
		l, ok := parseZone(z)
		if !ok {
			return false, r.fail("invalid time zone %q", z)
		}
		loc = l
	case t.originalZone:
	default:
		loc = r.now.Location() // RFC 5260 §4.1: the local time zone
	}
	part := r.expand(t.part)
	if !t.part.constant() {
		part = lowerASCII(part)
		if !dateParts[part] {
			return false, r.fail("unknown date part %q", part)
		}
	}
	vals := make([]string, 0, len(dates))
	for _, d := range dates {
		if loc != nil {
			d = d.In(loc)
		}
		vals = append(vals, datePart(d, part))
	}
	return r.matchValues(&t.m, vals)
}

// datePart formats one date part (RFC 5260 §4.2).
func datePart(d time.Time, part string) string {
	switch part {
	case "year":
		return fmt.Sprintf("%04d", d.Year())
	case "month":
		return fmt.Sprintf("%02d", int(d.Month()))
	case "day":
		return fmt.Sprintf("%02d", d.Day())
	case "date":
		return d.Format("2006-01-02")
	case "julian": // Modified Julian Day: days since 1858-11-17
		y, m, dd := d.Date()
		day := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
		epoch := time.Date(1858, 11, 17, 0, 0, 0, 0, time.UTC)
		return itoa(int(day.Sub(epoch).Hours() / 24))
	case "hour":
		return fmt.Sprintf("%02d", d.Hour())
	case "minute":
		return fmt.Sprintf("%02d", d.Minute())
	case "second":
		return fmt.Sprintf("%02d", d.Second())
	case "time":
		return d.Format("15:04:05")
	case "iso8601":
		return d.Format("2006-01-02T15:04:05-07:00")
	case "std11":
		return d.Format("Mon, 02 Jan 2006 15:04:05 -0700")
	case "zone":
		return d.Format("-0700")
	case "weekday":
		return itoa(int(d.Weekday()))
	}
	return ""
}
