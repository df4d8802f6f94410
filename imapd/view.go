package imapd

import (
	"slices"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

type updateKind int

const (
	updateNew updateKind = iota + 1
	updateExpunge
	updateFlags
)

// update is a committed change the client has not been told about yet.
// UIDs, not sequence numbers: those are computed when the update is
// written, against the client's picture at that moment.
type update struct {
	kind   updateKind
	uids   []uint32
	flags  [][]string // updateFlags: flags[i] belong to uids[i]
	origin any        // updateFlags: the session that changed them
	// keywords the mailbox's keyword set gained in this change (an
	// untagged FLAGS announces them, RFC 9051 §7.3.5).
	keywords []string
}

// view is one session's picture of its selected mailbox (RFC 9051 §2.3.1.2:
// sequence numbers are per session and change only when the session is
// told about EXISTS and EXPUNGE).
type view struct {
	mailboxID uint64
	wake      chan struct{} // IDLE: a change is pending

	mu      sync.Mutex
	uids    uidRuns // the client's picture, ascending; index+1 = sequence number
	pending []update
	backlog int  // UIDs in pending
	behind  bool // backlog passed maxBacklog: pending dropped, overflow called
	// keywords: those the client has been told of in FLAGS (at SELECT
	// and since).
	keywords []string
	// reported: UIDs whose flags the session's own STORE has just written
	// (its FETCH responses), for the poll at the end of that command.
	reported map[uint32]bool

	// recent: the UIDs recent in this session (recent.go), ascending.
	recent []uidRange
	// claim, if set (an IMAP4rev1 session), is told of the UIDs from..upto
	// that a poll is about to announce in EXISTS, before it writes them
	// (recent.go); the poll then writes RECENT.
	claim func(from, upto uint32)

	overflow func() // set before the view is registered
}

// maxBacklog bounds the changes (one per UID) waiting for a session that
// does not read them (it sends no command and is not idling, or does not
// read its socket): past it, the session is closed (mox closes at
// 10,000 too), so memory stays bounded and nothing waits for the client.
const maxBacklog = 10000

// msgRef is one message of the client's picture.
type msgRef struct {
	seq uint32
	uid uint32
}

// errBehind answers a session whose view fell maxBacklog changes behind:
// its picture is gone, and the connection is being closed.
var errBehind = &imap.Error{Type: imap.StatusResponseTypeBye, Code: imap.ResponseCodeLimit, Text: "Too many changes behind, reconnect"}

func newView(mailboxID uint64, uids []uint32) *view {
	return &view{mailboxID: mailboxID, uids: newUIDRuns(uids), wake: make(chan struct{}, 1)}
}

// setUIDs sets the picture read when the mailbox was selected (updates
// may be pending already: see userWatch.open).
func (v *view) setUIDs(uids []uint32) {
	v.mu.Lock()
	v.uids = newUIDRuns(uids)
	v.mu.Unlock()
}

// push queues an update (called by the Watch callback: never blocks, and
// never waits for the client).
func (v *view) push(u update) {
	v.mu.Lock()
	if v.behind {
		v.mu.Unlock()
		return
	}
	v.pending = append(v.pending, u)
	v.backlog += len(u.uids)
	overflow := v.backlog > maxBacklog
	if overflow {
		v.behind, v.pending, v.backlog = true, nil, 0
	}
	v.mu.Unlock()
	if overflow && v.overflow != nil {
		v.overflow()
	}
	select {
	case v.wake <- struct{}{}:
	default:
	}
}

type outKind int

const (
	outExists outKind = iota
	outExpunge
	outFetch
	outFlags // FLAGS: the mailbox's flags, keywords included
)

type output struct {
	kind  outKind
	n     uint32
	uid   uint32
	flags []string
}

// poll tells the client about pending updates, in commit order. Without
// allowExpunge (after FETCH, STORE and SEARCH: RFC 9051 §7.5.1) it stops
// before the first expunge, which waits for the next command. Changes to
// flags made by self are skipped: STORE answers for itself (or is silent).
func (v *view) poll(w *imapserver.UpdateWriter, allowExpunge bool, self any) (err error) {
	v.mu.Lock()
	if v.behind {
		v.mu.Unlock()
		return errBehind
	}
	todo := v.pending
	v.pending, v.backlog = nil, 0
	if !allowExpunge {
		for i, u := range todo {
			if u.kind == updateExpunge {
				v.pending = slices.Clone(todo[i:])
				todo = todo[:i]
				for _, u := range v.pending {
					v.backlog += len(u.uids)
				}
				break
			}
		}
	}
	// Flag updates are states, not deltas: only the latest pending one of
	// each UID is written, so an older snapshot never arrives after a
	// newer one (issue 11 item 1: another session's change, still pending
	// here, came after this session's own STORE answer and undid it in
	// the client). The latest being the session's own change, it is
	// written only if it superseded another session's change that the
	// client has not been told of, and the STORE did not write it (a
	// .SILENT STORE).
	latest := latestFlags(todo)
	// Flag states that wait behind an expunge (without allowExpunge): a
	// flag update before the cut is sent as the latest state instead, so
	// the client never ends the command with an older one (the consistency
	// test found this: another session's older snapshot followed this
	// session's STORE answer when a third session's EXPUNGE lay between).
	// The later update is written again at the next poll: the same state.
	var later map[uint32][]string
	for _, u := range v.pending {
		if u.kind == updateFlags {
			if later == nil {
				later = make(map[uint32][]string)
			}
			for i, uid := range u.uids {
				later[uid] = u.flags[i]
			}
		}
	}
	superseded := map[uint32]bool{}
	reported := v.reported
	v.reported = nil
	var out []output
	grown := false
	var newFrom, newUpto uint32 // UIDs added to the picture by this poll
	for k, u := range todo {
		if u.kind != updateNew && grown {
			out = append(out, output{kind: outExists, n: uint32(v.uids.len())})
			grown = false
		}
		if v.learnKeywords(u.keywords) {
			out = append(out, output{kind: outFlags, flags: slices.Clone(v.keywords)})
		}
		switch u.kind {
		case updateNew:
			for _, uid := range u.uids {
				if v.uids.len() == 0 || uid > v.uids.last() {
					v.uids.append(uid)
					grown = true
					if newFrom == 0 {
						newFrom = uid
					}
					newUpto = uid
				}
			}
		case updateExpunge:
			// Descending, so each number is valid when the client reads it.
			for i := len(u.uids) - 1; i >= 0; i-- {
				if idx, ok := v.uids.search(u.uids[i]); ok {
					v.uids.delete(idx)
					out = append(out, output{kind: outExpunge, n: uint32(idx + 1)})
				}
			}
		case updateFlags:
			own := self != nil && u.origin == self
			for i, uid := range u.uids {
				if latest != nil && latest[uid] != k {
					if !own {
						superseded[uid] = true
					}
					continue
				}
				flags, newer := later[uid]
				if !newer {
					flags = u.flags[i]
				}
				if own && !newer && (!superseded[uid] || reported[uid]) {
					continue
				}
				if idx, ok := v.uids.search(uid); ok {
					out = append(out, output{kind: outFetch, n: uint32(idx + 1), uid: uid, flags: flags})
				}
			}
		}
	}
	if grown {
		out = append(out, output{kind: outExists, n: uint32(v.uids.len())})
	}
	claim, usesRecent := v.claim, v.claim != nil
	if newUpto > 0 && v.coversRecentLocked(newFrom, newUpto) {
		claim = nil // claimed already (an APPEND of this session's)
	}
	v.mu.Unlock()

	// RFC 3501 §7.3.2: RECENT follows EXISTS. The claim is a store
	// transaction: it runs with v.mu released (the store's committer
	// takes it to push updates).
	if usesRecent && newUpto > 0 {
		if claim != nil {
			claim(newFrom, newUpto)
		}
		defer func() {
			if err == nil {
				err = w.WriteNumRecent(v.recentCount())
			}
		}()
	}

	for _, o := range out {
		var err error
		switch o.kind {
		case outExists:
			err = w.WriteNumMessages(o.n)
		case outExpunge:
			err = w.WriteExpunge(o.n)
		case outFetch:
			err = w.WriteMessageFlags(o.n, imap.UID(o.uid), v.withRecent(o.uid, o.flags))
		case outFlags:
			err = w.WriteMailboxFlags(mailboxFlags(o.flags))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// learnKeywords adds to v.keywords those of kw it lacks (v.mu held) and
// reports whether it grew.
func (v *view) learnKeywords(kw []string) bool {
	grew := false
	for _, k := range kw {
		if !slices.ContainsFunc(v.keywords, func(s string) bool { return strings.EqualFold(s, k) }) {
			v.keywords = append(v.keywords, k)
			grew = true
		}
	}
	return grew
}

// setKeywords records the keywords SELECT announced (the mailbox's set,
// read after the view was registered: a keyword added since is also in a
// pending update, and learnKeywords ignores it there).
func (v *view) setKeywords(kw []string) {
	v.mu.Lock()
	v.learnKeywords(kw)
	v.mu.Unlock()
}

// mailboxFlags is FLAGS' list (RFC 9051 §7.3.5): the system flags and the
// mailbox's keywords.
func mailboxFlags(keywords []string) []imap.Flag {
	out := slices.Clone(systemFlags)
	for _, k := range keywords {
		out = append(out, imap.Flag(k))
	}
	return out
}

// latestFlags maps each UID with a flag update in todo to the index of
// its latest one; nil when there are fewer than two flag updates (each is
// then the latest).
func latestFlags(todo []update) map[uint32]int {
	n := 0
	for _, u := range todo {
		if u.kind == updateFlags {
			n++
		}
	}
	if n < 2 {
		return nil
	}
	latest := make(map[uint32]int)
	for k, u := range todo {
		if u.kind == updateFlags {
			for _, uid := range u.uids {
				latest[uid] = k
			}
		}
	}
	return latest
}

// noteReported records the UIDs whose current flags the session's own
// STORE has written, for the poll that ends the command.
func (v *view) noteReported(uids []uint32) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.reported == nil {
		v.reported = make(map[uint32]bool, len(uids))
	}
	for _, uid := range uids {
		v.reported[uid] = true
	}
}

// idle writes updates as they come until stop is closed.
func (v *view) idle(w *imapserver.UpdateWriter, stop <-chan struct{}, self any) error {
	for {
		if err := v.poll(w, true, self); err != nil {
			return err
		}
		select {
		case <-v.wake:
		case <-stop:
			return nil
		}
	}
}

// span is a run of the client's picture: indexes lo ≤ i < hi of view.uids
// (sequence numbers lo+1 to hi).
type span struct{ lo, hi int }

// spans turns a sequence set or UID set of the client into runs of its
// picture, ascending and disjoint, without listing the messages: a
// command over a 100,000-message mailbox holds a few spans, not 100,000
// references. '*' is the last message the client knows of (a 0 bound in
// go-imap's sets); "n:m" is the same as "m:n" (RFC 9051 §9, seq-range).
// saved is the SEARCHRES result for '$' (RFC 5182).
func (v *view) spans(set imap.NumSet, saved []uint32) []span {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := uint32(v.uids.len())
	var out []span
	switch set := set.(type) {
	case imap.SeqSet:
		for _, r := range set {
			lo, hi := r.Start, r.Stop
			if lo == 0 {
				lo = n
			}
			if hi == 0 {
				hi = n
			}
			if lo > hi {
				lo, hi = hi, lo
			}
			lo = max(lo, 1)
			hi = min(hi, n)
			if lo <= hi {
				out = append(out, span{int(lo - 1), int(hi)})
			}
		}
	case imap.UIDSet:
		if imap.IsSearchRes(set) {
			for _, uid := range saved {
				if i, ok := v.uids.search(uid); ok {
					out = append(out, span{i, i + 1})
				}
			}
			break
		}
		last := v.uids.last()
		for _, r := range set {
			lo, hi := uint32(r.Start), uint32(r.Stop)
			if lo == 0 {
				lo = last
			}
			if hi == 0 {
				hi = last
			}
			if lo > hi {
				lo, hi = hi, lo
			}
			i, _ := v.uids.search(lo)
			j, found := v.uids.search(hi)
			if found {
				j++
			}
			if i < j {
				out = append(out, span{i, j})
			}
		}
	}
	return mergeSpans(out)
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(sp []span) []span {
	if len(sp) < 2 {
		return sp
	}
	slices.SortFunc(sp, func(a, b span) int { return a.lo - b.lo })
	out := sp[:1]
	for _, x := range sp[1:] {
		if last := &out[len(out)-1]; x.lo <= last.hi {
			last.hi = max(last.hi, x.hi)
		} else {
			out = append(out, x)
		}
	}
	return out
}

// inSpans reports whether index i is in the (merged) spans.
func inSpans(sp []span, i int) bool {
	k, _ := slices.BinarySearchFunc(sp, i, func(s span, i int) int {
		switch {
		case s.hi <= i:
			return -1
		case s.lo > i:
			return 1
		}
		return 0
	})
	return k < len(sp) && sp[k].lo <= i && i < sp[k].hi
}

// walk calls fn with the messages of the spans, ascending, in batches of
// at most n (fn must not keep the slice). Whole-mailbox commands use it to
// hold one batch at a time.
func (v *view) walk(sp []span, n int, fn func([]msgRef) error) error {
	buf := make([]msgRef, 0, n)
	for _, s := range sp {
		for i := s.lo; i < s.hi; {
			v.mu.Lock()
			end := min(s.hi, i+n-len(buf), v.uids.len())
			if end <= i {
				v.mu.Unlock()
				break // the picture shrank (it cannot during a command)
			}
			for ; i < end; i++ {
				buf = append(buf, msgRef{seq: uint32(i + 1), uid: v.uids.at(i)})
			}
			v.mu.Unlock()
			if len(buf) == n {
				if err := fn(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}

// whole is the span of the whole picture.
func (v *view) whole() []span {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.uids.len() == 0 {
		return nil
	}
	return []span{{0, v.uids.len()}}
}

// resolve lists the messages of a set (see spans), for commands that hand
// the store a list of UIDs anyway (STORE, COPY, MOVE, UID EXPUNGE).
func (v *view) resolve(set imap.NumSet, saved []uint32) []msgRef {
	var out []msgRef
	v.walk(v.spans(set, saved), 1024, func(b []msgRef) error {
		out = append(out, b...)
		return nil
	})
	return out
}

// count is the number of messages in the client's picture.
func (v *view) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.uids.len()
}

// lastUID is the highest UID of the picture (0 if empty).
func (v *view) lastUID() uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.uids.last()
}

// seqOf returns the client's sequence number of uid (0 if it has none).
func (v *view) seqOf(uid uint32) uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if i, ok := v.uids.search(uid); ok {
		return uint32(i + 1)
	}
	return 0
}

func imapFlags(flags []string) []imap.Flag {
	out := make([]imap.Flag, len(flags))
	for i, f := range flags {
		out[i] = imap.Flag(f)
	}
	return out
}

func uidList(refs []msgRef) []uint32 {
	out := make([]uint32, len(refs))
	for i, r := range refs {
		out[i] = r.uid
	}
	return out
}
