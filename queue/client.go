package queue

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/mailserver/mailserver/store"
)

// conn is an SMTP client session with one remote host, ready for MAIL.
type conn struct {
	c        *smtp.Client
	raw      *trackedConn
	host     string // the MX or relay host name (Remote-MTA)
	dest     string // the destination key it belongs to (connection pool)
	tls      string // TLS version ("TLS1.3"), "" for a plaintext session
	dsn      bool   // the server supports DSN (RFC 3461)
	utf8     bool   // SMTPUTF8 (RFC 6531)
	eightBit bool   // 8BITMIME (RFC 6152)
	maxSize  int    // SIZE limit, 0 if none
	reused   bool   // taken from the pool: a first failure may be its age
	stop     func() bool
}

// quitTimeout bounds the wait for the reply to QUIT, which ends idle
// sessions (also at shutdown): nothing depends on that reply.
const quitTimeout = 2 * time.Second

// close ends the session politely (QUIT) and releases the connection.
func (cn *conn) close() {
	cn.stop()
	cn.c.CommandTimeout = quitTimeout
	_ = cn.c.Quit() // QUIT closes the connection on success
	_ = cn.c.Close()
}

// abort drops the connection without QUIT (after a failure).
func (cn *conn) abort() {
	cn.stop()
	_ = cn.c.Close()
}

// requireTLS reports whether delivery to domain needs verified TLS.
func (q *Queue) requireTLS(domain string) bool {
	if q.opts.RequireTLS {
		return true
	}
	return slices.ContainsFunc(q.opts.RequireTLSDomains, func(d string) bool { return strings.EqualFold(d, domain) })
}

// connect opens a session for dest: to the relay when one is configured,
// else to the first MX host (and address) of the domain that answers.
func (q *Queue) connect(ctx context.Context, dest string) (*conn, *outcome) {
	if q.opts.Relay != nil {
		return q.connectRelay(ctx)
	}
	hosts, o := q.mxHosts(ctx, dest)
	if o != nil {
		return nil, o
	}
	required := q.requireTLS(dest)
	var last *outcome
	notFound, loops := 0, 0
	for _, host := range hosts {
		addrs, nf, err := q.hostAddrs(ctx, host)
		if err != nil {
			if nf {
				notFound++
			}
			o := tempFail("4.4.3", "address lookup for %s failed: %v", host, err)
			last = &o
			continue
		}
		for _, a := range addrs {
			if q.isSelf(a, q.opts.RemotePort) {
				loops++
				continue
			}
			cn, err := q.open(ctx, host, netip.AddrPortFrom(a, uint16(q.opts.RemotePort)), false, required)
			if err == nil {
				cn.dest = dest
				return cn, nil
			}
			if ctx.Err() != nil {
				o := notAttempted()
				return nil, &o
			}
			o := fromError(err, host)
			o.state = store.RcptDeferred // a host that fails: try the next, never bounce
			last = &o
		}
	}
	switch {
	case last == nil && loops > 0:
		o := permFail(554, "5.4.6", "mail for %s loops back to myself", dest)
		return nil, &o
	case notFound == len(hosts):
		// RFC 5321 §5.1: no address for any host (or no such domain).
		o := permFail(550, "5.1.2", "host or domain name not found: %s", dest)
		return nil, &o
	case last == nil:
		o := tempFail("4.4.1", "no usable address for %s", dest)
		return nil, &o
	}
	return nil, last
}

// connectRelay opens an authenticated session with the smarthost.
func (q *Queue) connectRelay(ctx context.Context) (*conn, *outcome) {
	r := q.opts.Relay
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, "587"
		if r.ImplicitTLS {
			port = "465"
		}
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		o := tempFail("4.3.5", "relay_host %q: bad port", r.Host)
		return nil, &o
	}
	addrs, _, err := q.hostAddrs(ctx, host)
	if err != nil {
		o := tempFail("4.4.3", "relay host %s: %v", host, err)
		return nil, &o
	}
	var last outcome
	for _, a := range addrs {
		// Credentials never travel in clear: with AUTH, TLS is required.
		cn, err := q.open(ctx, host, netip.AddrPortFrom(a, uint16(p)), r.ImplicitTLS, r.Username != "" || q.opts.RequireTLS)
		if err != nil {
			last = fromError(err, host)
			last.state = store.RcptDeferred
			continue
		}
		if r.Username != "" {
			if err := cn.c.Auth(sasl.NewPlainClient("", r.Username, r.Password)); err != nil {
				cn.abort()
				// Our credentials are wrong: defer (the mail is fine).
				last = fromError(err, host)
				last.state = store.RcptDeferred
				last.text = "relay authentication failed: " + last.text
				continue
			}
		}
		return cn, nil
	}
	return nil, &last
}

