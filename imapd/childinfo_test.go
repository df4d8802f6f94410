package imapd

import (
	"strings"
	"testing"
)

// LIST (SUBSCRIBED RECURSIVEMATCH) as in RFC 5258 §3.5's example: CHILDINFO
// only for subscribed children the response does not list itself, and an
// unsubscribed parent only when it has such a child (issue 11 item 8).
func TestListRecursiveMatchChildInfo(t *testing.T) {
	e := newTestEnv(t)
	rc := e.rawLogin("alice@example.test")
	for _, mb := range []string{"Fruit", "Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"} {
		rc.ok("CREATE " + mb)
	}
	for _, mb := range []string{"Fruit/Banana", "Fruit/Peach", "Vegetable", "Vegetable/Broccoli"} {
		rc.ok("SUBSCRIBE " + mb)
	}
	ours := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if strings.Contains(l, "Fruit") || strings.Contains(l, "Vegetable") {
				out = append(out, l)
			}
		}
		return out
	}

	all := ours(rc.ok(`LIST (SUBSCRIBED RECURSIVEMATCH) "" "*"`))
	if len(all) != 4 {
		t.Errorf(`"*": %q, want Fruit/Banana, Fruit/Peach, Vegetable, Vegetable/Broccoli`, all)
	}
	for _, l := range all {
		if strings.Contains(l, "CHILDINFO") || strings.Contains(l, `"Fruit"`) {
			t.Errorf(`"*": %q: every subscribed child is listed itself`, l)
		}
	}

	top := ours(rc.ok(`LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"`))
	if len(top) != 2 || !strings.Contains(top[0], `"Fruit" (CHILDINFO ("SUBSCRIBED"))`) ||
		!strings.Contains(top[1], `\Subscribed`) || !strings.Contains(top[1], `"Vegetable" (CHILDINFO ("SUBSCRIBED"))`) {
		t.Errorf(`"%%": %q`, top)
	}
}

// LSUB "%" lists an unsubscribed parent of a subscribed child as
// \Noselect (RFC 3501 §6.3.9), which LIST (SUBSCRIBED) "%" does not (RFC
// 5258 §3.1); go-imap hands both to the session alike (issue 11 item 7).
func TestLSUBPercentParents(t *testing.T) {
	e := newTestEnv(t)
	rc := e.rawLogin("alice@example.test")
	for _, mb := range []string{"Fruit", "Fruit/Banana", "Vegetable", "Vegetable/Broccoli"} {
		rc.ok("CREATE " + mb)
	}
	for _, mb := range []string{"Fruit/Banana", "Vegetable", "Vegetable/Broccoli"} {
		rc.ok("SUBSCRIBE " + mb)
	}
	ours := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if strings.Contains(l, "Fruit") || strings.Contains(l, "Vegetable") {
				out = append(out, l)
			}
		}
		return out
	}

	top := ours(rc.ok(`LSUB "" "%"`))
	if len(top) != 2 || !strings.HasPrefix(top[0], `* LSUB (\Noselect`) || !strings.HasSuffix(top[0], ` "/" "Fruit"`) ||
		strings.Contains(top[1], `\Noselect`) || !strings.HasSuffix(top[1], ` "/" "Vegetable"`) {
		t.Errorf(`LSUB "%%": %q, want Fruit as \Noselect, then Vegetable`, top)
	}
	for _, l := range top {
		if strings.Contains(l, `\Subscribed`) {
			t.Errorf(`LSUB "%%": %q: \Subscribed is LIST-EXTENDED's, not LSUB's`, l)
		}
	}

	all := ours(rc.ok(`LSUB "" "*"`))
	if len(all) != 3 || strings.Contains(strings.Join(all, "\n"), `\Noselect`) {
		t.Errorf(`LSUB "*": %q, want the three subscriptions, none \Noselect`, all)
	}

	list := ours(rc.ok(`LIST (SUBSCRIBED) "" "%"`))
	if len(list) != 1 || !strings.Contains(list[0], `Vegetable`) {
		t.Errorf(`LIST (SUBSCRIBED) "%%": %q, want Vegetable alone`, list)
	}
}
