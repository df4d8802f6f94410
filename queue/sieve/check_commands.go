package sieve

import "unicode/utf8"

// Checking of the action commands (RFC 5228 §4 and the extensions).

// command checks an action or other non-control command.
func (c *checker) command(n *rawNode) (command, error) {
	if err := noTests(n); err != nil {
		return nil, err
	}
	line := n.pos.line
	switch n.name {
	case "stop", "discard":
		if len(n.args) > 0 {
			return nil, errAt(n.args[0].pos, "%s takes no arguments", n.name)
		}
		if n.name == "stop" {
			return cmdStop{}, nil
		}
		return cmdDiscard{line}, nil
	case "keep":
		as, err := c.collect(n, []tagDef{{"flags", "flags", valStrings, "imap4flags"}})
		if err != nil {
			return nil, err
		}
		if err := positional(n, as); err != nil {
			return nil, err
		}
		k := cmdKeep{line: line}
		k.flags, err = c.flagsTag(as)
		return k, err
	case "fileinto":
		if err := c.needExt(n, "fileinto"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, []tagDef{
			{"copy", "copy", valNone, "copy"},
			{"create", "create", valNone, "mailbox"},
			{"flags", "flags", valStrings, "imap4flags"},
		})
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valString); err != nil {
			return nil, err
		}
		f := cmdFileInto{line: line}
		_, f.copy = as.tag("copy")
		_, f.create = as.tag("create")
		if f.mailbox, err = c.str(as.pos[0].strs[0]); err != nil {
			return nil, err
		}
		if f.mailbox.constant() && !utf8.ValidString(f.mailbox.lit) {
			// a mailbox name is UTF-8 (RFC 5228 §4.1, RFC 5198 via RFC 3501 §5.1.3)
			return nil, errAt(as.pos[0].pos, "mailbox name is not valid UTF-8")
		}
		f.flags, err = c.flagsTag(as)
		return f, err
	case "redirect":
		as, err := c.collect(n, []tagDef{{"copy", "copy", valNone, "copy"}})
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valString); err != nil {
			return nil, err
		}
		r := cmdRedirect{line: line}
		_, r.copy = as.tag("copy")
		if r.addr, err = c.str(as.pos[0].strs[0]); err != nil {
			return nil, err
		}
		if r.addr.constant() {
			a, ok := redirectAddress(r.addr.lit)
			if !ok {
				return nil, errAt(as.pos[0].pos, "invalid redirect address %q (RFC 5228 §4.2)", r.addr.lit)
			}
			r.addr.lit = a
		}
		return r, nil
	case "reject", "ereject":
		if err := c.needExt(n, n.name); err != nil {
			return nil, err
		}
		as, err := c.collect(n, nil)
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valString); err != nil {
			return nil, err
		}
		r := cmdReject{line: line, extended: n.name == "ereject"}
		r.reason, err = c.str(as.pos[0].strs[0])
		return r, err
	case "vacation":
		return c.vacation(n)
	case "set":
		return c.set(n)
	case "setflag", "addflag", "removeflag":
		if err := c.needExt(n, "imap4flags"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, nil)
		if err != nil {
			return nil, err
		}
		f := cmdFlags{line: line}
		switch n.name {
		case "addflag":
			f.op = flagAdd
		case "removeflag":
			f.op = flagRemove
		}
		if len(as.pos) == 2 {
			if err := positional(n, as, valString, valStrings); err != nil {
				return nil, err
			}
			if !c.varsExt {
				return nil, errAt(as.pos[0].pos, "%s with a variable name needs require \"variables\"", n.name)
			}
			names, err := c.varNames(as.pos[0])
			if err != nil {
				return nil, err
			}
			f.name = &names[0]
		} else if err := positional(n, as, valStrings); err != nil {
			return nil, err
		}
		f.flags, err = c.strs(as.pos[len(as.pos)-1])
		return f, err
	}
	return nil, errAt(n.pos, "unknown command %q", n.name)
}

func (c *checker) flagsTag(as argSet) (*strList, error) {
	tv, ok := as.tag("flags")
	if !ok {
		return nil, nil
	}
	l, err := c.strs(tv.arg)
	return &l, err
}
