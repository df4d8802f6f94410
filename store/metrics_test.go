package store

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gathered returns the metric families of reg by name.
func gathered(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// series returns the metric of fam with exactly these label values
// (name=value pairs); nil if none.
func series(f *dto.MetricFamily, labels ...string) *dto.Metric {
	if f == nil {
		return nil
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for i, lp := range m.GetLabel() {
			if lp.GetName()+"="+lp.GetValue() != labels[i] {
				continue next
			}
		}
		return m
	}
	return nil
}

func newMetricsStore(t *testing.T, opts Options) (*Store, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	opts.Metrics = m
	s, err := Open(t.TempDir()+"/mail.db", &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, reg
}

// TestCommitMetrics: every group commit is observed once, with the number
// of operations it carried; concurrent deliveries share commits, which the
// batch-size histogram shows.
func TestCommitMetrics(t *testing.T) {
	s, reg := newMetricsStore(t, Options{})
	u := mustUser(t, s, "alice@example.test")
	before := s.commits.Load()
	hist := func() *dto.Histogram {
		return series(gathered(t, reg)["mailserver_store_commit_batch_size"]).GetHistogram()
	}
	h0 := hist()
	const workers, each = 40, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				deliver(t, s, fmt.Sprintf("Subject: %d-%d\r\n\r\nx\r\n", w, i), u)
			}
		})
	}
	wg.Wait()
	h1 := hist()
	commits := s.commits.Load() - before
	if got := h1.GetSampleCount() - h0.GetSampleCount(); got != commits {
		t.Errorf("batch size histogram counted %d commits, the store made %d", got, commits)
	}
	if got := h1.GetSampleSum() - h0.GetSampleSum(); got != workers*each {
		t.Errorf("batch sizes add up to %v, want %d operations", got, workers*each)
	}
	if commits >= workers*each {
		t.Errorf("%d commits for %d concurrent deliveries: nothing shared", commits, workers*each)
	}
	lat := series(gathered(t, reg)["mailserver_store_commit_duration_seconds"]).GetHistogram()
	if lat.GetSampleCount() != h1.GetSampleCount() || lat.GetSampleSum() <= 0 {
		t.Errorf("latency histogram: %d samples summing to %v, want %d and a positive sum",
			lat.GetSampleCount(), lat.GetSampleSum(), h1.GetSampleCount())
	}
	t.Logf("%d deliveries in %d commits", workers*each, commits)
}

// TestCommitFailReason: a full disk (also when wrapped, as ErrNoSpace
// will wrap it) is told from an I/O error and from anything else.
func TestCommitFailReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("store: commit: %w", &fs.PathError{Op: "write", Path: "mail.db", Err: syscall.ENOSPC}), "no_space"},
		{syscall.EDQUOT, "no_space"},
		{fmt.Errorf("x: %w", syscall.EFBIG), "no_space"},
		{errors.New("mmap allocate error: file resize error: truncate mail.db: no space left on device"), "no_space"}, // bbolt grows the file with %s
		{&fs.PathError{Op: "fdatasync", Path: "mail.db", Err: syscall.EIO}, "io"},
		{errors.New("database not open"), "other"},
	} {
		if got := commitFailReasonNames[commitFailReason(c.err)]; got != c.want {
			t.Errorf("%v: reason %q, want %q", c.err, got, c.want)
		}
	}
}

// TestAuthFailureMetrics: failed logins count by protocol and reason
// (never by user), throttled ones apart.
func TestAuthFailureMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newAuthEnv(t, Options{Metrics: m, AuthGuessLimit: 2, AuthGuessWindow: time.Hour})
	mustUser(t, e.s, "alice@example.test")
	login := func(proto, ip, user, pw string) error {
		_, err := e.s.Authenticate(ctx, Login{Protocol: proto, Remote: netip.MustParseAddr(ip), Username: user, Password: pw})
		return err
	}
	if err := login("imap", "192.0.2.1", "alice@example.test", "wrong"); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	if err := login("pop3", "192.0.2.1", "nobody@example.test", "x"); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	if err := login("submission", "192.0.2.1", "alice@example.test", "secret"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("third attempt after the guess limit: %v", err)
	}
	if err := login("martian", "198.51.100.1", "alice@example.test", "wrong"); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	if err := login("managesieve", "198.51.100.2", "alice@example.test", "wrong"); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	if err := login("webmail", "198.51.100.3", "nobody@example.test", "x"); !errors.Is(err, ErrAuthFailed) {
		t.Fatal(err)
	}
	f := gathered(t, reg)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mailserver_auth_failures_total", []string{"protocol=imap", "reason=password"}, 1},
		{"mailserver_auth_failures_total", []string{"protocol=pop3", "reason=unknown_user"}, 1},
		{"mailserver_auth_failures_total", []string{"protocol=other", "reason=password"}, 1},
		{"mailserver_auth_failures_total", []string{"protocol=managesieve", "reason=password"}, 1},
		{"mailserver_auth_failures_total", []string{"protocol=webmail", "reason=unknown_user"}, 1},
		{"mailserver_auth_failures_total", []string{"protocol=submission", "reason=password"}, 0},
		{"mailserver_auth_throttled_total", []string{"protocol=submission"}, 1},
		{"mailserver_auth_throttled_total", []string{"protocol=imap"}, 0},
	} {
		m := series(f[c.name], c.labels...)
		if m == nil || m.GetCounter().GetValue() != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, m.GetCounter().GetValue(), c.want)
		}
	}
}

// TestPing: Ping commits (one more group commit) and fails with ErrClosed
// once the store is closed.
func TestPing(t *testing.T) {
	s, reg := newMetricsStore(t, Options{})
	n0 := series(gathered(t, reg)["mailserver_store_commit_batch_size"]).GetHistogram().GetSampleCount()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := series(gathered(t, reg)["mailserver_store_commit_batch_size"]).GetHistogram().GetSampleCount(); n != n0+1 {
		t.Errorf("Ping made %d commits, want 1", n-n0)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Ping after Close: %v, want ErrClosed", err)
	}
}

// TestQueueStats: the queue's length and its oldest entry's time.
func TestQueueStats(t *testing.T) {
	s := openTest(t)
	if n, oldest, err := s.QueueStats(ctx); err != nil || n != 0 || !oldest.IsZero() {
		t.Fatalf("empty queue: %d %v %v", n, oldest, err)
	}
	var first time.Time
	for i := range 3 {
		res, err := s.Submit(ctx, &Submission{
			Body: NewBody([]byte("Subject: out\r\n\r\nhello\r\n")),
			Outbound: &QueuedMessage{Sender: "a@example.test", Recipients: []QueuedRecipient{
				{Address: fmt.Sprintf("r%d@remote.test", i), State: RcptQueued, NextAttempt: time.Now()},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			m, err := s.QueueGet(ctx, res.QueueID)
			if err != nil {
				t.Fatal(err)
			}
			first = m.Created
		}
	}
	n, oldest, err := s.QueueStats(ctx)
	if err != nil || n != 3 || !oldest.Equal(first) {
		t.Fatalf("QueueStats = %d %v %v, want 3 %v", n, oldest, err, first)
	}
}

// BenchmarkCommitMetric is the cost the metrics add to one group commit
// (two histogram observations; the clock is read twice besides).
func BenchmarkCommitMetric(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		m.observeCommit(17, time.Since(start), nil)
	}
}

// BenchmarkAuthFailureMetric is the cost added to a failed login.
func BenchmarkAuthFailureMetric(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.authFailure("submission", "password")
	}
}
