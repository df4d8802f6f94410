package imapd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pySession is an imaplib session of the consistency test: its model is
// built only from the responses imaplib parsed, in the order they came.
type pySession struct {
	w     *world
	id    string
	in    io.Writer
	out   *bufio.Reader
	model []msgState
	// flagsList is the last untagged FLAGS (keywords: issue 11 item 4).
	flagsList string
	// recentUIDs: the UIDs a FETCH FLAGS showed as \Recent (item 6); a
	// message stays recent for the session's whole selection.
	recentUIDs map[uint32]bool
	history    []string // the last exchanges, for a failure's log
}

type pyReply struct {
	Typ string      `json:"typ"`
	Dat []string    `json:"dat"`
	Log [][2]string `json:"log"`
}

func (w *world) newPySession(id string) *pySession {
	t := w.t
	cmd := exec.Command("python3", "testdata/consistency.py")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("python3 (package python3): %v", err)
	}
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s: python3: %v: %s", id, err, stderr.String())
		}
	})
	s := &pySession{w: w, id: id, in: in, out: bufio.NewReader(out), recentUIDs: map[uint32]bool{}}
	host, port, _ := net.SplitHostPort(w.e.addr)
	s.must(s.call(map[string]any{"op": "login", "host": host, "port": port, "user": "alice@example.test", "pass": testPass}), "LOGIN")
	return s
}

func (s *pySession) call(req map[string]any) *pyReply {
	t := s.w.t
	b, _ := json.Marshal(req)
	if _, err := s.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("%s: %v", s.id, err)
	}
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s: reading imaplib: %v", s.id, err)
	}
	var r pyReply
	if err := json.Unmarshal(line, &r); err != nil {
		t.Fatalf("%s: %v: %s", s.id, err, line)
	}
	s.w.count(1)
	req["msg"] = nil
	s.history = append(s.history, fmt.Sprintf("%v -> %s %q %q", req, r.Typ, r.Dat, r.Log))
	if len(s.history) > 40 {
		s.history = s.history[1:]
	}
	return &r
}

func (s *pySession) cmd(name string, args ...string) *pyReply {
	if args == nil {
		args = []string{}
	}
	return s.call(map[string]any{"op": "cmd", "name": name, "args": args})
}

// must fails the test unless the reply is OK (or, for a FETCH, NO
// [EXPUNGEISSUED] while other sessions run).
func (s *pySession) must(r *pyReply, what string) {
	t := s.w.t
	text := strings.Join(r.Dat, " ")
	if r.Typ == "OK" {
		return
	}
	if r.Typ == "NO" && strings.Contains(text, "[EXPUNGEISSUED]") && strings.HasPrefix(what, "FETCH") {
		s.w.mu.Lock()
		s.w.expungeIssued++
		s.w.mu.Unlock()
		return
	}
	t.Errorf("%s: %s: %s %s (untagged %q)", s.id, what, r.Typ, text, r.Log)
}

func (s *pySession) recent() map[uint32]bool { return s.recentUIDs }

func (s *pySession) selectInbox() {
	r := s.cmd("SELECT", "INBOX")
	s.must(r, "SELECT INBOX")
	s.model = nil
	s.apply(r, "SELECT", nil)
	s.learnNew("SELECT")
}

var (
	fetchUIDRE   = regexp.MustCompile(`\bUID (\d+)`)
	fetchFlagsRE = regexp.MustCompile(`\bFLAGS \(([^)]*)\)`)
	fetchSizeRE  = regexp.MustCompile(`\bRFC822\.SIZE (\d+)`)
	fetchDateRE  = regexp.MustCompile(`\bINTERNALDATE "([^"]*)"`)
	fetchTopicRE = regexp.MustCompile(`Subject: (topic-\d)`)
)

