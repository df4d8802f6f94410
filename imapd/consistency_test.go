package imapd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// The randomized multi-session consistency test (issue 11, "the test that
// catches this class"). Eight sessions on one INBOX: four Python imaplib
// sessions (testdata/consistency.py) that trust what the server says, as
// K-9, mbsync or Apple Mail do, and four go-imap client sessions that
// resynchronise as Thunderbird does. The test runs in rounds: in each
// round every session does one random command at the same time as the
// others (APPEND, STORE +/-/replace with or without .SILENT and with
// keywords, UID STORE, EXPUNGE, UID EXPUNGE, MOVE, COPY, FETCH, SEARCH,
// IDLE through the round, NOOP); then, one after the other with nothing
// else running, each session does NOOP and is checked against the store.
//
// During the round, each answer is checked for what holds under
// concurrency: no NO or BAD (NO [EXPUNGEISSUED] for a FETCH that another
// session's EXPUNGE overtook is allowed, RFC 2180 §4.1.2, and counted),
// never [SERVERBUG]; a FETCH never names for a sequence number a UID other
// than the one the session's model has there; a STORE's own answer shows
// its change; an EXISTS never shrinks the mailbox; EXPUNGE numbers exist.
// After the round (the store quiet):
//
//   - an imaplib session's model, built only from EXISTS, EXPUNGE and
//     FETCH responses (plus the UID FETCH a client does for new messages),
//     equals the store: the same UIDs in sequence order, the same flags;
//   - a go-imap session's own count (go-imap keeps it from EXISTS and
//     EXPUNGE) equals the store's, and FETCH 1:* gives the store's UIDs
//     and flags (go-imap runs its handler for unsolicited FETCH in a
//     goroutine of its own, imapclient.Client.handleFetch, so their order
//     is not knowable through its API: that session kind checks FETCH
//     answers, the imaplib kind checks the updates);
//   - each message is \Recent in exactly one session (the sessions are
//     all IMAP4rev1 ones);
//   - a random SEARCH (flags, keywords, SMALLER/LARGER with dates, SINCE,
//     BEFORE, ON, SUBJECT, TEXT, sequence and UID sets, NOT, OR,
//     parentheses) answers what a reference evaluation over the model
//     gives.
//
// IMAPD_CONSISTENCY_COMMANDS sets the number of commands (default
// consistencyDefaultCommands), IMAPD_CONSISTENCY_SEED the seed (printed
// on failure).
func TestConsistencyRandom(t *testing.T) {
	total := consistencyDefaultCommands
	if s := os.Getenv("IMAPD_CONSISTENCY_COMMANDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("IMAPD_CONSISTENCY_COMMANDS: %v", err)
		}
		total = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("IMAPD_CONSISTENCY_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("IMAPD_CONSISTENCY_SEED: %v", err)
		}
		seed = n
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed: IMAPD_CONSISTENCY_SEED=%d", seed)
		}
	})
	e := newTestEnv(t)
	w := &world{t: t, e: e, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	ctx := context.Background()
	if _, err := e.st.CreateMailbox(ctx, e.alice.ID, "Other", ""); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := e.st.Append(ctx, e.alice.ID, "INBOX", store.NewBody([]byte(w.newMessage())), store.AppendOptions{InternalDate: randomDate(w.rng)}); err != nil {
			t.Fatal(err)
		}
	}
	w.inbox = mailboxID(t, e, "INBOX")
	for i := 0; i < consistencySessions; i++ {
		var s consistencySession
		if i%2 == 0 {
			s = w.newPySession(fmt.Sprintf("py%d", i))
		} else {
			s = w.newGoSession(fmt.Sprintf("go%d", i))
		}
		w.sessions = append(w.sessions, s)
	}
	for _, s := range w.sessions {
		s.selectInbox()
	}
	for _, s := range w.sessions {
		s.quiet(rand.New(rand.NewPCG(w.rng.Uint64(), w.rng.Uint64())))
	}
	start := time.Now()
	for w.commands < total && !t.Failed() {
		w.round()
	}
	elapsed := time.Since(start)
	t.Logf("%d commands in %d rounds over %d sessions, %v: %.0f commands/s; %d FETCH answered NO [EXPUNGEISSUED]",
		w.commands, w.rounds, len(w.sessions), elapsed.Round(time.Millisecond), float64(w.commands)/elapsed.Seconds(), w.expungeIssued)
}

