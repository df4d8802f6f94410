package webmail

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/mailserver/mailserver/httpd"
)

// TestEventsOutliveServerTimeouts serves the webmail as cmd does, through
// httpd.Server, with read and write timeouts far shorter than the stream
// stays open: the stream clears its read deadline and sets a write
// deadline per event, so an event after the timeouts still arrives.
func TestEventsOutliveServerTimeouts(t *testing.T) {
	e := newTestEnv(t)
	cert := e.srv.TLS.Certificates[0]
	srv := httpd.NewServer(e.h, httpd.ServerOptions{
		TLSConfig:   &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
	})
	t.Cleanup(func() { srv.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			srv.ServeConn(c, true)
		}
	}()
	url := "https://" + ln.Addr().String()
	jar, _ := cookiejar.New(nil)
	hc := *e.srv.Client()
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &client{e: e, hc: &hc}
	e.srv.URL, url = url, e.srv.URL // the client helpers use e.srv.URL
	defer func() { e.srv.URL = url }()
	c.mustLogin("alice@example.test")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/webmail/events", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	// Past both timeouts (this wait is set-up, not a measurement).
	time.Sleep(time.Second)
	e.deliver(e.alice, "INBOX", "Subject: late\n\nx\n")
	deadline := time.After(time.Minute)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream cut before the event")
			}
			if strings.HasPrefix(l, "event: change") {
				return
			}
		case <-deadline:
			t.Fatal(errors.New("no change event"))
		}
	}
}