// apply updates the model from a reply's untagged responses, in order,
// checking each against what the model knows. own, for a STORE, is its
// change and the sequence numbers it named: the first FETCH of each must
// show it.
func (s *pySession) apply(r *pyReply, what string, own *ownStore) (search []int) {
	t := s.w.t
	for _, u := range r.Log {
		typ, dat := u[0], u[1]
		switch typ {
		case "EXISTS":
			n, _ := strconv.Atoi(dat)
			if n < len(s.model) {
				t.Errorf("%s: %s: EXISTS %d with %d messages known", s.id, what, n, len(s.model))
			}
			for len(s.model) < n {
				s.model = append(s.model, msgState{})
			}
		case "EXPUNGE":
			n, _ := strconv.Atoi(dat)
			if n < 1 || n > len(s.model) {
				t.Errorf("%s: %s: EXPUNGE %d with %d messages", s.id, what, n, len(s.model))
				continue
			}
			s.model = slices.Delete(s.model, n-1, n)
		case "FETCH":
			seqText, items, _ := strings.Cut(dat, " ")
			n, err := strconv.Atoi(seqText)
			if err != nil && strings.HasPrefix(dat, ")") {
				continue // the rest of a FETCH after its literal
			}
			if n < 1 || n > len(s.model) {
				t.Errorf("%s: %s: FETCH for %d with %d messages: %s", s.id, what, n, len(s.model), dat)
				continue
			}
			m := &s.model[n-1]
			if g := fetchUIDRE.FindStringSubmatch(items); g != nil {
				uid, _ := strconv.ParseUint(g[1], 10, 32)
				if m.uid != 0 && m.uid != uint32(uid) {
					t.Errorf("%s: %s: FETCH says seq %d is UID %d, the session knows it as UID %d", s.id, what, n, uid, m.uid)
				}
				m.uid = uint32(uid)
			}
			if g := fetchFlagsRE.FindStringSubmatch(items); g != nil {
				m.flags = normFlags(strings.Fields(g[1]))
				if m.uid != 0 && slices.ContainsFunc(strings.Fields(g[1]), func(f string) bool { return strings.EqualFold(f, `\Recent`) }) {
					s.recentUIDs[m.uid] = true
				}
				if own != nil && own.pending[n] && own.op.reflects(m.flags) {
					delete(own.pending, n) // answered
				}
			}
			if g := fetchSizeRE.FindStringSubmatch(items); g != nil {
				m.size, _ = strconv.ParseInt(g[1], 10, 64)
			}
			if g := fetchTopicRE.FindStringSubmatch(items); g != nil && m.size > 0 && g[1] != topicOf(m.size) {
				t.Errorf("%s: %s: message %d (UID %d, %d octets) has Subject %s", s.id, what, n, m.uid, m.size, g[1])
			}
			if g := fetchDateRE.FindStringSubmatch(items); g != nil {
				d, err := time.Parse("2-Jan-2006 15:04:05 -0700", strings.TrimSpace(g[1]))
				if err != nil {
					t.Errorf("%s: INTERNALDATE %q: %v", s.id, g[1], err)
				}
				m.date = d
			}
		case "FLAGS":
			s.flagsList = dat
		case "SEARCH":
			for _, f := range strings.Fields(dat) {
				n, _ := strconv.Atoi(f)
				search = append(search, n)
			}
		}
	}
	return search
}

// ownStore is a STORE in progress: its change and the sequence numbers
// whose answer has not come yet. Another session's update may come before
// or after the answer (an older one when the message was expunged in
// between, and the STORE had nothing to answer for it), so the answer is
// a FETCH showing the change; the check after the round catches an
// older state left last.
type ownStore struct {
	op      storeOp
	pending map[int]bool
}

// learnNew fetches what the session does not know of new messages, as a
// client does after EXISTS.
func (s *pySession) learnNew(what string) {
	first := 0
	for i := range s.model {
		if s.model[i].uid == 0 {
			first = i + 1
			break
		}
	}
	if first == 0 {
		return
	}
	r := s.cmd("FETCH", fmt.Sprintf("%d:*", first), "(UID FLAGS RFC822.SIZE INTERNALDATE)")
	s.must(r, "FETCH new after "+what)
	s.apply(r, "FETCH new after "+what, nil)
}