const (
	consistencySessions        = 8
	consistencyDefaultCommands = 10000
)

// world is the test's shared state: the sessions and the store.
type world struct {
	t        *testing.T
	e        *testEnv
	rng      *rand.Rand
	inbox    uint64
	sessions []consistencySession
	msgSeq   int

	mu            sync.Mutex // counters, updated by concurrent sessions
	commands      int
	rounds        int
	expungeIssued int
}

// consistencySession is one client connection under test.
type consistencySession interface {
	selectInbox()
	// concurrent runs one random command at the same time as the other
	// sessions. It calls g.done once its part of the round is over: after
	// the command, or once IDLE has begun; an IDLE then lasts until every
	// session has called it.
	concurrent(rng *rand.Rand, g *idleGate)
	// quiet runs NOOP and checks the session against the store, nothing
	// else running.
	quiet(rng *rand.Rand)
	// recent is the UIDs the server has shown the session as \Recent.
	recent() map[uint32]bool
}

// idleGate lets an IDLE last while the round's other commands run.
type idleGate struct {
	busy sync.WaitGroup
	all  chan struct{}
}

func (g *idleGate) done() { g.busy.Done() }

func (w *world) count(n int) {
	w.mu.Lock()
	w.commands += n
	w.mu.Unlock()
}

func (w *world) round() {
	w.rounds++
	g := &idleGate{all: make(chan struct{})}
	g.busy.Add(len(w.sessions))
	go func() { g.busy.Wait(); close(g.all) }()
	var wg sync.WaitGroup
	for _, s := range w.sessions {
		rng := rand.New(rand.NewPCG(w.rng.Uint64(), w.rng.Uint64()))
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.concurrent(rng, g)
		}()
	}
	wg.Wait()
	for _, s := range w.sessions {
		s.quiet(rand.New(rand.NewPCG(w.rng.Uint64(), w.rng.Uint64())))
	}
	w.checkRecent()
}

// checkRecent: every session is a IMAP4rev1 one and has had INBOX
// selected since before any message arrived, and each has now been told
// of every message; so each message is \Recent in exactly one session
// (RFC 3501 §2.3.2: the first session told of it).
func (w *world) checkRecent() {
	for _, m := range w.storeState() {
		var in []string
		for i, s := range w.sessions {
			if s.recent()[m.UID] {
				in = append(in, fmt.Sprint(i))
			}
		}
		if len(in) != 1 {
			w.t.Errorf("round %d: UID %d is \\Recent in %d sessions (%s), want exactly one", w.rounds, m.UID, len(in), strings.Join(in, ", "))
		}
	}
}

