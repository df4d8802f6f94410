package sieve

// Checking of the tests of RFC 5228 §5 and of the extensions.

// test checks one test (RFC 5228 §5 and the extensions' tests).
func (c *checker) test(n *rawNode) (test, error) {
	switch n.name {
	case "true", "false":
		if len(n.args) > 0 || len(n.tests) > 0 {
			return nil, errAt(n.pos, "%s takes no arguments", n.name)
		}
		if n.name == "true" {
			return testTrue{}, nil
		}
		return testFalse{}, nil
	case "not":
		if len(n.args) > 0 || len(n.tests) != 1 || n.testList {
			return nil, errAt(n.pos, "not takes exactly one test")
		}
		t, err := c.test(n.tests[0])
		return testNot{t}, err
	case "allof", "anyof":
		if len(n.args) > 0 || !n.testList {
			return nil, errAt(n.pos, "%s takes a test list", n.name)
		}
		ts := make([]test, 0, len(n.tests))
		for _, tn := range n.tests {
			t, err := c.test(tn)
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
		}
		if n.name == "allof" {
			return testAllOf{ts}, nil
		}
		return testAnyOf{ts}, nil
	}
	if err := noTests(n); err != nil {
		return nil, err
	}
	switch n.name {
	case "exists":
		as, err := c.collect(n, nil)
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings); err != nil {
			return nil, err
		}
		names, err := c.headerNames(as.pos[0])
		return testExists{names}, err
	case "size":
		as, err := c.collect(n, []tagDef{{"over", "rel", valNone, ""}, {"under", "rel", valNone, ""}})
		if err != nil {
			return nil, err
		}
		tv, ok := as.tag("rel")
		if !ok {
			return nil, errAt(n.pos, "size needs :over or :under")
		}
		if err := positional(n, as, valNumber); err != nil {
			return nil, err
		}
		return testSize{over: tv.name == "over", n: as.pos[0].num}, nil
	case "header":
		as, err := c.collect(n, headerTags)
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings, valStrings); err != nil {
			return nil, err
		}
		names, err := c.headerNames(as.pos[0])
		if err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[1])
		return &testHeader{names, m}, err
	case "address", "envelope":
		if n.name == "envelope" {
			if err := c.needExt(n, "envelope"); err != nil {
				return nil, err
			}
		}
		as, err := c.collect(n, addressTags)
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings, valStrings); err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[1])
		if err != nil {
			return nil, err
		}
		if n.name == "address" {
			names, err := c.headerNames(as.pos[0])
			if err != nil {
				return nil, err
			}
			for i, h := range names {
				if h.constant() && !addressHeaders[h.lit] {
					return nil, errAt(as.pos[0].strs[i].pos, "header %q does not hold addresses (RFC 5228 §5.1)", h.lit)
				}
			}
			return &testAddress{names, addressPart(as), m}, nil
		}
		parts, err := c.strs(as.pos[0])
		if err != nil {
			return nil, err
		}
		for i, p := range parts {
			if p.constant() {
				// RFC 5228 §5.4: "from" and "to"; others are not supported here.
				switch lowerASCII(p.lit) {
				case "from", "to":
					parts[i].lit = lowerASCII(p.lit)
				default:
					return nil, errAt(as.pos[0].strs[i].pos, "unsupported envelope part %q", p.lit)
				}
			}
		}
		return &testEnvelope{parts, addressPart(as), m}, nil
	case "string":
		if err := c.needExt(n, "variables"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, headerTags)
		if err != nil {
			return nil, err
		}
		if err := positional(n, as, valStrings, valStrings); err != nil {
			return nil, err
		}
		src, err := c.strs(as.pos[0])
		if err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[1])
		return &testString{src, m}, err
	case "hasflag":
		if err := c.needExt(n, "imap4flags"); err != nil {
			return nil, err
		}
		as, err := c.collect(n, headerTags)
		if err != nil {
			return nil, err
		}
		var vars strList
		switch len(as.pos) {
		case 1:
			err = positional(n, as, valStrings)
		default:
			if err = positional(n, as, valStrings, valStrings); err == nil {
				if !c.varsExt {
					return nil, errAt(as.pos[0].pos, "hasflag with a variable list needs require \"variables\"")
				}
				vars, err = c.varNames(as.pos[0])
			}
		}
		if err != nil {
			return nil, err
		}
		m, err := c.matcher(as, as.pos[len(as.pos)-1])
		return &testHasFlag{vars, m}, err
	case "body":
		return c.bodyTest(n)
	case "date", "currentdate":
		return c.dateTest(n)
	}
	return nil, errAt(n.pos, "unknown test %q", n.name)
}
