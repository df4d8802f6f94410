package main

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"
)

// connServer is what the accept loop hands connections to: smtpd, pop3d
// and imapd servers (contract C1). ServeConn returns at once; the server
// owns c from then on, and for implicitTLS puts TLS on it itself.
type connServer interface {
	ServeConn(c net.Conn, implicitTLS bool)
}

// Accept back-off, as net/http.Server.Serve does: 5 ms, doubling, at most
// 1 s between attempts while accept keeps failing temporarily.
const (
	acceptMinDelay = 5 * time.Millisecond
	acceptMaxDelay = time.Second
	// acceptLogEvery rate-limits the log line of a failing accept: a
	// descriptor shortage lasts as long as the connections holding the
	// descriptors, and a line per retry would flood the log.
	acceptLogEvery = 10 * time.Second
)

// acceptLoop is the one accept loop of every listener (contract C1).
type acceptLoop struct {
	ln          net.Listener
	srv         connServer
	implicitTLS bool
	log         *slog.Logger
	// stop is closed at shutdown, to cut a back-off sleep short.
	stop <-chan struct{}
	// sleep waits d or until stop is closed (tests replace it).
	sleep func(d time.Duration, stop <-chan struct{})
	// watch counts connections and tells /healthz whether the loop runs
	// (serve_metrics.go); nil without metrics.
	watch *listenerWatch
}

// run accepts until the listener is closed, and returns nil then. On a
// temporary error (descriptors exhausted: EMFILE, ENFILE; kernel memory:
// ENOBUFS, ENOMEM; an aborted connection; a timeout) it backs off and tries
// again, however long the condition lasts: connections already open keep
// being served, and accepting resumes once descriptors are free. Any other
// error ends this listener only, and is returned.
func (a *acceptLoop) run() error {
	sleep := a.sleep
	if sleep == nil {
		sleep = sleepOrStop
	}
	var (
		delay      time.Duration
		lastLog    time.Time
		suppressed int
	)
	a.watch.started()
	defer a.watch.stopped()
	for {
		c, err := a.ln.Accept()
		if err == nil {
			if delay > 0 {
				a.log.Info("accepting again", "addr", a.ln.Addr().String(), "failures_not_logged", suppressed)
				delay, suppressed = 0, 0
			}
			a.srv.ServeConn(a.watch.accepted(c), a.implicitTLS)
			continue
		}
		if errors.Is(err, net.ErrClosed) || isClosed(a.stop) {
			return nil
		}
		if !temporaryAcceptError(err) {
			return err
		}
		delay = min(max(2*delay, acceptMinDelay), acceptMaxDelay)
		if now := time.Now(); now.Sub(lastLog) >= acceptLogEvery {
			a.log.Warn("accept failed; retrying", "addr", a.ln.Addr().String(), "err", err, "delay", delay, "failures_not_logged", suppressed)
			lastLog, suppressed = now, 0
		} else {
			suppressed++
		}
		sleep(delay, a.stop)
	}
}

// temporaryAcceptError reports whether accept may succeed later.
func temporaryAcceptError(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.EPROTO} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func sleepOrStop(d time.Duration, stop <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit (every
// connection is a descriptor; the soft limit is often 1024) and returns the
// limit now in force. The Go runtime does the same since Go 1.19, but only
// when package os is initialised, and says nothing: serve logs the figure,
// so that an operator sees how many connections the process can hold.
func raiseFileLimit() (cur, max uint64, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, err
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			return lim.Cur, lim.Max, err
		}
		lim = raised
	}
	return lim.Cur, lim.Max, nil
}
