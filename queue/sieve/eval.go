package sieve

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
)

// The evaluator: runs the checked tree against an Input (RFC 5228 §2.10
// for actions, §5 for tests). It does no I/O; the message is read lazily.

var errStop = errors.New("stop")

type run struct {
	ctx       context.Context
	in        *Input
	lim       Limits
	msg       message
	now       time.Time
	vars      map[string]string
	matchVars []string
	flags     []string // the imap4flags internal variable (RFC 5232 §3)

	actions      []Action
	nActions     int
	nRedirects   int
	implicitKeep bool
	stores       map[string]int // mailbox → index in actions (RFC 5228 §2.10.3)
	redirects    map[string]bool
	discarded    bool
	rejected     bool
	vacation     bool

	regexCost int
	reCache   map[string]*regexp.Regexp
	caps      []string
	vals      []string
	line      int
}

func newRun(ctx context.Context, s *Script, in *Input) *run {
	r := &run{ctx: ctx, in: in, lim: s.lim, implicitKeep: true, now: in.Now}
	r.msg.raw = in.Message
	if r.now.IsZero() {
		r.now = time.Now()
	}
	if len(in.Flags) > 0 {
		r.flags = addFlags(nil, in.Flags)
	}
	return r
}

func (r *run) fail(format string, args ...any) error {
	return &RuntimeError{Line: r.line, Msg: fmt.Sprintf(format, args...)}
}

func (r *run) execBlock(cmds []command) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	for _, c := range cmds {
		if err := r.exec(c); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) exec(c command) error {
	switch c := c.(type) {
	case *cmdIf:
		for i, t := range c.conds {
			ok, err := r.test(t)
			if err != nil {
				return err
			}
			if ok {
				return r.execBlock(c.blocks[i])
			}
		}
		if len(c.blocks) > len(c.conds) {
			return r.execBlock(c.blocks[len(c.conds)])
		}
		return nil
	case cmdStop:
		return errStop
	case cmdKeep:
		r.line = c.line
		flags := r.actionFlags(c.flags)
		return r.store("INBOX", flags, false, false, true)
	case cmdFileInto:
		r.line = c.line
		// An empty name is passed on (as Pigeonhole does): the deliverer treats
		// a mailbox it cannot use as missing and falls back to INBOX.
		mbox := r.expand(c.mailbox)
		if !utf8.ValidString(mbox) {
			return r.fail("mailbox name is not valid UTF-8")
		}
		return r.store(mbox, r.actionFlags(c.flags), c.copy, c.create, false)
	case cmdRedirect:
		r.line = c.line
		return r.redirect(c)
	case cmdDiscard:
		r.line = c.line
		r.implicitKeep = false // RFC 5228 §4.4
		if !r.discarded {
			r.discarded = true
			r.actions = append(r.actions, Discard{})
		}
		return nil
	case cmdReject:
		r.line = c.line
		return r.reject(c)
	case cmdVacation:
		r.line = c.line
		return r.doVacation(c)
	case cmdSet:
		v := r.expand(c.value)
		for _, m := range c.mods {
			v = m.apply(v)
		}
		r.setVar(c.name, v)
		return nil
	case cmdFlags:
		r.line = c.line
		r.doFlags(c)
		return nil
	}
	return fmt.Errorf("sieve: unknown command %T", c)
}

// count enforces the action limit (Limits.MaxActions).
func (r *run) count() error {
	r.nActions++
	if r.nActions > r.lim.MaxActions {
		return r.fail("more than %d actions", r.lim.MaxActions)
	}
	return nil
}

// conflictsWithReject is RFC 5429 §2.1/§2.2: reject and ereject cannot be
// combined with actions that deliver or reply.
func (r *run) checkRejectConflict(what string) error {
	if r.rejected {
		return r.fail("%s cannot be combined with reject (RFC 5429 §2.1)", what)
	}
	return nil
}

// store performs keep or fileinto. Storing twice into one mailbox stores
// once (RFC 5228 §2.10.3); the flags of the later action win, as Pigeonhole.
func (r *run) store(mbox string, flags []string, cp, create, isKeep bool) error {
	if err := r.checkRejectConflict("keep/fileinto"); err != nil {
		return err
	}
	if !cp {
		// RFC 5228 §2.10.2, RFC 3894 §3: without :copy the implicit keep is
		// cancelled, also by a duplicate that §2.10.3 performs only once.
		r.implicitKeep = false
	}
	key := mbox
	if equalFoldASCII(mbox, "INBOX") {
		key = "INBOX" // RFC 3501 §5.1: INBOX is case-insensitive
	}
	if i, dup := r.stores[key]; dup {
		switch a := r.actions[i].(type) {
		case Keep:
			a.Flags = flags
			r.actions[i] = a
		case FileInto:
			if isKeep { // keep after fileinto "inbox": the keep it is
				r.actions[i] = Keep{Flags: flags}
				return nil
			}
			a.Flags = flags
			a.Create = a.Create || create
			a.Copy = a.Copy && cp
			r.actions[i] = a
		}
		return nil
	}
	if err := r.count(); err != nil {
		return err
	}
	if r.stores == nil {
		r.stores = map[string]int{}
	}
	r.stores[key] = len(r.actions)
	if isKeep {
		r.actions = append(r.actions, Keep{Flags: flags})
	} else {
		r.actions = append(r.actions, FileInto{Mailbox: mbox, Flags: flags, Copy: cp, Create: create})
	}
	return nil
}

