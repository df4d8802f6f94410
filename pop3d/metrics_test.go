package pop3d

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sessionsGauge gathers reg and returns mailserver_pop3_sessions.
func sessionsGauge(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "mailserver_pop3_sessions" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no mailserver_pop3_sessions")
	return 0
}

// TestSessionMetrics: the sessions gauge follows clients on both
// listeners, logged in or not, until they QUIT or drop.
func TestSessionMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) { o.Metrics = m })
	a := dial(t, e.addr)
	a.expectOK("USER " + alice)
	a.expectOK("PASS " + password)
	b := dialTLS(t, e.tlsAddr, e.cert)
	if v := sessionsGauge(t, reg); v != 2 {
		t.Fatalf("sessions %v, want 2", v)
	}
	a.expectOK("QUIT")
	b.conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for sessionsGauge(t, reg) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sessions %v after both left, want 0", sessionsGauge(t, reg))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
