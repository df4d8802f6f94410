package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/smtpd/rspamd"
	"github.com/mailserver/mailserver/store"
)

// SpamScanner scans a received message (*rspamd.Client).
type SpamScanner interface {
	Check(ctx context.Context, msg io.Reader, size int64, m *rspamd.Meta) (*rspamd.Result, error)
}

// SpamOnError says what happens to a message rspamd could not scan (down,
// slow beyond its timeout, a bad reply).
type SpamOnError int

const (
	// SpamAccept delivers it with a header saying it was not scanned.
	SpamAccept SpamOnError = iota
	// SpamTempFail answers 451 4.7.1: the sender retries later.
	SpamTempFail
)

// SpamOptions turn on spam filtering of received mail.
type SpamOptions struct {
	Scanner SpamScanner
	OnError SpamOnError
	// Submission scans authenticated and trusted-network mail too (an
	// account sending spam after its password leaked); off, only mail
	// from the internet on port 25 is scanned.
	Submission bool
	// OnResult, if set, is told of every scan: the action ("" when the
	// scan failed) and how long it took (for metrics).
	OnResult func(action string, took time.Duration, err error)
}

// Replies to rspamd's actions.
var (
	errSpamTemp = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
		Message: "Message deferred by the spam filter, try again later"}
	errSpamUnavailable = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1},
		Message: "Spam filter unavailable, try again later"}
)

// spamFields are the header fields the filter's verdict is written in;
// copies the sender put in the message are removed, so that what a user
// (or a Sieve/client rule) sees is ours.
var spamFields = []string{"X-Spamd-Result", "X-Spam-Score", "X-Spam", "X-Spam-Status", "X-Spamd-Bar", "X-Spam-Level", "X-Spam-Flag"}

// shouldScan reports whether this transaction's message goes to rspamd.
func (s *session) shouldScan(tx *transaction) bool {
	o := s.srv.opts.Spam
	if o == nil || o.Scanner == nil {
		return false
	}
	if s.srv.opts.Mode == ModeMX && tx.user == nil && !s.srv.trusted(s.ip) {
		return true
	}
	return o.Submission
}

// scanSpam asks rspamd about body and applies its action: reject (550
// 5.7.1, with rspamd's text), soft reject or greylist (451 4.7.1), add
// header or rewrite subject (spam: the recipients' Junk, with the
// verdict's header fields), no action (the score fields only). It runs
// after DATA, before the message is stored; nothing is locked meanwhile.
// The scan is bounded by the scanner's timeout and by the session.
func (s *session) scanSpam(id string, tx *transaction, body *store.Body) (*store.Body, bool, error) {
	o := s.srv.opts.Spam
	m := &rspamd.Meta{
		IP: s.ip.Unmap().String(), Helo: s.helo, From: tx.from, QueueID: id, MTAName: s.srv.opts.Hostname,
	}
	if tx.user != nil {
		m.User = tx.user.Address
	}
	for _, r := range tx.rcpts {
		m.Rcpts = append(m.Rcpts, r.Address)
	}
	if s.tls != nil {
		m.TLS = tls.CipherSuiteName(s.tls.CipherSuite)
		m.TLSVer = tls.VersionName(s.tls.Version)
	}
	start := time.Now()
	res, err := o.Scanner.Check(s.srv.ctx, body.Reader(), body.Size(), m)
	took := time.Since(start)
	if o.OnResult != nil {
		action := ""
		if res != nil {
			action = res.Action
		}
		o.OnResult(action, took, err)
	}
	if err != nil {
		if s.srv.ctx.Err() != nil {
			return nil, false, errShuttingDown
		}
		if s.srv.spamWarn.allow(time.Now()) {
			s.log.Warn("spam filter unavailable", "id", id, "on_error", o.OnError.String(), "took", took, "err", err)
		}
		if o.OnError == SpamTempFail {
			return nil, false, errSpamUnavailable
		}
		body = withoutFields(body, readHeaderBlock(body.Reader()), spamFields)
		body.Prepend([]byte(rspamd.UnscannedHeader))
		return body, false, nil
	}
	s.log.Info("message scanned", "id", id, "action", res.Action, "score", res.Score, "took", took)
	switch res.Action {
	case rspamd.ActionReject:
		text := sanitizeReply(res.SMTPMessage())
		if text == "" {
			text = "Message refused as spam"
		}
		return nil, false, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: text}
	case rspamd.ActionSoftReject, rspamd.ActionGreylist:
		if text := sanitizeReply(res.SMTPMessage()); text != "" {
			return nil, false, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: text}
		}
		return nil, false, errSpamTemp
	}
	drop := spamFields
	if res.Action == rspamd.ActionRewriteSubj && res.Subject != "" {
		drop = append(append([]string(nil), spamFields...), "Subject")
	}
	body = withoutFields(body, readHeaderBlock(body.Reader()), drop)
	head := res.Headers()
	if len(drop) > len(spamFields) {
		head += "Subject: " + mime.QEncoding.Encode("utf-8", sanitizeHeaderValue(res.Subject)) + "\r\n"
	}
	body.Prepend([]byte(head))
	return body, res.IsSpam(), nil
}

func (e SpamOnError) String() string {
	if e == SpamTempFail {
		return "tempfail"
	}
	return "accept"
}

// ParseSpamOnError reads "accept" or "tempfail".
func ParseSpamOnError(s string) (SpamOnError, error) {
	switch s {
	case "accept":
		return SpamAccept, nil
	case "tempfail":
		return SpamTempFail, nil
	}
	return 0, errors.New(`must be "accept" or "tempfail"`)
}

// withoutFields returns body without the header fields named in names
// (case-insensitive), as withoutForgedResults does for
// Authentication-Results.
func withoutFields(body *store.Body, h *headerBlock, names []string) *store.Body {
	var drop []headerField
	for _, f := range h.fields {
		for _, n := range names {
			if strings.EqualFold(f.name, n) {
				drop = append(drop, f)
				break
			}
		}
	}
	if len(drop) == 0 {
		return body
	}
	r := body.Reader()
	if _, err := io.CopyN(io.Discard, r, int64(len(h.raw))); err != nil {
		return body
	}
	rest, err := io.ReadAll(r)
	if err != nil {
		return body
	}
	out := make([]byte, 0, len(h.raw)+len(rest))
	pos := 0
	for _, f := range drop {
		out = append(out, h.raw[pos:f.start]...)
		pos = f.end
	}
	out = append(out, h.raw[pos:]...)
	out = append(out, rest...)
	return store.NewBody(out)
}

// sanitizeReply keeps a filter's text fit for an SMTP reply line:
// printable ASCII, at most 200 octets.
func sanitizeReply(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < 200; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte(' ')
		}
	}
	return strings.TrimSpace(b.String())
}

// sanitizeHeaderValue keeps a value on one line (no CR or LF).
func sanitizeHeaderValue(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// warnLimiter lets one warning through per interval (a filter that is
// down would otherwise log every message).
type warnLimiter struct {
	mu   sync.Mutex
	last time.Time
}

const spamWarnInterval = time.Minute

func (w *warnLimiter) allow(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.last.IsZero() && now.Sub(w.last) < spamWarnInterval {
		return false
	}
	w.last = now
	return true
}
