package smtpd

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// session is one SMTP session, from EHLO (or from the EHLO after STARTTLS,
// which starts a new session) to the end of the connection.
type session struct {
	srv  *Server
	conn *smtp.Conn
	raw  *deadlineConn // nil only in odd setups (then no DATA deadline)
	log  *slog.Logger
	ip   netip.Addr
	helo string
	tls  *tls.ConnectionState // nil without TLS
	// filter is the command filter in go-smtp's input (cmdfilter.go);
	// nil if the guard turned it off.
	filter *commandFilter

	// user is the authenticated account (nil before AUTH). Written by the
	// AUTH exchange on the connection's goroutine.
	user *store.User

	// The transaction. mu guards it because go-smtp runs Data in another
	// goroutine for BDAT, while RSET may still reset the session.
	mu       sync.Mutex
	hasMail  bool
	mailUser *store.User // s.user when MAIL was given
	from     string
	mailOpts smtp.MailOptions
	rcpts    []queue.Recipient

	// dnsbl is the blocklist verdict on the client (dnsbl.go); nil if
	// not checked.
	dnsbl *dnsblVerdict
}

var _ smtp.AuthSession = (*session)(nil)

// newSession starts a session at HELO/EHLO.
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	sess := &session{
		srv:  s,
		conn: c,
		raw:  rawConn(c.Conn()),
		ip:   remoteIP(c.Conn()),
		helo: c.Hostname(),
	}
	if st, ok := c.TLSConnectionState(); ok {
		sess.tls = &st
	}
	if s.hooks.conn != nil {
		// At every NewSession: go-smtp builds a new reader chain after
		// STARTTLS, and the EHLO after it starts a new session.
		sess.filter = s.hooks.conn.installFilter(c, func(src io.Reader, pending []byte) *commandFilter {
			return newCommandFilter(src, pending, s.rw, s.opts.MaxLineLength)
		})
	}
	sess.log = s.log.With("remote", sess.ip.String(), "session", newID())
	sess.dnsbl = s.startDNSBL(sess)
	return sess, nil
}

// newID returns a random identifier for logs and Received.
func newID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// Reset discards the transaction (RSET, a new EHLO, after DATA).
func (s *session) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hasMail, s.mailUser, s.from, s.mailOpts, s.rcpts = false, nil, "", smtp.MailOptions{}, nil
}

// Logout ends the session (QUIT, STARTTLS, connection closed).
func (s *session) Logout() error { return nil }

// Mail starts a transaction (RFC 5321 §4.1.1.2).
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.srv.closing.Load() {
		return errShuttingDown
	}
	s.mu.Lock()
	nested := s.hasMail
	s.mu.Unlock()
	if nested {
		// RFC 5321 §4.1.4: MAIL inside a transaction is a bad sequence
		// (go-smtp v0.25.1 passes it to Session.Mail like the first);
		// the transaction and its recipients stay as they are.
		return errNestedMail
	}
	if len(opts.EnvelopeID) > maxEnvIDLen {
		// RFC 3461 §4.4 (the command filter checks the xtext as sent;
		// this is what is left of the rule when it is off).
		return errBadParam
	}
	submission := s.srv.opts.Mode != ModeMX
	if submission && s.user == nil {
		// RFC 6409 §4.3, RFC 4954 §6.
		return errAuthRequired
	}
	if hasControl(from) {
		return errBadFromSyntax
	}
	if !opts.UTF8 && !isASCII(from) {
		return errNeedUTF8
	}
	if submission {
		ok, err := s.srv.opts.Store.MaySendAs(s.srv.ctx, s.user, from)
		if err != nil {
			return reply(s.log, "MAIL", err)
		}
		if !ok {
			s.log.Warn("sender refused", "user", s.user.Address, "from", from)
			return errNotOwner
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hasMail, s.mailUser, s.from, s.mailOpts, s.rcpts = true, s.user, from, *opts, nil
	return nil
}

// Rcpt applies the recipient policy (RFC 5321 §4.1.1.3, §3.6.2).
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.mu.Lock()
	utf8, size := s.mailOpts.UTF8, s.mailOpts.Size
	s.mu.Unlock()
	if !utf8 && !isASCII(to) {
		return errNeedUTF8
	}
	if len(opts.OriginalRecipient) > maxORcptLen {
		return errBadParam // RFC 3461 §4.2
	}
	addr, err := recipientAddress(to)
	if local, ok := cutSuffixFold(to, "@"+postmasterDomain); ok && strings.EqualFold(local, "postmaster") {
		// RCPT TO:<Postmaster>, as the command filter passes it through
		// go-smtp (cmdrewrite.go): the store routes the bare postmaster
		// (RFC 5321 §4.5.1).
		addr, err = "postmaster", nil
	}
	if err != nil {
		return reply(s.log, "RCPT", err)
	}
	ctx := s.srv.ctx
	routes, local, err := s.srv.opts.Store.Resolve(ctx, addr)
	if err != nil {
		s.log.Info("recipient refused", "rcpt", to, "err", err)
		return reply(s.log, "RCPT", err)
	}
	if refuse := s.dnsbl.wait(ctx); refuse != nil && s.user == nil && !(local && isPostmaster(addr)) {
		// After RCPT, so that postmaster still gets through (RFC 5321
		// §4.5.1); the lookups began when the session did.
		return refuse
	}
	if !local && !s.mayRelay() {
		s.log.Warn("relay denied", "rcpt", to)
		return errRelayDenied
	}
	for _, r := range routes {
		if r.Local == nil {
			continue
		}
		if err := s.srv.opts.Store.CheckQuota(ctx, r.Local.ID, size); err != nil {
			s.log.Info("recipient over quota", "rcpt", to, "err", err)
			return reply(s.log, "RCPT", err)
		}
	}
	rc := queue.Recipient{Address: addr, Resolved: true, Routes: routes, Local: local}
	for _, n := range opts.Notify {
		rc.Notify = append(rc.Notify, string(n))
	}
	if opts.OriginalRecipient != "" {
		// RFC 3461 §4.2: keep ORCPT as "addr-type;addr".
		rc.ORcpt = strings.ToLower(string(opts.OriginalRecipientType)) + ";" + opts.OriginalRecipient
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpts = append(s.rcpts, rc)
	return nil
}

// mayRelay reports whether this session may send to non-local domains:
// after AUTH, or on port 25 from a trusted network.
func (s *session) mayRelay() bool {
	if s.user != nil {
		return true
	}
	return s.srv.opts.Mode == ModeMX && s.srv.trusted(s.ip)
}

// recipientAddress checks the shape go-smtp left of a RCPT TO path and
// returns it with the domain in canonical form (lower case, no trailing
// dot). Everything else (dot-atom local part without '%' or '!', no IP
// literal) is store.Resolve's rule, which the queue applies again.
func recipientAddress(to string) (string, error) {
	at := strings.LastIndexByte(to, '@')
	if at <= 0 || at == len(to)-1 || hasControl(to) {
		return "", errBadRcptSyntax
	}
	// One trailing dot (a root-anchored domain) is the same domain; more
	// is malformed. Resolve must see the result, not strip again.
	d := strings.TrimSuffix(to[at+1:], ".")
	if d == "" || strings.HasSuffix(d, ".") {
		return "", errBadRcptSyntax
	}
	return to[:at] + "@" + strings.ToLower(d), nil
}

// cutSuffixFold is strings.CutSuffix ignoring case.
func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return "", false
	}
	return s[:len(s)-len(suffix)], true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
