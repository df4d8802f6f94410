package imapd

import (
	"reflect"
	"sort"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/mailserver/mailserver/store"
)

// listNode is one name LIST may return.
type listNode struct {
	mb          *store.Mailbox // nil: no such mailbox (a parent level or a stale subscription)
	subscribed  bool
	children    bool // some existing mailbox lies below
	subChildren bool // some subscribed name lies below that the patterns do not match
}

// List implements imapserver.Session: LIST (RFC 9051 §6.3.9) with the
// LIST-EXTENDED selection and return options (RFC 5258), LIST-STATUS (RFC
// 5819), SPECIAL-USE (RFC 6154) and LSUB. Only the user's own mailboxes
// exist: the patterns match names, never paths, and there are no other
// namespaces.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		// LIST "" "": the hierarchy delimiter and root name.
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: store.Delimiter})
	}
	st := s.srv.opts.Store
	mbs, err := st.Mailboxes(s.ctx, s.user.ID)
	if err != nil {
		return s.fail("list", err)
	}
	subs, err := st.Subscriptions(s.ctx, s.user.ID)
	if err != nil {
		return s.fail("list", err)
	}
	nodes := make(map[string]*listNode, len(mbs))
	get := func(name string) *listNode {
		n := nodes[name]
		if n == nil {
			n = &listNode{}
			nodes[name] = n
		}
		return n
	}
	for i := range mbs {
		get(mbs[i].Name).mb = &mbs[i]
	}
	for _, name := range subs {
		get(name).subscribed = true
	}
	full := make([]string, len(patterns))
	for i, p := range patterns {
		full[i] = listPattern(ref, p)
	}
	for name, n := range nodes {
		// RFC 5258 §3.5: CHILDINFO tells of matching children the
		// response does not list itself; one that the patterns match is
		// listed, and saying so again at its parent is redundant.
		hiddenSub := n.subscribed && !matchAny(name, full)
		for p := parentOf(name); p != ""; p = parentOf(p) {
			if n.mb != nil {
				get(p).children = true
			}
			if hiddenSub {
				get(p).subChildren = true
			}
		}
	}
	names := make([]string, 0, len(nodes))
	for name := range nodes {
		names = append(names, name)
	}
	sort.Strings(names)

	lsub := isLSUB(w)
	for _, name := range names {
		n := nodes[name]
		if !matchAny(name, full) {
			continue
		}
		var childInfo *imap.ListDataChildInfo
		// RFC 3501 §6.3.9: LSUB "%" lists an unsubscribed parent of a
		// subscribed child the pattern does not reach, as \Noselect.
		lsubParent := lsub && !n.subscribed && n.subChildren
		switch {
		case lsubParent:
		case options.SelectSubscribed:
			if !n.subscribed {
				if !options.SelectRecursiveMatch || !n.subChildren {
					continue
				}
			}
			if options.SelectRecursiveMatch && n.subChildren {
				childInfo = &imap.ListDataChildInfo{Subscribed: true}
			}
		case n.mb == nil && !n.children:
			continue // a subscription to a mailbox that is gone
		}
		if options.SelectSpecialUse && (n.mb == nil || n.mb.SpecialUse == "") {
			continue
		}
		data := &imap.ListData{Mailbox: name, Delim: store.Delimiter, ChildInfo: childInfo}
		switch {
		case lsubParent, n.mb == nil && n.children:
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		case n.mb == nil:
			data.Attrs = append(data.Attrs, imap.MailboxAttrNonExistent)
		}
		// RFC 3348 / RFC 5258 §4: children attributes.
		if n.children {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
		} else if n.mb != nil {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
		}
		// \Subscribed is LIST-EXTENDED's (RFC 5258); LSUB lists only
		// subscriptions and has no such attribute.
		if n.subscribed && !lsub && (options.ReturnSubscribed || options.SelectSubscribed) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		// RFC 6154 §2: special-use attributes may be returned unasked.
		if n.mb != nil && n.mb.SpecialUse != "" {
			data.Attrs = append(data.Attrs, imap.MailboxAttr(n.mb.SpecialUse))
		}
		if options.ReturnStatus != nil && n.mb != nil {
			if data.Status, err = s.statusData(n.mb, options.ReturnStatus); err != nil {
				return err
			}
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

// isLSUB reports whether w answers LSUB rather than LIST (SUBSCRIBED).
// go-imap v2 beta.8 hands both to Session.List with the same options
// (SelectSubscribed alone); only its ListWriter's unexported lsub field
// tells them apart, and the two differ (LSUB "%" lists unsubscribed
// parents, LIST (SUBSCRIBED) "%" does not). Reading the field goes when
// go-imap says which command it is; TestLSUBPercentParents fails if the
// field is renamed.
func isLSUB(w *imapserver.ListWriter) bool {
	if w == nil {
		return false
	}
	f := reflect.ValueOf(w).Elem().FieldByName("lsub")
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}

func parentOf(name string) string {
	if i := strings.LastIndexByte(name, store.Delimiter); i > 0 {
		return name[:i]
	}
	return ""
}

// listPattern joins reference and pattern as imapserver.MatchList does
// and puts an INBOX first level in upper case (INBOX is case-insensitive,
// RFC 9051 §5.1).
func listPattern(ref, pattern string) string {
	full := pattern
	if strings.HasPrefix(pattern, string(store.Delimiter)) {
		full = pattern[1:]
	} else if ref != "" {
		if !strings.HasSuffix(ref, string(store.Delimiter)) {
			ref += string(store.Delimiter)
		}
		full = ref + pattern
	}
	first, rest, found := strings.Cut(full, string(store.Delimiter))
	if store.IsInbox(first) {
		full = "INBOX"
		if found {
			full += string(store.Delimiter) + rest
		}
	}
	return full
}

func matchAny(name string, patterns []string) bool {
	for _, p := range patterns {
		if imapserver.MatchList(name, store.Delimiter, "", p) {
			return true
		}
	}
	return false
}
