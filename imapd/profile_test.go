package imapd

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // profiles of the serving test binary (IMAPD_PROFILE_ADDR)
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/mailserver/mailserver/store"
)

// TestMain runs the tests, or, when IMAPD_PROFILE_ADDR is set, serves IMAP
// for the shared bench scripts with pprof beside it, so that profiles are
// taken under the scripts' load:
//
//	IMAPD_PROFILE_ADDR=127.0.0.23:11143 IMAPD_PPROF_ADDR=127.0.0.23:6060 go test ./imapd/
//	../shared/bench/imap-mix 127.0.0.23:11143 mix@bench.test bench ...
//	go tool pprof http://127.0.0.23:6060/debug/pprof/profile?seconds=10
//
// Users fetch@bench.test and mix@bench.test have the password "bench"; the
// store is in a temporary directory removed at exit (SIGINT or SIGTERM).
func TestMain(m *testing.M) {
	if addr := os.Getenv("IMAPD_PROFILE_ADDR"); addr != "" {
		if err := serveForProfile(addr, os.Getenv("IMAPD_PPROF_ADDR")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func serveForProfile(addr, pprofAddr string) error {
	dir, err := os.MkdirTemp("", "imapd-profile")
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
	if err := st.AddDomain(ctx, "bench.test"); err != nil {
		return err
	}
	for _, u := range []string{"fetch@bench.test", "mix@bench.test"} {
		if _, err := st.AddUser(ctx, u, "bench"); err != nil {
			return err
		}
	}
	srv, err := New(Options{Store: st, AllowPlaintextOnLoopback: true, MaxConnections: 4000, MaxConnectionsPerUser: 4000,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if pprofAddr != "" {
		runtime.SetBlockProfileRate(10000) // one blocking event per 10 µs blocked
		runtime.SetMutexProfileFraction(10)
		go http.ListenAndServe(pprofAddr, nil)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			srv.ServeConn(c, false)
		}
	}()
	fmt.Fprintln(os.Stderr, "imapd: serving on", addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return srv.Close()
}
