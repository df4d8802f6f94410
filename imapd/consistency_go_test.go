package imapd

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// goSession is a go-imap client session of the consistency test: a
// client that resynchronises (Thunderbird's way). It trusts go-imap's
// count of messages (kept from EXISTS and EXPUNGE) and learns UIDs and
// flags from its own FETCH.
type goSession struct {
	w       *world
	id      string
	c       *imapclient.Client
	badSize atomic.Value // a string: an EXPUNGE or EXISTS that did not fit
	// recentUIDs: the UIDs the last FETCH 1:* (quiet) showed as \Recent.
	recentUIDs map[uint32]bool
}

func (s *goSession) recent() map[uint32]bool { return s.recentUIDs }

func (w *world) newGoSession(id string) *goSession {
	s := &goSession{w: w, id: id}
	h := &imapclient.UnilateralDataHandler{
		Expunge: func(seq uint32) {
			if mb := s.c.Mailbox(); mb != nil && seq > mb.NumMessages+1 {
				s.badSize.Store("EXPUNGE beyond the mailbox")
			}
		},
	}
	s.c = w.e.client("alice@example.test", h)
	return s
}

func (s *goSession) selectInbox() {
	if _, err := s.c.Select("INBOX", nil).Wait(); err != nil {
		s.w.t.Fatalf("%s: SELECT: %v", s.id, err)
	}
	s.w.count(1)
}

func (s *goSession) count() int {
	if mb := s.c.Mailbox(); mb != nil {
		return int(mb.NumMessages)
	}
	return 0
}

// check fails the test for an error other than NO [EXPUNGEISSUED] on a
// FETCH.
func (s *goSession) check(what string, err error) {
	s.w.count(1)
	if err == nil {
		return
	}
	var ie *imap.Error
	if strings.HasPrefix(what, "FETCH") && errors.As(err, &ie) && ie.Code == "EXPUNGEISSUED" {
		s.w.mu.Lock()
		s.w.expungeIssued++
		s.w.mu.Unlock()
		return
	}
	s.w.t.Errorf("%s: %s: %v", s.id, what, err)
}

// parseSeqSet reads seqRange's sets ("3", "3,5", "3:*", "5:3").
func parseSeqSet(text string) imap.SeqSet {
	var set imap.SeqSet
	for _, part := range strings.Split(text, ",") {
		a, b, isRange := strings.Cut(part, ":")
		start, _ := strconv.Atoi(a)
		stop := start
		if isRange {
			stop, _ = strconv.Atoi(b) // "*" is 0
		}
		set = append(set, imap.SeqRange{Start: uint32(start), Stop: uint32(stop)})
	}
	return set
}

func imapFlagList(flags []string) []imap.Flag {
	var out []imap.Flag
	for _, f := range flags {
		out = append(out, imap.Flag(f))
	}
	return out
}

func imapFlagStrings(flags []imap.Flag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, string(f))
	}
	return out
}

