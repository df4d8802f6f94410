package imapd

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailserver/mailserver/store"
)

// A selected session that reads nothing while more than maxBacklog changes
// happen in its mailbox is closed with BYE (issue 10 item 9); the sessions
// making the changes and deliveries to others go on meanwhile.
func TestSlowSessionClosedPastBacklog(t *testing.T) {
	e := newTestEnv(t)
	const n = maxBacklog/2 + 1
	loadSmall(t, e, e.alice, n)
	slow := e.rawLogin("alice@example.test")
	slow.ok("SELECT INBOX")
	// From here on the slow session sends nothing and reads nothing.

	busy := e.rawLogin("alice@example.test")
	busy.ok("SELECT INBOX")
	busy.ok("STORE 1:* +FLAGS.SILENT (\\Flagged)")
	e.deliver(e.bob, testMessage(1))
	busy.ok("STORE 1:* -FLAGS.SILENT (\\Flagged)") // 2n > maxBacklog changes
	e.deliver(e.bob, testMessage(2))
	busy.ok("NOOP")

	slow.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(slow.r)
	if err != nil {
		t.Fatalf("slow session not closed: %v (read %.200q)", err, rest)
	}
	if !strings.HasPrefix(string(rest), "* BYE") {
		t.Fatalf("slow session got %.200q, want BYE", rest)
	}
	mb, err := e.st.MailboxByName(context.Background(), e.bob.ID, "INBOX")
	if err != nil || mb.Messages != 2 {
		t.Fatalf("bob's INBOX: %+v, %v", mb, err)
	}
}

// loadSmall delivers n small messages to u, concurrently.
func loadSmall(t *testing.T, e *testEnv, u *store.User, n int) {
	t.Helper()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Go(func() {
			for i := range next {
				if _, err := e.st.Submit(context.Background(), &store.Submission{
					Body: store.NewBody([]byte(testMessage(i))), Local: []store.LocalDelivery{{UserID: u.ID}},
				}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// hookStore stops a SELECT inside its store read (UIDs) until released.
type hookStore struct {
	*store.Store
	entered chan struct{} // closed when a UIDs call has read
	release chan struct{}
	once    sync.Once
}

func (h *hookStore) UIDs(ctx context.Context, userID, mailboxID uint64) ([]uint32, error) {
	uids, err := h.Store.UIDs(ctx, userID, mailboxID)
	h.once.Do(func() {
		close(h.entered)
		<-h.release
	})
	return uids, err
}

// A SELECT does not hold up a concurrent delivery's commit: with the
// SELECT stopped inside its store read (after reading), a delivery to the
// same mailbox completes, and the selecting session still learns of it.
func TestSelectDoesNotBlockCommit(t *testing.T) {
	hook := &hookStore{entered: make(chan struct{}), release: make(chan struct{})}
	e := newTestEnv(t, func(o *Options) {
		hook.Store = o.Store.(*store.Store)
		o.Store = hook
	})
	e.deliver(e.alice, testMessage(1))
	rc := e.rawLogin("alice@example.test")
	selected := make(chan string, 1)
	go func() { // no t.Fatal here: collect the response for the test goroutine
		var sb strings.Builder
		io.WriteString(rc.c, "S1 SELECT INBOX\r\n")
		for {
			l, err := rc.r.ReadString('\n')
			sb.WriteString(l)
			if err != nil || strings.HasPrefix(l, "S1 ") {
				selected <- sb.String()
				return
			}
		}
	}()
	<-hook.entered
	delivered := make(chan struct{})
	go func() {
		e.deliver(e.alice, testMessage(2)) // commit, then the Watch callback
		close(delivered)
	}()
	select {
	case <-delivered:
	case <-time.After(20 * time.Second):
		close(hook.release)
		t.Fatal("the delivery waited for the SELECT's store read")
	}
	close(hook.release)
	if u := <-selected; !strings.Contains(u, "* 1 EXISTS\r\n") || !strings.Contains(u, "S1 OK") {
		t.Fatalf("SELECT: %q", u)
	}
	if u := rc.ok("NOOP"); len(grep(u, "* 2 EXISTS")) != 1 {
		t.Fatalf("NOOP after the delivery: %q", u)
	}
}