func equalFoldASCII(a, b string) bool { return cmpCasemap.equal(a, b) }

func (r *run) redirect(c cmdRedirect) error {
	if err := r.checkRejectConflict("redirect"); err != nil {
		return err
	}
	addr := r.expand(c.addr)
	if !c.addr.constant() {
		a, ok := redirectAddress(addr)
		if !ok {
			return r.fail("invalid redirect address %q (RFC 5228 §4.2)", addr)
		}
		addr = a
	}
	if !c.copy {
		r.implicitKeep = false // RFC 5228 §2.10.2, RFC 3894 §3, duplicates included
	}
	key := addr           // local part as written, domain lowercased by redirectAddress
	if r.redirects[key] { // RFC 5228 §2.10.3: once per address
		return nil
	}
	r.nRedirects++
	if r.nRedirects > r.lim.MaxRedirects {
		return r.fail("more than %d redirects (RFC 5228 §10)", r.lim.MaxRedirects)
	}
	if err := r.count(); err != nil {
		return err
	}
	if r.redirects == nil {
		r.redirects = map[string]bool{}
	}
	r.redirects[key] = true
	r.actions = append(r.actions, Redirect{Address: addr, Copy: c.copy})
	return nil
}

func (r *run) reject(c cmdReject) error {
	if r.rejected {
		return r.fail("reject given twice")
	}
	for _, a := range r.actions {
		switch a.(type) {
		case Keep, FileInto, Redirect, Vacation:
			return r.fail("reject cannot be combined with keep, fileinto, redirect or vacation (RFC 5429 §2.1)")
		}
	}
	if err := r.count(); err != nil {
		return err
	}
	r.rejected = true
	r.implicitKeep = false
	r.actions = append(r.actions, Reject{Reason: r.expand(c.reason), Extended: c.extended})
	return nil
}

func (r *run) finish() *Result {
	res := &Result{Actions: r.actions, ImplicitKeep: r.implicitKeep, envelopeFrom: r.in.EnvelopeFrom}
	if r.implicitKeep {
		res.KeepFlags = append([]string(nil), r.flags...)
	}
	return res
}