// storeState is the INBOX as the store has it, in UID order.
func (w *world) storeState() []store.Message {
	w.t.Helper()
	msgs, err := w.e.st.ListMessages(context.Background(), w.e.alice.ID, w.inbox, 1, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return msgs
}

// Messages: the subject's topic is the size modulo 7, so a session
// knows a message's SUBJECT from its RFC822.SIZE; internal dates are
// noon UTC of 1 to 5 January 2026.
var (
	testKeywords = []string{"$Label1", "$Forwarded", "Junk", "NonJunk"}
	testFlags    = append([]string{`\Seen`, `\Flagged`, `\Answered`, `\Draft`, `\Deleted`}, testKeywords...)
)

func topicOf(size int64) string { return fmt.Sprintf("topic-%d", size%7) }

func (w *world) newMessage() string {
	w.mu.Lock()
	w.msgSeq++
	n := w.msgSeq
	w.mu.Unlock()
	return consistencyMessage(n, 200+(n*7919)%3000)
}

func consistencyMessage(n, size int) string {
	head := fmt.Sprintf("From: a@example.org\r\nSubject: %s\r\nMessage-ID: <c%d@example.org>\r\n\r\n", topicOf(int64(size)), n)
	pad := size - len(head) - 2 // size is at least 200, the head under 100
	return head + strings.Repeat(strings.Repeat("z", 68)+"\r\n", pad/70) + strings.Repeat("z", pad%70) + "\r\n"
}

func randomDate(rng *rand.Rand) time.Time {
	return time.Date(2026, 1, 1+rng.IntN(5), 12, 0, 0, 0, time.UTC)
}

func randomFlags(rng *rand.Rand, max int) []string {
	var out []string
	for range rng.IntN(max + 1) {
		f := testFlags[rng.IntN(len(testFlags))]
		if f == `\Deleted` && rng.IntN(2) == 0 {
			continue // fewer deletions than other flags
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// normFlags is a flag list as a set to compare: lower case (flags are
// case-insensitive, RFC 9051 §2.3.2), sorted, without \Recent (a
// session's, not the store's: item 6).
func normFlags(flags []string) string {
	var out []string
	for _, f := range flags {
		f = strings.ToLower(f)
		if f != `\recent` && f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// msgState is what a session knows of a message.
type msgState struct {
	uid   uint32
	flags string // normFlags
	size  int64
	date  time.Time
}

// storeOp is a STORE's change, to check its own answer.
type storeOp struct {
	mode  string // "+", "-" or "" (replace)
	flags string // normFlags
}

// reflects reports whether flags (normFlags) show op's change.
func (op storeOp) reflects(flags string) bool {
	have := strings.Fields(flags)
	want := strings.Fields(op.flags)
	switch op.mode {
	case "+":
		for _, f := range want {
			if !slices.Contains(have, f) {
				return false
			}
		}
	case "-":
		for _, f := range want {
			if slices.Contains(have, f) {
				return false
			}
		}
	default:
		return flags == op.flags
	}
	return true
}

func (op storeOp) apply(flags string) string {
	have := strings.Fields(flags)
	want := strings.Fields(op.flags)
	switch op.mode {
	case "+":
		have = append(have, want...)
	case "-":
		have = slices.DeleteFunc(have, func(f string) bool { return slices.Contains(want, f) })
	default:
		have = want
	}
	return normFlags(have)
}

// seqRange picks a sequence set within 1..n.
func seqRange(rng *rand.Rand, n int) (string, []int) {
	a := 1 + rng.IntN(n)
	switch rng.IntN(4) {
	case 0:
		return strconv.Itoa(a), []int{a}
	case 1:
		b := 1 + rng.IntN(n)
		if a == b {
			return strconv.Itoa(a), []int{a}
		}
		return fmt.Sprintf("%d,%d", a, b), []int{min(a, b), max(a, b)}
	case 2:
		var seqs []int
		for i := a; i <= n; i++ {
			seqs = append(seqs, i)
		}
		return fmt.Sprintf("%d:*", a), seqs
	default:
		b := min(n, a+rng.IntN(4))
		var seqs []int
		for i := a; i <= b; i++ {
			seqs = append(seqs, i)
		}
		return fmt.Sprintf("%d:%d", b, a), seqs
	}
}

// A search key tree: its text and its reference evaluation over a
// session's model (seq is 1-based).
type searchKey struct {
	text string
	eval func(m []msgState, seq int) bool
}

func randomSearch(rng *rand.Rand, m []msgState, depth int) searchKey {
	day := dateOf(randomDate(rng))
	dayText := day.Format("2-Jan-2006")
	switch k := rng.IntN(16); {
	case k == 0 && depth < 2:
		a := randomSearch(rng, m, depth+1)
		return searchKey{"NOT " + a.text, func(m []msgState, s int) bool { return !a.eval(m, s) }}
	case k == 1 && depth < 2:
		a, b := randomSearch(rng, m, depth+1), randomSearch(rng, m, depth+1)
		return searchKey{"OR " + a.text + " " + b.text, func(m []msgState, s int) bool { return a.eval(m, s) || b.eval(m, s) }}
	case k == 2 && depth < 2:
		a, b := randomSearch(rng, m, depth+1), randomSearch(rng, m, depth+1)
		return searchKey{"(" + a.text + " " + b.text + ")", func(m []msgState, s int) bool { return a.eval(m, s) && b.eval(m, s) }}
	case k <= 4:
		f := testFlags[rng.IntN(len(testFlags))]
		lf := strings.ToLower(f)
		has := func(m []msgState, s int) bool { return slices.Contains(strings.Fields(m[s-1].flags), lf) }
		name := map[string]string{`\seen`: "SEEN", `\flagged`: "FLAGGED", `\answered`: "ANSWERED", `\draft`: "DRAFT", `\deleted`: "DELETED"}[lf]
		if rng.IntN(2) == 0 {
			if name == "" {
				return searchKey{"KEYWORD " + f, has}
			}
			return searchKey{name, has}
		}
		not := func(m []msgState, s int) bool { return !has(m, s) }
		if name == "" {
			return searchKey{"UNKEYWORD " + f, not}
		}
		return searchKey{"UN" + name, not}
	case k <= 6:
		n := int64(rng.IntN(3400))
		if rng.IntN(2) == 0 {
			return searchKey{fmt.Sprintf("SMALLER %d", n), func(m []msgState, s int) bool { return m[s-1].size < n }}
		}
		return searchKey{fmt.Sprintf("LARGER %d", n), func(m []msgState, s int) bool { return m[s-1].size > n }}
	case k == 7:
		return searchKey{"SINCE " + dayText, func(m []msgState, s int) bool { return !dateOf(m[s-1].date).Before(day) }}
	case k == 8:
		return searchKey{"BEFORE " + dayText, func(m []msgState, s int) bool { return dateOf(m[s-1].date).Before(day) }}
	case k == 9:
		return searchKey{"ON " + dayText, func(m []msgState, s int) bool { return dateOf(m[s-1].date).Equal(day) }}
	case k == 10:
		topic := fmt.Sprintf("topic-%d", rng.IntN(7))
		key := "SUBJECT"
		if rng.IntN(2) == 0 {
			key = "TEXT"
		}
		return searchKey{key + " " + topic, func(m []msgState, s int) bool { return topicOf(m[s-1].size) == topic }}
	case k == 11 && len(m) > 0:
		text, seqs := seqRange(rng, len(m))
		if strings.HasSuffix(text, ":*") || strings.Contains(text, ":") {
			lo, hi := seqs[0], seqs[len(seqs)-1]
			return searchKey{text, func(m []msgState, s int) bool { return s >= lo && s <= hi }}
		}
		return searchKey{text, func(m []msgState, s int) bool { return slices.Contains(seqs, s) }}
	case k == 12 && len(m) > 0:
		u := m[rng.IntN(len(m))].uid
		v := m[rng.IntN(len(m))].uid
		lo, hi := min(u, v), max(u, v)
		return searchKey{fmt.Sprintf("UID %d:%d", hi, lo), func(m []msgState, s int) bool { return m[s-1].uid >= lo && m[s-1].uid <= hi }}
	default:
		return searchKey{"ALL", func([]msgState, int) bool { return true }}
	}
}

func dateOf(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}

// randomQuery is one to three keys, as SEARCH's top level ANDs them.
func randomQuery(rng *rand.Rand, m []msgState) (string, func(m []msgState, s int) bool) {
	var keys []searchKey
	for range 1 + rng.IntN(3) {
		keys = append(keys, randomSearch(rng, m, 0))
	}
	var texts []string
	for _, k := range keys {
		texts = append(texts, k.text)
	}
	return strings.Join(texts, " "), func(m []msgState, s int) bool {
		for _, k := range keys {
			if !k.eval(m, s) {
				return false
			}
		}
		return true
	}
}

func expectedSearch(m []msgState, eval func([]msgState, int) bool) string {
	var out []string
	for s := 1; s <= len(m); s++ {
		if eval(m, s) {
			out = append(out, strconv.Itoa(s))
		}
	}
	return strings.Join(out, " ")
}

// checkAgainstStore compares a model with the store's INBOX.
func checkAgainstStore(who string, m []msgState, st []store.Message, flags bool) error {
	if len(m) != len(st) {
		return fmt.Errorf("%s: model has %d messages, store %d: %s / %s", who, len(m), len(st), modelUIDs(m), storeUIDs(st))
	}
	for i := range m {
		if m[i].uid != st[i].UID {
			return fmt.Errorf("%s: seq %d is UID %d in the model, %d in the store: %s / %s", who, i+1, m[i].uid, st[i].UID, modelUIDs(m), storeUIDs(st))
		}
		if flags && m[i].flags != normFlags(st[i].Flags) {
			return fmt.Errorf("%s: UID %d has flags (%s) in the model, (%s) in the store", who, m[i].uid, m[i].flags, normFlags(st[i].Flags))
		}
	}
	return nil
}

func modelUIDs(m []msgState) string {
	var out []string
	for _, x := range m {
		out = append(out, strconv.Itoa(int(x.uid)))
	}
	return strings.Join(out, ",")
}

func storeUIDs(st []store.Message) string {
	var out []string
	for _, x := range st {
		out = append(out, strconv.Itoa(int(x.UID)))
	}
	return strings.Join(out, ",")
}
