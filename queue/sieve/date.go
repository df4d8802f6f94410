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
	if tv, ok := as.tag("zone"); ok {
		if tv.name == "originalzone" {
			t.originalZone = true
		} else {
			z, err := c.str(tv.arg.strs[0])
			if err != nil {
				return nil, err
			}
			// A zone that is not +hhmm/-hhmm is ignored at run time, as Pigeonhole
			// does (RFC 5260 §4.1 defines only that form).
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
		// an unknown date part yields no value (the test is false), as Pigeonhole
		t.part.lit = lowerASCII(t.part.lit)
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
	m := int(z[3]-'0')*10 + int(z[4]-'0') // "+0160" is +02:00, as Pigeonhole
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
		for i := r.msg.first(r.headerName(t.header)); i >= 0; i = r.msg.fields[i].next {
			v := r.msg.value(i)
			if r.headerName(t.header) == "received" {
				// RFC 5260 §4: the date of a Received field follows its last ";"
				if j := strings.LastIndexByte(v, ';'); j >= 0 {
					v = v[j+1:]
				}
			}
			d, ok := parseDate(v)
			if !ok {
				continue // not a date: nothing to compare (RFC 5260 §4)
			}
			dates = append(dates, d)
		}
	}
	var loc *time.Location
	switch {
	case t.originalZone:
	default:
		loc = r.now.Location() // RFC 5260 §4.1: the local time zone
		if t.zone != nil {
			if l, ok := parseZone(r.expand(*t.zone)); ok {
				loc = l
			}
		}
	}
	part := r.expand(t.part)
	if !t.part.constant() {
		part = lowerASCII(part)
	}
	if !dateParts[part] {
		return r.matchValues(&t.m, nil)
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

// obsoleteZones are RFC 5322 §4.3's zone names; military letters are
// "-0000" (unknown) there, so they map to UTC.
var obsoleteZones = map[string]int{"UT": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6, "PST": -8, "PDT": -7}

// parseDate parses an RFC 5322 §3.3 date-time, with the obsolete forms.
func parseDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	d, err := mail.ParseDate(v)
	if err != nil && strings.Contains(v, ":60") {
		// RFC 5322 §3.3 allows second 60 (a leap second); time cannot hold
		// it, so it is read as 59, as Pigeonhole does
		d, err = mail.ParseDate(strings.Replace(v, ":60", ":59", 1))
	}
	if err != nil {
		return time.Time{}, false
	}
	if name, off := d.Zone(); off == 0 && name != "" && name != "UTC" {
		if h, ok := obsoleteZones[strings.ToUpper(name)]; ok && h != 0 {
			y, mo, dd := d.Date()
			d = time.Date(y, mo, dd, d.Hour(), d.Minute(), d.Second(), 0, time.FixedZone("", h*3600))
		}
	}
	return d, true
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
	case "iso8601": // RFC 5260 §4.2 (RFC 3339 form; UTC written "Z" as Pigeonhole)
		return d.Format("2006-01-02T15:04:05Z07:00")
	case "std11":
		return d.Format("Mon, 02 Jan 2006 15:04:05 -0700")
	case "zone":
		return d.Format("-0700")
	case "weekday":
		return itoa(int(d.Weekday()))
	}
	return ""
}