// test evaluates a test (RFC 5228 §5).
func (r *run) test(t test) (bool, error) {
	switch t := t.(type) {
	case testTrue:
		return true, nil
	case testFalse:
		return false, nil
	case testNot:
		ok, err := r.test(t.t)
		return !ok, err
	case testAllOf: // RFC 5228 §5.2: short-circuit
		for _, s := range t.ts {
			if ok, err := r.test(s); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case testAnyOf:
		for _, s := range t.ts {
			if ok, err := r.test(s); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case testExists: // RFC 5228 §5.5: all must exist
		for _, n := range t.names {
			if !r.msg.has(r.headerName(n)) {
				return false, nil
			}
		}
		return true, nil
	case testSize: // RFC 5228 §5.9
		if t.over {
			return int64(len(r.in.Message)) > t.n, nil
		}
		return int64(len(r.in.Message)) < t.n, nil
	case *testHeader:
		vals := r.vals[:0]
		for _, n := range t.names {
			for i := r.msg.first(r.headerName(n)); i >= 0; i = r.msg.fields[i].next {
				vals = append(vals, r.msg.value(i))
			}
		}
		r.vals = vals
		return r.matchValues(&t.m, vals)
	case *testAddress:
		vals := r.vals[:0]
		for _, n := range t.names {
			for i := r.msg.first(r.headerName(n)); i >= 0; i = r.msg.fields[i].next {
				for _, a := range r.msg.addresses(i) {
					// RFC 5231 §4.2: :count counts addresses, with or without the part
					if v, ok := a.part(t.part); ok || t.m.mt == mtCount {
						vals = append(vals, v)
					}
				}
			}
		}
		r.vals = vals
		return r.matchValues(&t.m, vals)
	case *testEnvelope:
		return r.envelope(t)
	case *testString: // RFC 5229 §5
		vals := r.vals[:0]
		for _, s := range t.sources {
			v := r.expand(s)
			if t.m.mt == mtCount && v == "" {
				continue // RFC 5229 §5: :count counts non-empty strings
			}
			vals = append(vals, v)
		}
		r.vals = vals
		return r.matchValues(&t.m, vals)
	case *testHasFlag:
		return r.hasFlag(t)
	case *testBody:
		return r.body(t)
	case *testDate:
		return r.date(t)
	}
	return false, fmt.Errorf("sieve: unknown test %T", t)
}

func (r *run) headerName(n str) string {
	if n.constant() {
		return n.lit
	}
	return lowerASCII(r.expand(n))
}

func (r *run) envelope(t *testEnvelope) (bool, error) {
	vals := r.vals[:0]
	for _, p := range t.parts {
		var a string
		switch lowerASCII(r.expand(p)) {
		case "from":
			a = r.in.EnvelopeFrom
		case "to":
			a = r.in.EnvelopeTo
		default:
			continue
		}
		a = trimAngle(a)
		var ad address
		if a == "" {
			// RFC 5228 §5.4: the null reverse-path is the empty string
			ad = address{valid: true}
		} else {
			ad = makeAddress(stripRoute(a))
		}
		if v, ok := ad.part(t.part); ok || t.m.mt == mtCount {
			vals = append(vals, v)
		}
	}
	r.vals = vals
	return r.matchValues(&t.m, vals)
}

func trimAngle(a string) string {
	if len(a) >= 2 && a[0] == '<' && a[len(a)-1] == '>' {
		return a[1 : len(a)-1]
	}
	return a
}

// matchValues applies a matcher to the values of a test: true when any
// value matches any key (RFC 5228 §2.7.1), or for :count when the number
// of values satisfies the relation with any key (RFC 5231 §4.2).
func (r *run) matchValues(m *matcher, vals []string) (bool, error) {
	if m.mt == mtCount {
		n := itoa(len(vals))
		for _, k := range m.keys {
			if m.rel.holds(m.cmp.order(n, r.expand(k))) {
				return true, nil
			}
		}
		return false, nil
	}
	for _, v := range vals {
		for ki, k := range m.keys {
			ok, err := r.matchKey(m, ki, k, v)
			if err != nil || ok {
				return ok, err
			}
		}
	}
	return false, nil
}

func (r *run) matchKey(m *matcher, ki int, k str, v string) (bool, error) {
	switch m.mt {
	case mtIs:
		return m.cmp.equal(v, r.expand(k)), nil
	case mtContains:
		return m.cmp.contains(v, r.expand(k)), nil
	case mtValue:
		return m.rel.holds(m.cmp.order(v, r.expand(k))), nil
	case mtMatches:
		g := m.globs[ki]
		if g == nil {
			g = compileGlob(r.expand(k))
		}
		if !m.vars {
			return m.cmp.globMatch(v, g, nil), nil
		}
		r.caps = r.caps[:0]
		if !m.cmp.globMatch(v, g, &r.caps) {
			return false, nil
		}
		r.setMatchVars(v, r.caps)
		return true, nil
	case mtRegex:
		re := m.res[ki]
		if re == nil {
			pat := r.expand(k)
			re = r.reCache[pat]
			if re == nil {
				var err error
				if re, err = compileRegex(pat, m.cmp, r.lim.MaxRegexBytes); err != nil {
					return false, r.fail("%v", err)
				}
				if r.reCache == nil {
					r.reCache = map[string]*regexp.Regexp{}
				}
				if len(r.reCache) < 64 {
					r.reCache[pat] = re
				}
			}
		}
		in := v
		if len(in) > maxRegexInput {
			in = truncateUTF8(in, maxRegexInput)
		}
		r.regexCost += (len(re.String()) + 1) * (len(in) + 1)
		if r.regexCost > maxRegexCost {
			return false, r.fail("regular expression matching exceeds its cost limit")
		}
		if !m.vars {
			return re.MatchString(in), nil
		}
		sub := re.FindStringSubmatch(in)
		if sub == nil {
			return false, nil
		}
		r.matchVars = r.matchVars[:0]
		for i := 0; i < len(sub) && i < maxMatchVariables; i++ {
			r.matchVars = append(r.matchVars, sub[i])
		}
		return true, nil
	}
	return false, nil
}

// setMatchVars sets ${0} to the whole value and ${1}.. to the wildcards'
// text (RFC 5229 §3.2).
func (r *run) setMatchVars(v string, caps []string) {
	r.matchVars = append(r.matchVars[:0], v)
	for i := 0; i < len(caps) && len(r.matchVars) < maxMatchVariables; i++ {
		r.matchVars = append(r.matchVars, caps[i])
	}
}
