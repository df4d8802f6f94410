package httpd

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestServerServesAndLimitsHeaders(t *testing.T) {
	s := NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello"))
	}), ServerOptions{ReadHeaderTimeout: 500 * time.Millisecond})
	addr := serveOn(t, s, false)

	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET: %s", resp.Status)
	}

	// A 1 MiB header is refused (431), the connection is not kept.
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 1<<20))
	resp, err = http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("1 MiB header: %s, want 431", resp.Status)
		}
	}

	// A client that never finishes its header is cut off.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a client that never finished its header was not cut off")
	}
	if err == nil && !strings.Contains(line, "408") {
		t.Fatalf("slow header got %q, want the connection closed", line)
	}
}

func TestServerRefusesAfterShutdown(t *testing.T) {
	s := NewServer(http.NotFoundHandler(), ServerOptions{})
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer b.Close()
	s.ServeConn(a, false)
	a.SetWriteDeadline(time.Now().Add(5 * time.Second)) // an open pipe would block: nobody reads
	if _, err := a.Write([]byte("x")); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("connection handed over after shutdown is still open")
	}
}
