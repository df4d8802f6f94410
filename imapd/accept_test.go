package imapd

import (
	"net"
	"sync"
	"testing"
)

// testAccept is the tests' accept loop (cmd/mailserver's accept.go is the
// real one): it hands every connection accepted on ln to srv.ServeConn
// until stopped.
type testAccept struct {
	ln   net.Listener
	done chan struct{}
	once sync.Once
}

// acceptInto starts a testAccept on ln for srv; the test's cleanup stops it.
func acceptInto(t testing.TB, ln net.Listener, srv *Server, implicitTLS bool) *testAccept {
	a := &testAccept{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			srv.ServeConn(c, implicitTLS)
		}
	}()
	t.Cleanup(a.stop)
	return a
}

// stop closes the listener and waits for the loop to end.
func (a *testAccept) stop() {
	a.once.Do(func() { a.ln.Close() })
	<-a.done
}

// listenTLS starts an implicit-TLS listener (port 993's path) for e's
// server and returns its address.
func (e *testEnv) listenTLS() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	acceptInto(e.t, ln, e.srv, true)
	return ln.Addr().String()
}
