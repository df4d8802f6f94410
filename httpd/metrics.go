package httpd

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HealthFunc reports whether the server is healthy: nil, or why not.
type HealthFunc func(ctx context.Context) error

// healthTimeout bounds one health check (a group commit, normally a few
// milliseconds); a store that cannot commit within it is not healthy.
const healthTimeout = 5 * time.Second

// MetricsHandler serves the metrics listener: /metrics, Prometheus's text
// exposition of everything g gathers, and /healthz, 200 "ok" when health
// returns nil and 503 with a one-line reason otherwise. Everything else
// is 404. A metric that fails to collect is logged and left out; the
// rest of the scrape is served.
func MetricsHandler(g prometheus.Gatherer, health HealthFunc, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := health(ctx); err != nil {
			log.Warn("health check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(healthLine(err.Error()) + "\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}

// healthLine folds a reason onto one line.
func healthLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
