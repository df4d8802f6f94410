package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"syscall"
	"time"

	"github.com/mailserver/mailserver/httpd/acme"
	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/queue/dnscache"
	"github.com/mailserver/mailserver/store"
)

// shutdownTimeout bounds the graceful shutdown after SIGINT or SIGTERM.
const shutdownTimeout = 30 * time.Second

// service is what each protocol server provides: ServeConn takes each
// connection the accept loop (accept.go) accepts on the service's
// listeners, and Shutdown, called once after the listeners are closed,
// waits for sessions to end until ctx expires. One service may serve
// several listeners.
type service interface {
	connServer
	Shutdown(context.Context) error
}

// listenerSpec is one listener a protocol file asks for. Build it with
// env.listener, which fills addr and implicitTLS from the config.
type listenerSpec struct {
	key         string // config key under [listen]: "smtp", "imaps", ...
	addr        string // "" = turned off; nothing is bound
	implicitTLS bool   // the service puts TLS on each connection (465, 995, 993)
	svc         service
}

// worker is a background task that lives as long as the server, such as
// the outbound queue's delivery scheduler. Run returns when ctx is
// cancelled (at shutdown); an earlier return with an error stops the
// server.
type worker interface {
	Run(ctx context.Context) error
}

// env is what the protocol files (serve_*.go) build their servers from.
// Fields shared between protocol files, such as the outbound queue that
// SMTP submits to, are added here and set by workers (serve_queue.go),
// which runs before the *Listeners functions.
type env struct {
	cfg   *Config
	store *store.Store
	tls   *tls.Config // server certificate, for STARTTLS and implicit TLS
	log   *slog.Logger
	queue *queue.Queue       // set by workers (serve_queue.go); SMTP submits to it
	dns   *dnscache.Resolver // set by workers: the one DNS cache, for the queue and smtpd
	// acmeHTTP wraps the plain-HTTP handler to answer ACME HTTP-01
	// challenges; nil when ACME is off.
	acmeHTTP func(http.Handler) http.Handler
	// trustedCert reports whether a CA-issued certificate is in place
	// (HSTS is sent only then); nil means no.
	trustedCert func() bool
	// acme renews the certificates when [tls] acme is on; nil otherwise.
	acme *acme.Manager
	// metrics is the one Prometheus registry and each package's metrics
	// (serve_metrics.go); its fields are nil when [listen] metrics is off.
	metrics *serverMetrics
}

// listener returns the spec for [listen] key served by svc, with the
// configured address and TLS mode.
func (e *env) listener(key string, svc service) listenerSpec {
	for _, l := range e.cfg.Listen.entries() {
		if l.key == key {
			return listenerSpec{key: key, addr: l.addr, implicitTLS: l.implicitTLS, svc: svc}
		}
	}
	// A programming error in a serve_*.go file; collectListeners reports it.
	return listenerSpec{key: key, svc: svc}
}

// bindError reports a listener that could not be bound, naming the key
// that moves it.
type bindError struct {
	key, addr string
	err       error
}

func (e *bindError) Error() string {
	hint := ""
	if errors.Is(e.err, syscall.EACCES) {
		hint = " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
	}
	return fmt.Sprintf("listen on %s: %v; change [listen] %s in the config%s", e.addr, e.err, e.key, hint)
}

func (e *bindError) Unwrap() error { return e.err }

// boundListener is a listener bound at start-up, before any is served.
type boundListener struct {
	listenerSpec
	ln net.Listener
}

