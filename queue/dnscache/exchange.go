package dnscache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// udpSize is the EDNS0 buffer size advertised (RFC 6891 §6.2.5; the 2020
// DNS flag day's 1232 octets avoids IP fragmentation).
const udpSize = 1232

// errServerFailed marks a reply that was no answer (SERVFAIL, REFUSED,
// a mismatched question): the next server is tried.
var errServerFailed = errors.New("server misbehaving")

// servers returns the servers to ask, in order.
func (r *Resolver) servers() []string {
	if r.opts.Server != "" {
		return []string{r.opts.Server}
	}
	cfg, err := dns.ClientConfigFromFile(r.opts.resolvConf)
	if err != nil || len(cfg.Servers) == 0 {
		return []string{"127.0.0.1:53"} // as Go's resolver does without resolv.conf
	}
	out := make([]string, len(cfg.Servers))
	for i, s := range cfg.Servers {
		out[i] = net.JoinHostPort(s, cfg.Port)
	}
	return out
}

// exchange asks the servers in turn (each Attempts times) until one gives
// an answer: a reply with NOERROR or NXDOMAIN. It returns that reply and
// the server, or the last error.
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, string, error) {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = true
	// RFC 6840 §5.7: ask the (validating) resolver to say whether the
	// answer is authenticated; a non-validating one ignores the bit.
	q.AuthenticatedData = true
	q.SetEdns0(udpSize, false)
	servers := r.servers()
	var lastErr error
	lastServer := servers[0]
	for range r.opts.Attempts {
		for _, srv := range servers {
			if ctx.Err() != nil {
				return nil, lastServer, ctx.Err()
			}
			resp, err := r.exchangeOne(ctx, q, srv)
			if err == nil {
				return resp, srv, nil
			}
			lastErr, lastServer = err, srv
		}
	}
	return nil, lastServer, lastErr
}

// exchangeOne asks one server over UDP and, if the reply is truncated,
// again over TCP (RFC 7766 §5).
func (r *Resolver) exchangeOne(ctx context.Context, q *dns.Msg, srv string) (*dns.Msg, error) {
	actx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	r.upstream.Add(1)
	resp, _, err := r.udp.ExchangeContext(actx, q, srv)
	if err == nil && resp.Truncated {
		r.upstream.Add(1)
		r.tcpRetries.Add(1)
		resp, _, err = r.tcp.ExchangeContext(actx, q, srv)
	}
	if err != nil {
		return nil, err
	}
	if len(resp.Question) != 1 || resp.Question[0].Qtype != q.Question[0].Qtype ||
		!strings.EqualFold(resp.Question[0].Name, q.Question[0].Name) {
		return nil, fmt.Errorf("%w: reply for another question", errServerFailed)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		if resp.Truncated {
			return nil, fmt.Errorf("%w: truncated reply over TCP", errServerFailed)
		}
		return resp, nil
	default:
		return nil, fmt.Errorf("%w: %s", errServerFailed, dns.RcodeToString[resp.Rcode])
	}
}

// newClients returns the UDP and TCP clients. The attempt's context sets
// the deadline; the clients' own timeouts only back it up.
func newClients(timeout time.Duration) (udp, tcp *dns.Client) {
	udp = &dns.Client{Net: "udp", UDPSize: udpSize, Timeout: timeout}
	tcp = &dns.Client{Net: "tcp", Timeout: timeout}
	return udp, tcp
}
