package httpd

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serveMetrics serves h on a loopback socket through a Server.
func serveMetrics(t *testing.T, h http.Handler) string {
	t.Helper()
	return serveOn(t, NewServer(h, ServerOptions{}), false)
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// brokenCollector fails to collect, as a store read at scrape time can.
type brokenCollector struct{ desc *prometheus.Desc }

func (c brokenCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c brokenCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.NewInvalidMetric(c.desc, errors.New("store: closed"))
}

// TestMetricsHandler: /metrics serves what the registry gathers in the
// text format, the rest of it when one collector fails; /healthz is 200
// "ok" or 503 with the reason on one line; other paths and methods are
// refused.
func TestMetricsHandler(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "mailserver_test_total", Help: "A test counter."})
	reg.MustRegister(c, brokenCollector{prometheus.NewDesc("mailserver_broken", "Fails.", nil, nil)})
	c.Add(3)
	var healthErr atomic.Pointer[error]
	addr := serveMetrics(t, MetricsHandler(reg, func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline on the health check")
		}
		if err := healthErr.Load(); err != nil {
			return *err
		}
		return nil
	}, nil))

	code, body, hdr := get(t, "http://"+addr+"/metrics")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", code, hdr.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	if f := fams["mailserver_test_total"]; f == nil || f.GetMetric()[0].GetCounter().GetValue() != 3 {
		t.Fatalf("mailserver_test_total missing or wrong:\n%s", body)
	}

	if code, body, hdr := get(t, "http://"+addr+"/healthz"); code != 200 || body != "ok\n" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("/healthz healthy: %d %q %v", code, body, hdr)
	}
	unhealthy := errors.New("store cannot commit:\nstore: closed")
	healthErr.Store(&unhealthy)
	if code, body, _ := get(t, "http://"+addr+"/healthz"); code != 503 || body != "store cannot commit: store: closed\n" {
		t.Fatalf("/healthz unhealthy: %d %q", code, body)
	}
	for _, path := range []string{"/", "/metrics/x", "/debug/pprof/"} {
		if code, _, _ := get(t, "http://"+addr+path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	resp, err := http.Post("http://"+addr+"/metrics", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %s, want 405", resp.Status)
	}
}