func (s *goSession) concurrent(rng *rand.Rand, g *idleGate) {
	n := s.count()
	op := rng.IntN(100)
	switch {
	case n == 0 || op < 12 || n < 5 && op < 40:
		msg := s.w.newMessage()
		cmd := s.c.Append("INBOX", int64(len(msg)), &imap.AppendOptions{Flags: imapFlagList(randomFlags(rng, 2)), Time: randomDate(rng)})
		cmd.Write([]byte(msg))
		cmd.Close()
		_, err := cmd.Wait()
		s.check("APPEND", err)
	case op < 40:
		set, seqs := seqRange(rng, n)
		sf := &imap.StoreFlags{Op: []imap.StoreFlagsOp{imap.StoreFlagsAdd, imap.StoreFlagsDel, imap.StoreFlagsSet}[rng.IntN(3)],
			Silent: rng.IntN(3) == 0, Flags: imapFlagList(randomFlags(rng, 3))}
		msgs, err := s.c.Store(parseSeqSet(set), sf, nil).Collect()
		s.check("STORE "+set, err)
		if !sf.Silent && err == nil {
			// go-imap hands the command the first FETCH of each message,
			// which may be another session's older update (of a message
			// expunged in between: the STORE had nothing to answer), and
			// the rest to a goroutine of its own: the imaplib sessions
			// check the answers; here, only that no other message is.
			for _, m := range msgs {
				if !slices.Contains(seqs, int(m.SeqNum)) && !strings.HasSuffix(set, ":*") {
					s.w.t.Errorf("%s: STORE %s: an answer for %d", s.id, set, m.SeqNum)
				}
			}
		}
	case op < 46:
		_, err := s.c.Expunge().Collect()
		s.check("EXPUNGE", err)
	case op < 51:
		set, _ := seqRange(rng, n)
		// The UIDs of those messages, from a FETCH, then UID EXPUNGE.
		msgs, err := s.c.Fetch(parseSeqSet(set), &imap.FetchOptions{UID: true}).Collect()
		s.check("FETCH UID "+set, err)
		var uids imap.UIDSet
		for _, m := range msgs {
			uids.AddNum(m.UID)
		}
		if len(uids) > 0 {
			_, err = s.c.UIDExpunge(uids).Collect()
			s.check("UID EXPUNGE", err)
		}
	case op < 56:
		set, _ := seqRange(rng, n)
		_, err := s.c.Move(parseSeqSet(set), "Other").Wait()
		s.check("MOVE "+set, err)
	case op < 62:
		set, _ := seqRange(rng, n)
		_, err := s.c.Copy(parseSeqSet(set), []string{"INBOX", "Other"}[rng.IntN(2)]).Wait()
		s.check("COPY "+set, err)
	case op < 76:
		set, _ := seqRange(rng, n)
		section := &imap.FetchItemBodySection{Peek: true}
		msgs, err := s.c.Fetch(parseSeqSet(set), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		s.check("FETCH "+set, err)
		for _, m := range msgs {
			if b := m.FindBodySection(section); b != nil && m.RFC822Size > 0 && !strings.Contains(string(b), "Subject: "+topicOf(m.RFC822Size)+"\r\n") {
				s.w.t.Errorf("%s: FETCH %s: message %d (UID %d, %d octets) is not the one of its size", s.id, set, m.SeqNum, m.UID, m.RFC822Size)
			}
		}
	case op < 84:
		_, err := s.c.Search(&imap.SearchCriteria{Smaller: int64(200 + rng.IntN(3000)), Since: randomDate(rng)}, nil).Wait()
		s.check("SEARCH", err)
	case op < 92:
		cmd, err := s.c.Idle()
		if err != nil {
			s.check("IDLE", err)
			break
		}
		g.done()
		<-g.all
		cmd.Close()
		s.check("IDLE", cmd.Wait())
		return
	default:
		s.check("NOOP", s.c.Noop().Wait())
	}
	g.done()
	if v := s.badSize.Load(); v != nil {
		s.w.t.Errorf("%s: %s", s.id, v)
	}
}

func (s *goSession) quiet(rng *rand.Rand) {
	s.check("NOOP", s.c.Noop().Wait())
	st := s.w.storeState()
	if s.count() != len(st) {
		s.w.t.Errorf("%s: go-imap counts %d messages, the store has %d", s.id, s.count(), len(st))
		return
	}
	if len(st) == 0 {
		return
	}
	msgs, err := s.c.Fetch(imap.SeqSet{{Start: 1, Stop: uint32(len(st))}}, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, InternalDate: true}).Collect()
	s.check("FETCH 1:*", err)
	model := make([]msgState, len(st))
	s.recentUIDs = map[uint32]bool{}
	for _, m := range msgs {
		if slices.ContainsFunc(m.Flags, func(f imap.Flag) bool { return strings.EqualFold(string(f), `\Recent`) }) {
			s.recentUIDs[uint32(m.UID)] = true
		}
		if m.SeqNum < 1 || int(m.SeqNum) > len(model) {
			s.w.t.Errorf("%s: FETCH 1:*: seq %d", s.id, m.SeqNum)
			return
		}
		model[m.SeqNum-1] = msgState{uid: uint32(m.UID), flags: normFlags(imapFlagStrings(m.Flags)), size: m.RFC822Size, date: m.InternalDate}
	}
	if err := checkAgainstStore(s.id, model, st, true); err != nil {
		s.w.t.Error(err)
		return
	}
	if rng.IntN(2) == 0 {
		// imaplib's sessions send random key trees as text; here go-imap
		// encodes a size window and a date its own way.
		lo, hi, day := int64(rng.IntN(3000)), int64(200+rng.IntN(3200)), dateOf(randomDate(rng))
		crit := &imap.SearchCriteria{Larger: lo, Smaller: hi, Since: day}
		data, err := s.c.Search(crit, nil).Wait()
		s.check("SEARCH", err)
		if err == nil {
			want := expectedSearch(model, func(m []msgState, q int) bool {
				return m[q-1].size > lo && m[q-1].size < hi && !dateOf(m[q-1].date).Before(day)
			})
			var got []string
			for _, x := range data.AllSeqNums() {
				got = append(got, strconv.Itoa(int(x)))
			}
			if strings.Join(got, " ") != want {
				s.w.t.Errorf("%s: SEARCH LARGER %d SMALLER %d SINCE %s: %q, reference %q", s.id, lo, hi, day.Format(time.DateOnly), strings.Join(got, " "), want)
			}
		}
	}
}