// open dials addr and greets it: implicit TLS, or STARTTLS when offered
// (verified when required, else opportunistic with a plaintext fallback).
func (q *Queue) open(ctx context.Context, host string, addr netip.AddrPort, implicit, required bool) (*conn, error) {
	cfg := &tls.Config{ServerName: host, RootCAs: q.opts.RootCAs, MinVersion: tls.VersionTLS12}
	if !required && !implicit {
		// Opportunistic TLS (RFC 3207 §4.1, RFC 7435): encryption
		// without authentication beats plaintext.
		cfg.InsecureSkipVerify = true
	}
	raw, err := q.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if implicit {
		c := smtp.NewClient(tls.Client(raw, cfg))
		if err := c.Hello(q.opts.Hostname); err != nil {
			c.Close()
			return nil, err
		}
		return q.greeted(ctx, c, raw, host, true), nil
	}
	c, err := smtp.NewClientStartTLS(raw, cfg)
	if err == nil {
		// The lazy TLS handshake happens here, with the real EHLO.
		if err = c.Hello(q.opts.Hostname); err == nil {
			return q.greeted(ctx, c, raw, host, true), nil
		}
		c.Close()
	}
	if ctx.Err() != nil || !raw.sawStartTLS() && raw.written() == 0 {
		return nil, err // the greeting failed: this host, not TLS
	}
	if required {
		return nil, fmt.Errorf("TLS required but not available: %w", err)
	}
	q.log.Debug("STARTTLS failed, falling back to plaintext", "host", host, "err", err)
	raw, err = q.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c = smtp.NewClient(raw)
	if err := c.Hello(q.opts.Hostname); err != nil {
		c.Close()
		return nil, err
	}
	return q.greeted(ctx, c, raw, host, false), nil
}

// greeted finishes a session set-up: timeouts, extensions, and closing
// the connection when ctx ends.
func (q *Queue) greeted(ctx context.Context, c *smtp.Client, raw *trackedConn, host string, isTLS bool) *conn {
	c.CommandTimeout = q.opts.CommandTimeout
	c.SubmissionTimeout = q.opts.FinalTimeout
	cn := &conn{c: c, raw: raw, host: host}
	if isTLS {
		if st, ok := c.TLSConnectionState(); ok {
			cn.tls = tlsVersionName(st.Version)
		}
	}
	cn.dsn, _ = c.Extension("DSN")
	cn.utf8, _ = c.Extension("SMTPUTF8")
	cn.eightBit, _ = c.Extension("8BITMIME")
	if n, ok := c.MaxMessageSize(); ok {
		cn.maxSize = n
	}
	cn.stop = context.AfterFunc(ctx, func() { raw.Close() })
	return cn
}

// tlsVersionName is the version for the log: "TLS1.3" (one word, so
// that tls=TLS1.3 stays one field of a log line).
func tlsVersionName(v uint16) string {
	return strings.ReplaceAll(tls.VersionName(v), " ", "")
}

// dial opens a TCP connection with the configured dialer.
func (q *Queue) dial(ctx context.Context, addr netip.AddrPort) (*trackedConn, error) {
	dctx, cancel := context.WithTimeout(ctx, q.opts.ConnectTimeout)
	defer cancel()
	c, err := q.opts.Dial(dctx, "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	return &trackedConn{Conn: c, ehlo: "EHLO " + q.opts.Hostname + "\r\n"}, nil
}

// trackedConn is the raw connection below TLS. It remembers what was
// written before TLS, so open can tell a refused greeting from a failed
// STARTTLS, and it replaces go-smtp's pre-STARTTLS "EHLO localhost" with
// our own name (RFC 5321 §4.1.4: EHLO carries the client's FQDN).
type trackedConn struct {
	net.Conn
	ehlo string

	mu       sync.Mutex
	n        int
	starttls bool
}

func (t *trackedConn) Write(b []byte) (int, error) {
	t.mu.Lock()
	first := t.n == 0
	t.n += len(b)
	if bytes.HasPrefix(b, []byte("STARTTLS")) {
		t.starttls = true
	}
	t.mu.Unlock()
	if first && string(b) == "EHLO localhost\r\n" {
		if _, err := t.Conn.Write([]byte(t.ehlo)); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return t.Conn.Write(b)
}

func (t *trackedConn) written() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

func (t *trackedConn) sawStartTLS() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.starttls
}

// isTooManyRecipients reports a 452 "too many recipients" reply
// (RFC 5321 §4.5.3.1.10): the rest go in another transaction.
func isTooManyRecipients(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && (se.Code == 452 || se.EnhancedCode == smtp.EnhancedCode{4, 5, 3})
}
