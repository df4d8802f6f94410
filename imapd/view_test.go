package imapd

import (
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestViewSpans checks set resolution against the client's picture: '*',
// reversed ranges, overlaps, UIDs between messages, '$', and the batches
// walk hands out.
func TestViewSpans(t *testing.T) {
	v := newView(1, []uint32{3, 5, 7, 9, 11, 13})
	seqs := func(set imap.NumSet, saved []uint32) []uint32 {
		var out []uint32
		v.walk(v.spans(set, saved), 2, func(b []msgRef) error {
			if len(b) > 2 {
				t.Errorf("batch of %d", len(b))
			}
			for _, r := range b {
				out = append(out, r.seq)
				if v.uids.at(int(r.seq-1)) != r.uid {
					t.Errorf("seq %d has uid %d", r.seq, r.uid)
				}
			}
			return nil
		})
		return out
	}
	for _, c := range []struct {
		set   imap.NumSet
		saved []uint32
		want  []uint32
	}{
		{imap.SeqSetNum(1), nil, []uint32{1}},
		{imap.SeqSet{{Start: 1, Stop: 0}}, nil, []uint32{1, 2, 3, 4, 5, 6}}, // 1:*
		{imap.SeqSet{{Start: 0, Stop: 4}}, nil, []uint32{4, 5, 6}},          // *:4
		{imap.SeqSet{{Start: 5, Stop: 2}, {Start: 1, Stop: 3}}, nil, []uint32{1, 2, 3, 4, 5}},
		{imap.SeqSet{{Start: 7, Stop: 9}}, nil, nil},                              // beyond the end
		{imap.SeqSet{{Start: 6, Stop: 0}, {Start: 6, Stop: 6}}, nil, []uint32{6}}, // 6:*,6
		{imap.UIDSet{{Start: 4, Stop: 8}}, nil, []uint32{2, 3}},                   // UIDs 5, 7
		{imap.UIDSet{{Start: 12, Stop: 0}}, nil, []uint32{6}},                     // 12:*
		{imap.UIDSet{{Start: 100, Stop: 0}}, nil, []uint32{6}},                    // 100:* is *:100
		{imap.UIDSet{{Start: 1, Stop: 2}}, nil, nil},
		{imap.UIDSet{{Start: 13, Stop: 3}, {Start: 9, Stop: 9}}, nil, []uint32{1, 2, 3, 4, 5, 6}},
		{imap.SearchRes(), []uint32{13, 4, 5}, []uint32{2, 6}},
	} {
		if got := seqs(c.set, c.saved); !slices.Equal(got, c.want) {
			t.Errorf("%v: got %v, want %v", c.set, got, c.want)
		}
	}
	sp := v.spans(imap.SeqSet{{Start: 2, Stop: 3}, {Start: 5, Stop: 5}}, nil)
	for i, want := range []bool{false, true, true, false, true, false} {
		if inSpans(sp, i) != want {
			t.Errorf("inSpans(%v, %d) = %v", sp, i, !want)
		}
	}
}
