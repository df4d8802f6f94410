package imapd

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/mailserver/mailserver/store"
)

// events collects a client's unilateral responses.
type events struct {
	mu  sync.Mutex
	got []string
	ch  chan struct{}
}

func newEvents() *events { return &events{ch: make(chan struct{}, 100)} }

func (ev *events) add(s string) {
	ev.mu.Lock()
	ev.got = append(ev.got, s)
	ev.mu.Unlock()
	ev.ch <- struct{}{}
}

func (ev *events) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Expunge: func(seq uint32) { ev.add("EXPUNGE " + itoa(seq)) },
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				ev.add("EXISTS " + itoa(*d.NumMessages))
			}
		},
		Fetch: func(m *imapclient.FetchMessageData) {
			buf, _ := m.Collect()
			flags := make([]string, len(buf.Flags))
			for i, f := range buf.Flags {
				flags[i] = string(f)
			}
			ev.add("FETCH " + itoa(m.SeqNum) + " " + strings.Join(flags, " "))
		},
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// wait waits for the next event, which must be want, within a second
// (the bound for IDLE; in practice it takes microseconds).
func (ev *events) wait(t *testing.T, want string) {
	t.Helper()
	select {
	case <-ev.ch:
	case <-time.After(time.Second):
		t.Fatalf("no %q within a second (got %q)", want, ev.got)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if got := ev.got[len(ev.got)-1]; got != want {
		t.Fatalf("got %q, want %q (all: %q)", got, want, ev.got)
	}
}

func TestIdleSeesOtherSessions(t *testing.T) {
	e := newTestEnv(t)
	e.deliver(e.alice, testMessage(1))
	e.deliver(e.alice, testMessage(2))
	ev := newEvents()
	a := e.client("alice@example.test", ev.handler())
	if _, err := a.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := a.Idle()
	if err != nil {
		t.Fatal(err)
	}

	// A delivery as SMTP makes it (store.Submit with a local delivery).
	e.deliver(e.alice, testMessage(3))
	ev.wait(t, "EXISTS 3")

	// Session B changes flags.
	b := e.client("alice@example.test", nil)
	if _, err := b.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := b.Store(imap.SeqSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, `FETCH 2 \Flagged \Recent`) // a selected it first: recent there (RFC 3501 §2.3.2)

	// POP3 DELE 1 + QUIT: what pop3d's QUIT does underneath is
	// store.Expunge of the deleted UIDs (no \Deleted flag needed).
	if _, err := e.st.Expunge(context.Background(), e.alice.ID, mailboxID(t, e, "INBOX"), store.ExpungeOptions{UIDs: []uint32{1}}); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, "EXPUNGE 1")

	// Session B moves a message away (Thunderbird's delete): A sees the
	// expunge once.
	if _, err := b.Move(imap.UIDSetNum(3), "Trash").Wait(); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, "EXPUNGE 2")

	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := a.Mailbox().NumMessages; n != 1 {
		t.Errorf("A sees %d messages, want 1", n)
	}
	ev.mu.Lock()
	if len(ev.got) != 4 {
		t.Errorf("events %q, want exactly 4", ev.got)
	}
	ev.mu.Unlock()
}

// Without IDLE, changes come with the next command, and no EXPUNGE is sent
// after FETCH, STORE or SEARCH (RFC 9051 §7.5.1): sequence numbers stay
// those the client knows until a command that may renumber.
func TestNoExpungeDuringFetch(t *testing.T) {
	e := newTestEnv(t)
	for i := 1; i <= 3; i++ {
		e.deliver(e.alice, testMessage(i))
	}
	a := e.rawLogin("alice@example.test")
	a.ok("SELECT INBOX")
	inbox := mailboxID(t, e, "INBOX")
	// Another session expunges message 1 and a new one arrives.
	e.st.Expunge(context.Background(), e.alice.ID, inbox, store.ExpungeOptions{UIDs: []uint32{1}})
	e.deliver(e.alice, testMessage(4))

	// FETCH 1 still means UID 1 to this client: it is gone, so there is
	// no response for it and the command ends in NO [EXPUNGEISSUED] (RFC
	// 2180 §4.1.2); 2 is UID 2. No EXPUNGE yet.
	u, tagged := a.cmd("FETCH 1:2 (UID)")
	if len(grep(u, "EXPUNGE")) != 0 || len(grep(u, "* 2 FETCH (UID 2)")) != 1 || !strings.HasPrefix(tagged, "NO [EXPUNGEISSUED]") {
		t.Errorf("FETCH with a pending expunge: %q %s", u, tagged)
	}
	u = a.ok("SEARCH ALL")
	if len(grep(u, "EXPUNGE")) != 0 {
		t.Errorf("SEARCH with a pending expunge: %q", u)
	}
	u = a.ok(`STORE 3 +FLAGS (\Seen)`)
	if len(grep(u, "EXPUNGE")) != 0 || len(grep(u, "* 3 FETCH")) != 1 {
		t.Errorf("STORE with a pending expunge: %q", u)
	}
	// NOOP may renumber: the changes in commit order.
	u = a.ok("NOOP")
	if strings.Join(u, "|") != "* 1 EXPUNGE|* 3 EXISTS|* 3 RECENT" {
		t.Errorf("NOOP: %q", u)
	}
	u = a.ok("FETCH 1:* (UID)")
	if strings.Join(u, "|") != "* 1 FETCH (UID 2)|* 2 FETCH (UID 3)|* 3 FETCH (UID 4)" {
		t.Errorf("FETCH after NOOP: %q", u)
	}
}

// Two sessions expunging and moving concurrently never see an
// inconsistent numbering (the tracker would panic or the counts differ).
func TestConcurrentSessionsStayConsistent(t *testing.T) {
	e := newTestEnv(t)
	for i := 1; i <= 40; i++ {
		e.deliver(e.alice, testMessage(i))
	}
	clients := make([]*imapclient.Client, 3)
	for i := range clients {
		clients[i] = e.client("alice@example.test", nil)
		if _, err := clients[i].Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for j := 0; j < 10; j++ {
				uid := imap.UID(i*10 + j + 1)
				if j%2 == 0 {
					c.Move(imap.UIDSetNum(uid), "Trash").Wait()
				} else {
					c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
					c.UIDExpunge(imap.UIDSetNum(uid)).Close()
				}
			}
		})
	}
	wg.Wait()
	for i, c := range clients {
		if err := c.Noop().Wait(); err != nil {
			t.Fatal(err)
		}
		if n := c.Mailbox().NumMessages; n != 10 {
			t.Errorf("client %d sees %d messages, want 10", i, n)
		}
		uids, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if got := uids.AllUIDs(); len(got) != 10 || got[0] != 31 {
			t.Errorf("client %d: UIDs %v", i, got)
		}
	}
}
