package imapd

import "sort"

// uidRuns is an ascending list of UIDs (a session's picture of its
// mailbox, index+1 = sequence number) kept as runs of consecutive UIDs. A
// mailbox's UIDs are mostly consecutive (appended in order, expunged now
// and then), so a 2,000-message mailbox takes a few runs instead of 8 KiB
// in every session that has it selected (idle IMAP connections: 69 KiB of
// RSS each with a 2,000-message INBOX, 44 KiB with an empty one).
type uidRuns struct {
	runs []uidRun // ascending, with gaps between them
	n    int
}

type uidRun struct {
	first  uint32
	count  uint32
	before int // UIDs in the runs before this one: the index of first
}

// newUIDRuns builds the list from ascending UIDs.
func newUIDRuns(uids []uint32) uidRuns {
	var l uidRuns
	for _, u := range uids {
		l.append(u)
	}
	l.runs = l.runs[:len(l.runs):len(l.runs)]
	return l
}

func (l *uidRuns) len() int { return l.n }

// run is the index of the run holding index i (0 ≤ i < n).
func (l *uidRuns) run(i int) int {
	return sort.Search(len(l.runs), func(k int) bool { return l.runs[k].before > i }) - 1
}

// at returns the UID at index i (0 ≤ i < n).
func (l *uidRuns) at(i int) uint32 {
	r := &l.runs[l.run(i)]
	return r.first + uint32(i-r.before)
}

// last returns the highest UID (0 if empty).
func (l *uidRuns) last() uint32 {
	if len(l.runs) == 0 {
		return 0
	}
	r := &l.runs[len(l.runs)-1]
	return r.first + r.count - 1
}

// search is slices.BinarySearch: the index of uid, or where it would be.
func (l *uidRuns) search(uid uint32) (int, bool) {
	k := sort.Search(len(l.runs), func(k int) bool { return l.runs[k].first > uid }) - 1
	if k < 0 {
		return 0, false
	}
	r := &l.runs[k]
	if uid-r.first < r.count {
		return r.before + int(uid-r.first), true
	}
	return r.before + int(r.count), false
}

// append adds a UID above every UID in the list.
func (l *uidRuns) append(uid uint32) {
	if k := len(l.runs) - 1; k >= 0 && l.runs[k].first+l.runs[k].count == uid {
		l.runs[k].count++
	} else {
		l.runs = append(l.runs, uidRun{first: uid, count: 1, before: l.n})
	}
	l.n++
}

// delete removes the UID at index i (0 ≤ i < n).
func (l *uidRuns) delete(i int) {
	k := l.run(i)
	r := &l.runs[k]
	off := uint32(i - r.before)
	switch {
	case r.count == 1:
		l.runs = append(l.runs[:k], l.runs[k+1:]...)
		k--
	case off == 0:
		r.first++
		r.count--
	case off == r.count-1:
		r.count--
	default: // split
		tail := uidRun{first: r.first + off + 1, count: r.count - off - 1, before: r.before + int(off)}
		r.count = off
		l.runs = append(l.runs, uidRun{})
		copy(l.runs[k+2:], l.runs[k+1:])
		l.runs[k+1] = tail // its before already counts the deletion
		k++
	}
	for j := k + 1; j < len(l.runs); j++ {
		l.runs[j].before--
	}
	l.n--
}
