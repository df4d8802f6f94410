package imapd

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gaugeValue gathers reg and returns the value of the unlabelled gauge
// name; -1 when it is absent.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return -1
}

// waitGauge waits until the gauge has the value want (the server ends a
// session on its own time after the client has gone).
func waitGauge(t *testing.T, reg *prometheus.Registry, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for gaugeValue(t, reg, name) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v, want %v", name, gaugeValue(t, reg, name), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSessionMetrics: sessions, logged-in sessions and IDLE sessions, as
// clients connect, log in, IDLE, end IDLE and leave.
func TestSessionMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) { o.Metrics = m })
	anon := e.raw()
	a := e.rawLogin("alice@example.test")
	b := e.rawLogin("bob@example.test")
	// The greeting is written after the session is registered.
	if v := gaugeValue(t, reg, "mailserver_imap_sessions"); v != 3 {
		t.Errorf("sessions %v, want 3", v)
	}
	if v := gaugeValue(t, reg, "mailserver_imap_authenticated_sessions"); v != 2 {
		t.Errorf("logged in %v, want 2", v)
	}
	if v := gaugeValue(t, reg, "mailserver_imap_idle_sessions"); v != 0 {
		t.Errorf("idle %v before IDLE", v)
	}
	a.ok("SELECT INBOX")
	for i, rc := range []*rawConn{a, b} {
		fmt.Fprintf(rc.c, "I%d IDLE\r\n", i)
		if l := rc.readLine(); l == "" || l[0] != '+' {
			t.Fatalf("IDLE: %q", l)
		}
	}
	waitGauge(t, reg, "mailserver_imap_idle_sessions", 2) // the continuation comes before Idle runs
	fmt.Fprintf(a.c, "DONE\r\n")
	if l := a.readLine(); l[:3] != "I0 " {
		t.Fatalf("after DONE: %q", l)
	}
	waitGauge(t, reg, "mailserver_imap_idle_sessions", 1)
	b.c.Close() // leaves in the middle of IDLE
	waitGauge(t, reg, "mailserver_imap_idle_sessions", 0)
	waitGauge(t, reg, "mailserver_imap_sessions", 2)
	waitGauge(t, reg, "mailserver_imap_authenticated_sessions", 1)
	anon.c.Close()
	a.c.Close()
	waitGauge(t, reg, "mailserver_imap_sessions", 0)
}

// BenchmarkIdleMetric is the cost the metrics add to one IDLE command.
func BenchmarkIdleMetric(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.idling()()
	}
}
