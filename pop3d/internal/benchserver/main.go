// Command benchserver runs the POP3 server over a fresh store in a
// temporary directory, with one user preloaded, for the benchmark scripts
// in ../shared/bench (pop3-fetch) and for trying clients by hand:
//
//	go run ./pop3d/internal/benchserver -addr 127.0.0.23:11110
//	../shared/bench/pop3-fetch 127.0.0.23:11110 fetch@bench.test bench --repeat 3 --expect 2000
//
// The messages are built like mailbox-load's: exactly -size octets each,
// with varied From, Subject and Date. The data directory is removed on
// exit (SIGINT or SIGTERM).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailserver/mailserver/pop3d"
	"github.com/mailserver/mailserver/store"
)

func main() {
	addr := flag.String("addr", "127.0.0.23:11110", "POP3 listen address (loopback)")
	user := flag.String("user", "fetch@bench.test", "user to create")
	pass := flag.String("pass", "bench", "its password")
	n := flag.Int("n", 2000, "messages to preload")
	size := flag.Int("size", 10240, "size of each message in octets")
	verbose := flag.Bool("v", false, "log every session")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the serving phase to this file")
	flag.Parse()
	if *cpuprofile != "" {
		profile = *cpuprofile
	}
	if err := run(*addr, *user, *pass, *n, *size, *verbose); err != nil {
		log.Fatal(err)
	}
}

// profile is the -cpuprofile file.
var profile string

func run(addr, user, pass string, n, size int, verbose bool) error {
	dir, err := os.MkdirTemp("", "pop3-benchserver-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "mail.db"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	_, domain, _ := strings.Cut(user, "@")
	if err := st.AddDomain(ctx, domain); err != nil {
		return err
	}
	u, err := st.AddUser(ctx, user, pass)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := preload(ctx, st, u.ID, n, size); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "loaded %d x %d B in %v\n", n, size, time.Since(start).Round(time.Millisecond))

	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	srv := pop3d.New(st, pop3d.Options{
		Hostname:                 "bench.test",
		AllowPlaintextOnLoopback: true,
		Logger:                   slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(os.Stderr, "serving POP3 on %s (user %s, password %s)\n", ln.Addr(), user, pass)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ln.Close()
		srv.Shutdown(sctx)
	}()
	// A minimal accept loop (cmd/mailserver's accept.go is the real one).
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		srv.ServeConn(c, false)
	}
}

// preload delivers n messages from 8 goroutines, so the store's group
// commit shares the fsyncs.
func preload(ctx context.Context, st *store.Store, userID uint64, n, size int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				_, err := st.Append(ctx, userID, "INBOX", store.NewBody(message(i, size)), store.AppendOptions{})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Ascending UIDs need not follow i: the numbers only vary the content.
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	return <-errs
}

var words = []string{"lorem", "ipsum", "dolor", "sit", "amet", "mail", "server", "bench",
	"queue", "message", "delivery", "imap", "pop3", "smtp", "fetch"}

// message builds message i of exactly size octets (as mailbox-load does).
func message(i, size int) []byte {
	rnd := rand.New(rand.NewPCG(1, uint64(i)))
	sender := fmt.Sprintf("user%d@example.test", i%50)
	if i%10 == 0 {
		sender = "alice@example.test"
	}
	topic := fmt.Sprintf("topic%d", i%17)
	if i%7 == 0 {
		topic = "invoice"
	}
	date := time.Unix(1700000000+int64(i)*600, 0).UTC().Format(time.RFC1123Z)
	hdr := fmt.Sprintf("From: %s\r\nTo: rcpt@b.test\r\nSubject: Bench message %d %s\r\nDate: %s\r\n"+
		"Message-ID: <bench.1.%d@example.test>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: text/plain; charset=us-ascii\r\n\r\n", sender, i, topic, date, i)
	msg := []byte(hdr)
	for len(msg) < size {
		var line []byte
		for w := range 10 {
			if w > 0 {
				line = append(line, ' ')
			}
			line = append(line, words[rnd.IntN(len(words))]...)
		}
		msg = append(msg, line[:min(len(line), 70)]...)
		msg = append(msg, "\r\n"...)
	}
	msg = msg[:size]
	if size >= 2 {
		msg[size-2], msg[size-1] = '\r', '\n'
	}
	return msg
}
