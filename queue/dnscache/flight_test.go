package dnscache

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// TestConcurrentLookupsShareOneQuery: many callers asking the same
// question at once cause one query at the server, and all get the answer.
func TestConcurrentLookupsShareOneQuery(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{})
	s.set(t, `busy.test. 60 IN TXT "v=spf1 -all"`)
	s.holdQueries()
	const callers = 50
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			txt, err := r.LookupTXT(context.Background(), "BUSY.test.")
			if err == nil && (len(txt) != 1 || txt[0] != "v=spf1 -all") {
				err = errors.New("wrong answer")
			}
			errs <- err
		})
	}
	// Every caller has joined the one resolution in the air before the
	// server answers.
	waitUntil(t, "all callers to wait", func() bool { return r.Stats().Shared == callers-1 })
	s.release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := s.count("busy.test", dns.TypeTXT); n != 1 {
		t.Fatalf("server got %d queries for %d concurrent lookups, want 1", n, callers)
	}
}

// TestCallerGivingUpDoesNotFailOthers: a waiter whose context ends gets
// net.Resolver's cancellation error; the others still get the answer.
func TestCallerGivingUpDoesNotFailOthers(t *testing.T) {
	s := newTestServer(t)
	r := newTestResolver(s, newFakeClock(), Options{})
	s.set(t, `slow.test. 60 IN TXT "ok"`)
	s.holdQueries()
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := r.LookupTXT(ctx, "slow.test")
		first <- err
	}()
	waitUntil(t, "the first query", func() bool { return s.count("slow.test", dns.TypeTXT) == 1 })
	second := make(chan error, 1)
	go func() {
		_, err := r.LookupTXT(context.Background(), "slow.test")
		second <- err
	}()
	waitUntil(t, "the second caller to join", func() bool { return r.Stats().Shared == 1 })
	cancel()
	err := <-first
	var de interface{ Temporary() bool }
	if !errors.As(err, &de) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v, want a DNS error wrapping context.Canceled", err)
	}
	s.release()
	if err := <-second; err != nil {
		t.Fatalf("second caller: %v", err)
	}
}
