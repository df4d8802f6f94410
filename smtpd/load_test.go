package smtpd

import (
	"fmt"
	"regexp"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

var subjectRE = regexp.MustCompile(`\r\nSubject: ([^\r]*)\r\n`)

// TestConcurrentClients: 100 clients each send 10 messages over one
// connection at the same time; every message lands exactly once.
func TestConcurrentClients(t *testing.T) {
	const clients, perClient = 100, 10
	e := newTestEnv(t, nil)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			c, err := smtp.Dial(e.mx)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for j := range perClient {
				subj := fmt.Sprintf("c%d-m%d", i, j)
				if err := send(c, "load@remote.test", []string{"alice@example.test"}, message("load@remote.test", "alice@example.test", subj)); err != nil {
					errs <- fmt.Errorf("%s: %w", subj, err)
					return
				}
			}
			c.Quit()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]int{}
	for _, m := range e.inbox("alice@example.test") {
		sm := subjectRE.FindStringSubmatch(m)
		if sm == nil {
			t.Fatalf("message without Subject:\n%s", m)
		}
		seen[sm[1]]++
	}
	for i := range clients {
		for j := range perClient {
			if n := seen[fmt.Sprintf("c%d-m%d", i, j)]; n != 1 {
				t.Errorf("c%d-m%d stored %d times", i, j, n)
			}
		}
	}
	if len(seen) != clients*perClient {
		t.Errorf("%d distinct messages, want %d", len(seen), clients*perClient)
	}
}