// serve runs the server until ctx is cancelled (SIGINT or SIGTERM), then
// shuts down gracefully. Start-up either completes or leaves nothing open.
func serve(ctx context.Context, cfg *Config, log *slog.Logger) (err error) {
	if err := makeDataDir(cfg); err != nil {
		return err
	}
	metrics, err := newServerMetrics(cfg) // serve_metrics.go
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	storeOpts := storeOptions(cfg, log)
	storeOpts.Metrics = metrics.store
	st, err := store.Open(dbPath(cfg), storeOpts)
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("%w: is another mailserver serve running with data_dir %s?", err, cfg.DataDir)
		}
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	for _, d := range cfg.Domains {
		if err := st.AddDomain(ctx, d); err != nil && !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("add domain %q from the config: %w", d, err)
		}
	}
	if cur, max, err := raiseFileLimit(); err != nil {
		log.Warn("could not raise the open file limit", "soft", cur, "hard", max, "err", err)
	} else {
		log.Info("open file limit", "nofile", cur, "hard", max)
	}
	certs, err := loadTLS(cfg, st, log, time.Now())
	if err != nil {
		return err
	}
	e := &env{cfg: cfg, store: st, tls: certs.tls, log: log, trustedCert: certs.trusted, metrics: metrics}
	if certs.acme != nil {
		e.acmeHTTP = certs.acme.HTTPHandler
		e.acme = certs.acme
	}

	// Workers first: they may set env fields the listeners need.
	ws, err := workers(e)
	if err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	if certs.acme != nil {
		ws = append(ws, certs.acme) // obtains and renews (certs.go)
	}
	specs, err := collectListeners(e)
	if err != nil {
		return err
	}
	bound, err := bindAll(specs)
	if err != nil {
		return err
	}
	certs.listening(bound)
	direct := &directAdmin{st: st, q: e.queue}
	if certs.acme != nil {
		direct.domainAdded = certs.acme.Wake // order the new names at once
	}
	adm, err := listenAdmin(filepath.Join(cfg.DataDir, adminSocketFile),
		certAdminHandler(certs.acme, adminHandler(direct, log), log), log)
	if err != nil {
		for _, b := range bound {
			b.ln.Close()
		}
		return err
	}

	// From here on, everything runs; the code after the select undoes it.
	type exit struct {
		what string
		err  error
	}
	exits := make(chan exit, len(ws)+1)
	var running sync.WaitGroup
	workCtx, cancelWork := context.WithCancel(context.Background())
	defer cancelWork()
	for _, w := range ws {
		running.Go(func() {
			exits <- exit{fmt.Sprintf("worker %T", w), w.Run(workCtx)}
		})
	}
	stopAccepting := make(chan struct{})
	var accepting sync.WaitGroup
	for _, b := range bound {
		loop := &acceptLoop{ln: b.ln, srv: b.svc, implicitTLS: b.implicitTLS, log: log.With("key", b.key), stop: stopAccepting,
			watch: e.metrics.watch(b.key)}
		accepting.Go(func() {
			// A listener that stops for good is logged; the others, and
			// the sessions it started, carry on (one protocol's trouble
			// must not stop the rest).
			if err := loop.run(); err != nil {
				log.Error("listener stopped", "key", b.key, "addr", b.ln.Addr().String(), "err", err)
			}
		})
		log.Info("listening", "key", b.key, "addr", b.ln.Addr().String(), "implicit_tls", b.implicitTLS)
	}
	go func() { exits <- exit{"admin socket", adm.Serve()} }()
	log.Info("mailserver ready", "hostname", cfg.Hostname, "data_dir", cfg.DataDir, "admin_socket", adm.path)

	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", shutdownTimeout)
	case x := <-exits:
		// A worker or the admin socket ending before shutdown is a failure.
		if x.err == nil {
			x.err = errors.New("stopped unexpectedly")
		}
		failure = fmt.Errorf("%s: %w", x.what, x.err)
		log.Error("shutting down after a failure", "err", failure)
	}

	// Stop accepting first: no connection reaches a service after its
	// Shutdown has begun.
	close(stopAccepting)
	for _, b := range bound {
		b.ln.Close()
	}
	accepting.Wait()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Stop taking new mail and sessions and, at the same time, background
	// work: the queue lets deliveries in flight finish within its own
	// ShutdownTimeout (less than shutdownTimeout), which must not wait
	// for the sessions to drain first, or the store could close under it.
	// Mail accepted meanwhile needs only the store (queue.Submit), not the
	// scheduler. Then the admin socket; the store closes last (deferred
	// above).
	cancelWork()
	var wg sync.WaitGroup
	for _, svc := range distinctServices(bound) {
		wg.Go(func() {
			if err := svc.Shutdown(sctx); err != nil {
				log.Warn("shutdown", "service", fmt.Sprintf("%T", svc), "err", err)
			}
		})
	}
	wg.Wait()
	workersDone := make(chan struct{})
	go func() { running.Wait(); close(workersDone) }()
	select {
	case <-workersDone:
	case <-sctx.Done():
		log.Warn("workers did not stop before the shutdown deadline")
	}
	if err := adm.Shutdown(sctx); err != nil {
		log.Warn("shutdown admin socket", "err", err)
	}
	log.Info("stopped")
	return failure
}

// collectListeners gathers the protocol files' listeners and checks that
// every configured [listen] key is served exactly once.
func collectListeners(e *env) ([]listenerSpec, error) {
	var specs []listenerSpec
	for _, f := range []func(*env) ([]listenerSpec, error){smtpListeners, pop3Listeners, imapListeners, httpListeners, metricsListeners, manageSieveListeners} {
		s, err := f(e)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s...)
	}
	known := map[string]bool{}
	for _, l := range e.cfg.Listen.entries() {
		known[l.key] = true
	}
	served := map[string]bool{}
	for _, s := range specs {
		if !known[s.key] {
			return nil, fmt.Errorf("internal error: listener for unknown [listen] key %q", s.key)
		}
		if served[s.key] {
			return nil, fmt.Errorf("internal error: two listeners for [listen] %s", s.key)
		}
		if s.svc == nil || !reflect.TypeOf(s.svc).Comparable() {
			return nil, fmt.Errorf("internal error: [listen] %s needs a comparable (pointer) service", s.key)
		}
		served[s.key] = true
	}
	for _, l := range e.cfg.Listen.entries() {
		if l.addr != "" && !served[l.key] {
			return nil, fmt.Errorf("internal error: no server for [listen] %s", l.key)
		}
	}
	return specs, nil
}

// bindAll binds every listener with an address, or none: on the first
// failure it closes those already bound. The listeners are plain TCP; the
// services put TLS on implicit-TLS connections themselves.
func bindAll(specs []listenerSpec) ([]boundListener, error) {
	var bound []boundListener
	for _, s := range specs {
		if s.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			for _, b := range bound {
				b.ln.Close()
			}
			return nil, &bindError{key: s.key, addr: s.addr, err: bindCause(err)}
		}
		bound = append(bound, boundListener{s, ln})
	}
	return bound, nil
}

// bindCause strips "listen tcp :25: bind:" from a net.Listen error, which
// bindError says in its own words.
func bindCause(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

func distinctServices(bound []boundListener) []service {
	seen := map[service]bool{}
	var out []service
	for _, b := range bound {
		if !seen[b.svc] {
			seen[b.svc] = true
			out = append(out, b.svc)
		}
	}
	return out
}
