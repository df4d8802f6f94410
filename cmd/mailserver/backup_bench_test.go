package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/store"
)

// BenchmarkBackupUnderLoad builds a database of MAILSERVER_BENCH_DB_MB
// MiB (default 2048) with a store-level generator (concurrent
// store.Submit of 10 KiB messages, sharing group commits), starts the
// server on it, measures the SMTP acceptance rate of 20 connections for
// 10 s without a backup, while "mailserver backup" runs, and 10 s
// without again (the rate without is the mean of both), and times
// "mailserver verify" online and offline. Run it alone:
//
//	go test -run '^$' -bench BackupUnderLoad -benchtime 1x ./cmd/mailserver/
func BenchmarkBackupUnderLoad(b *testing.B) {
	mb := 2048
	if v := os.Getenv("MAILSERVER_BENCH_DB_MB"); v != "" {
		var err error
		if mb, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	e := &testEnv{dir: dir, config: filepath.Join(dir, "test.toml"), dataDir: filepath.Join(dir, "data")}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "hostname = \"mail.example.test\"\ndata_dir = %q\n%s\n[inbound]\nverify = false\n[listen]\n", e.dataDir, backupDomains)
	for _, l := range defaultConfig().Listen.entries() {
		addr := ""
		if l.key == "smtp" {
			addr = "127.0.0.1:0"
		}
		fmt.Fprintf(&cfg, "%s = %q\n", l.key, addr)
	}
	if err := os.WriteFile(e.config, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	n := generateDB(b, filepath.Join(e.dataDir, "mail.db"), int64(mb)<<20)
	fi, _ := os.Stat(filepath.Join(e.dataDir, "mail.db"))
	b.Logf("generated %d messages, %s file, in %s", n, byteSize(fi.Size()), time.Since(start).Round(time.Second))

	s, ready := e.launch(b)
	if !ready {
		b.Fatalf("serve did not start:\n%s", s.log)
	}
	rate := func(d time.Duration, during func()) float64 {
		var count, maxLatency atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 20 {
			wg.Go(func() {
				c, err := smtp.Dial(s.addrs["smtp"])
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				msg := "Subject: bench\r\n\r\n" + strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n", 140)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					if err := c.SendMail(fmt.Sprintf("w%d@remote.test", w), []string{"alice@example.test"}, strings.NewReader(msg)); err != nil {
						b.Error(err)
						return
					}
					count.Add(1)
					if l := int64(time.Since(t0)); l > maxLatency.Load() {
						maxLatency.Store(l)
					}
				}
			})
		}
		t0 := time.Now()
		if during != nil {
			during()
		} else {
			time.Sleep(d)
		}
		el := time.Since(t0)
		got := count.Load()
		close(stop)
		wg.Wait()
		b.Logf("%d messages in %s, the slowest took %s", got, el.Round(time.Millisecond), time.Duration(maxLatency.Load()).Round(time.Millisecond))
		return float64(got) / el.Seconds()
	}
	without := rate(10*time.Second, nil)
	var backupTook time.Duration
	bk := filepath.Join(b.TempDir(), "backup.db")
	during := rate(0, func() {
		t0 := time.Now()
		r := runIn(b, e.dir, "", "--config", e.config, "backup", bk)
		backupTook = time.Since(t0)
		if r.code != 0 {
			b.Errorf("backup: %s", r.stderr)
		}
	})
	after := rate(10*time.Second, nil)
	without = (without + after) / 2
	t0 := time.Now()
	if r := runIn(b, e.dir, "", "--config", e.config, "verify"); r.code != 0 {
		b.Errorf("online verify: %s %s", r.stdout, r.stderr)
	}
	b.Logf("online verify (through the server, no load): %s", time.Since(t0).Round(time.Millisecond))
	s.cmd.Process.Signal(os.Interrupt)
	<-s.done
	t0 = time.Now()
	r := runIn(b, e.dir, "", "--config", e.config, "verify")
	verifyTook := time.Since(t0)
	if r.code != 0 {
		b.Errorf("verify: %s %s", r.stdout, r.stderr)
	}
	bfi, _ := os.Stat(bk)
	b.Logf("backup of %s: %s; SMTP acceptance without a backup (mean of before and after) %.0f msg/s, during it %.0f msg/s (%.0f %%); offline verify %s: %s",
		byteSize(bfi.Size()), backupTook.Round(time.Millisecond), without, during, 100*during/without, verifyTook.Round(time.Millisecond), strings.TrimSpace(r.stdout))
	b.ReportMetric(backupTook.Seconds(), "backup-s")
	b.ReportMetric(verifyTook.Seconds(), "verify-s")
	b.ReportMetric(100*during/without, "%accept-during-backup")
}

// generateDB fills a new database at path with 10 KiB messages for
// alice@example.test until the file reaches size bytes, 64 concurrent
// store.Submit calls at a time (they share group commits). It returns
// the number of messages.
func generateDB(b *testing.B, path string, size int64) int64 {
	st, err := store.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		b.Fatal(err)
	}
	u, err := st.AddUser(ctx, "alice@example.test", "secret")
	if err != nil {
		b.Fatal(err)
	}
	line := "The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
	pad := strings.Repeat(line, 10240/len(line))
	var n atomic.Int64
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if i%64 == 0 {
					if fi, err := os.Stat(path); err != nil || fi.Size() >= size {
						return
					}
				}
				body := store.NewBody([]byte(fmt.Sprintf("Subject: gen %d/%d\r\n\r\n%s", w, i, pad)))
				if _, err := st.Submit(ctx, &store.Submission{Body: body, Local: []store.LocalDelivery{{UserID: u.ID}}}); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return n.Load()
}