func (s *pySession) concurrent(rng *rand.Rand, g *idleGate) {
	n := len(s.model)
	op := rng.IntN(100)
	switch {
	case n == 0 || op < 12 || n < 5 && op < 40:
		msg := s.w.newMessage()
		flags := randomFlags(rng, 2)
		date := randomDate(rng).Format(`"02-Jan-2006 15:04:05 -0700"`)
		r := s.call(map[string]any{"op": "append", "mailbox": "INBOX", "flags": "(" + strings.Join(flags, " ") + ")", "date": date, "msg": msg})
		s.must(r, "APPEND")
		s.apply(r, "APPEND", nil)
	case op < 40:
		set, seqs := seqRange(rng, n)
		mode := []string{"+", "-", ""}[rng.IntN(3)]
		flags := randomFlags(rng, 3)
		silent := rng.IntN(3) == 0
		item := mode + "FLAGS"
		if silent {
			item += ".SILENT"
		}
		so := storeOp{mode: mode, flags: normFlags(flags)}
		what := "STORE " + set + " " + item
		own := &ownStore{op: so, pending: map[int]bool{}}
		name, args := "STORE", []string{set, item, "(" + strings.Join(flags, " ") + ")"}
		if rng.IntN(4) == 0 && s.model[seqs[0]-1].uid != 0 {
			// UID STORE of the same messages.
			var uids []string
			for _, q := range seqs {
				uids = append(uids, strconv.Itoa(int(s.model[q-1].uid)))
			}
			name, args = "UID", append([]string{"STORE", strings.Join(uids, ",")}, args[1:]...)
			what = "UID " + what
		}
		before := slices.Clone(s.model)
		r := s.cmd(name, args...)
		s.must(r, what)
		if silent {
			// The client applies its own change (RFC 9051 §6.4.6).
			for _, q := range seqs {
				s.model[q-1].flags = so.apply(s.model[q-1].flags)
			}
		} else {
			for _, q := range seqs {
				own.pending[q] = true
			}
		}
		s.apply(r, what, own)
		// Each still in the store must have been answered.
		if len(own.pending) > 0 {
			present := map[uint32]bool{}
			for _, m := range s.w.storeState() {
				present[m.UID] = true
			}
			for q := range own.pending {
				if present[before[q-1].uid] {
					s.w.t.Errorf("%s: %s: no answer showing the change for %d (UID %d): %q", s.id, what, q, before[q-1].uid, r.Log)
				}
			}
		}
	case op < 46:
		r := s.cmd("EXPUNGE")
		s.must(r, "EXPUNGE")
		s.apply(r, "EXPUNGE", nil)
	case op < 51:
		_, seqs := seqRange(rng, n)
		var uids []string
		for _, q := range seqs {
			if u := s.model[q-1].uid; u != 0 {
				uids = append(uids, strconv.Itoa(int(u)))
			}
		}
		if uids == nil {
			uids = []string{"1"}
		}
		r := s.cmd("UID", "EXPUNGE", strings.Join(uids, ","))
		s.must(r, "UID EXPUNGE")
		s.apply(r, "UID EXPUNGE", nil)
	case op < 56:
		set, _ := seqRange(rng, n)
		r := s.cmd("MOVE", set, "Other")
		s.must(r, "MOVE "+set)
		s.apply(r, "MOVE "+set, nil)
	case op < 62:
		set, _ := seqRange(rng, n)
		dest := []string{"INBOX", "Other"}[rng.IntN(2)]
		r := s.cmd("COPY", set, dest)
		s.must(r, "COPY "+set+" "+dest)
		s.apply(r, "COPY "+set, nil)
	case op < 76:
		set, _ := seqRange(rng, n)
		what := "FETCH " + set
		items := "(UID FLAGS RFC822.SIZE INTERNALDATE)"
		if rng.IntN(2) == 0 {
			// The body too: a read that another session's EXPUNGE may
			// overtake (issue 11 item 2).
			items = "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])"
		}
		r := s.cmd("FETCH", set, items)
		s.must(r, what)
		s.apply(r, what, nil)
	case op < 84:
		q, _ := randomQuery(rng, s.model)
		r := s.cmd("SEARCH", q)
		s.must(r, "SEARCH "+q)
		for _, x := range s.apply(r, "SEARCH "+q, nil) {
			if x < 1 || x > len(s.model) {
				s.w.t.Errorf("%s: SEARCH %s: %d with %d messages", s.id, q, x, len(s.model))
			}
		}
	case op < 92:
		r := s.call(map[string]any{"op": "idle"})
		if r.Typ != "IDLING" {
			s.w.t.Errorf("%s: IDLE: %s %q", s.id, r.Typ, r.Dat)
			break
		}
		s.apply(r, "IDLE", nil)
		g.done()
		<-g.all
		r = s.call(map[string]any{"op": "done"})
		s.must(r, "IDLE DONE")
		s.apply(r, "IDLE", nil)
		s.learnNew("IDLE")
		return
	default:
		r := s.cmd("NOOP")
		s.must(r, "NOOP")
		s.apply(r, "NOOP", nil)
	}
	g.done()
	s.learnNew("command")
}

func (s *pySession) quiet(rng *rand.Rand) {
	r := s.cmd("NOOP")
	s.must(r, "NOOP")
	s.apply(r, "NOOP", nil)
	s.learnNew("NOOP")
	st := s.w.storeState()
	if err := checkAgainstStore(s.id, s.model, st, true); err != nil {
		s.w.t.Errorf("%v\n%s's last exchanges:\n%s", err, s.id, strings.Join(s.history, "\n"))
		return
	}
	if checkKeywordsAnnounced {
		for _, m := range st {
			for _, f := range m.Flags {
				if !strings.HasPrefix(f, `\`) && !slices.Contains(strings.Fields(strings.ToLower(strings.Trim(s.flagsList, "()"))), strings.ToLower(f)) {
					s.w.t.Errorf("%s: keyword %s in use, not in FLAGS %s (item 4)", s.id, f, s.flagsList)
				}
			}
		}
	}
	if rng.IntN(2) == 0 {
		q, eval := randomQuery(rng, s.model)
		r := s.cmd("SEARCH", q)
		s.must(r, "SEARCH "+q)
		got := s.apply(r, "SEARCH "+q, nil)
		var gotText []string
		for _, x := range got {
			gotText = append(gotText, strconv.Itoa(x))
		}
		if want := expectedSearch(s.model, eval); strings.Join(gotText, " ") != want {
			s.w.t.Errorf("%s: SEARCH %s: %q, reference over the model %q (%+v)", s.id, q, strings.Join(gotText, " "), want, s.model)
		}
	}
}

// checkKeywordsAnnounced: every keyword in use is in the session's last
// untagged FLAGS (RFC 9051 §7.3.5, issue 11 item 4).
const checkKeywordsAnnounced = true
