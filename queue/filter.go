package queue

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mailserver/mailserver/queue/sieve"
	"github.com/mailserver/mailserver/store"
)

// Sieve at local delivery (RFC 5228). For each local user a message
// reaches, prepare runs the user's active script (compiled once per
// script version, scriptCache) and turns its actions into parts of the
// one Submission stored for the message: copies in mailboxes (keep,
// fileinto with flags, :copy, :create), remote recipients of the
// outbound entry (redirect, with the SRS sender of alias forwarding),
// and further messages in the same transaction (vacation replies with
// their memory record, DSNs of reject). Everything is decided before the
// commit; a crash therefore loses or repeats none of it.
//
// The queue's own messages (DSNs, vacation replies) are not filtered.

// SieveStore is what filtering needs of the store (*store.Store).
type SieveStore interface {
	// ActiveSieveScript returns the user's active script; name "" when
	// none is. version changes with every change of it (S4).
	ActiveSieveScript(ctx context.Context, userID uint64) (name string, content []byte, version uint64, err error)
	// MaySendAs says whether address is the user's own (their address,
	// a +tag of it, or an alias that delivers to them).
	MaySendAs(ctx context.Context, user *store.User, address string) (bool, error)
}

// SieveOptions configure filtering at delivery.
type SieveOptions struct {
	// Store, if not nil, turns filtering on.
	Store SieveStore
	// Limits bound parsing and running (zero fields: the sieve package's
	// Default* constants, the one source of the defaults).
	Limits sieve.Limits
}

// maxCachedScripts bounds the compiled-script cache; when full it starts
// over.
const maxCachedScripts = 4096

// scriptCache keeps each user's compiled active script, keyed by the
// user and the script version (S4), so a delivery parses nothing.
type scriptCache struct {
	mu sync.Mutex
	m  map[uint64]*compiledScript
}

type compiledScript struct {
	version uint64
	name    string
	script  *sieve.Script
	err     error // the script does not compile (under the current limits)
	seconds bool  // it requires vacation-seconds (RFC 6131)
}

// script returns the user's compiled active script, nil when none is
// active.
func (q *Queue) script(ctx context.Context, userID uint64) (*compiledScript, error) {
	st := q.opts.Sieve.Store
	name, content, version, err := st.ActiveSieveScript(ctx, userID)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, nil
	}
	c := &q.scripts
	c.mu.Lock()
	cs := c.m[userID]
	c.mu.Unlock()
	if cs != nil && cs.version == version && cs.name == name {
		return cs, nil
	}
	cs = &compiledScript{version: version, name: name}
	cs.script, cs.err = sieve.Parse(content, q.opts.Sieve.Limits)
	if cs.err == nil {
		for _, r := range cs.script.Requires() {
			if strings.EqualFold(r, "vacation-seconds") {
				cs.seconds = true
			}
		}
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedScripts {
		c.m = map[uint64]*compiledScript{}
	}
	c.m[userID] = cs
	c.mu.Unlock()
	return cs, nil
}

// filtered is what one user's script made of a message.
type filtered struct {
	deliveries []store.LocalDelivery
	redirects  []string
	reject     *sieve.Reject
	vacation   *sieve.Vacation
	seconds    bool // the vacation period may be under a day (RFC 6131)
	script     string
}

// filterMessage is the message as scripts see it, read once per Submit.
type filterMessage struct {
	body *store.Body
	once sync.Once
	raw  []byte
	hdr  vacationHeader
	hdrs bool
}

func (m *filterMessage) bytes() []byte {
	m.once.Do(func() { m.raw = m.body.Bytes() })
	return m.raw
}

func (m *filterMessage) header() vacationHeader {
	if !m.hdrs {
		m.hdr, m.hdrs = parseVacationHeader(m.bytes()), true
	}
	return m.hdr
}

// filter runs user's active script on the message for the recipient
// rcpt. keep is the delivery of an implicit keep (INBOX, or Junk for
// spam). It returns nil when the user has no active script.
func (q *Queue) filter(ctx context.Context, env *Envelope, rcpt string, user *store.User, keep store.LocalDelivery, msg *filterMessage, now time.Time) (*filtered, error) {
	cs, err := q.script(ctx, user.ID)
	if err != nil || cs == nil {
		return nil, err
	}
	f := &filtered{script: cs.name, seconds: cs.seconds}
	if cs.err != nil {
		q.log.Error("sieve script does not compile; message kept in INBOX",
			"user", user.Address, "script", cs.name, "err", cs.err)
		f.deliveries = []store.LocalDelivery{keep}
		return f, nil
	}
	res, err := cs.script.Run(ctx, &sieve.Input{
		EnvelopeFrom: env.From, EnvelopeTo: rcpt, Message: msg.bytes(), Now: now,
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("sieve: %w", ctx.Err())
		}
		// RFC 5228 §2.10.6: a failed script keeps the message.
		q.log.Error("sieve script failed; message kept in INBOX",
			"user", user.Address, "script", cs.name, "err", err)
		f.deliveries = []store.LocalDelivery{keep}
		return f, nil
	}
	add := func(d store.LocalDelivery, flags []string) {
		d.Flags = storableFlags(flags)
		for i := range f.deliveries {
			o := &f.deliveries[i]
			if sameMailbox(o.Mailbox, d.Mailbox) && o.SpecialUse == d.SpecialUse {
				o.Flags = storableFlags(append(o.Flags, d.Flags...)) // RFC 5228 §4.1: once
				o.Create = o.Create || d.Create
				return
			}
		}
		f.deliveries = append(f.deliveries, d)
	}
	for _, a := range res.Actions {
		switch a := actionValue(a).(type) {
		case sieve.Keep:
			add(keep, a.Flags)
		case sieve.FileInto:
			add(store.LocalDelivery{UserID: user.ID, Mailbox: a.Mailbox, Create: a.Create, OrInbox: true}, a.Flags)
		case sieve.Redirect:
			f.redirects = append(f.redirects, a.Address)
		case sieve.Reject:
			f.reject = &a
		case sieve.Vacation:
			f.vacation = &a
		case sieve.Discard:
		}
	}
	if res.ImplicitKeep {
		add(keep, res.KeepFlags)
	}
	return f, nil
}

// actionValue returns an action as a value of its type (the package may
// hand out pointers).
func actionValue(a sieve.Action) sieve.Action {
	switch p := a.(type) {
	case *sieve.Keep:
		return *p
	case *sieve.FileInto:
		return *p
	case *sieve.Redirect:
		return *p
	case *sieve.Reject:
		return *p
	case *sieve.Vacation:
		return *p
	case *sieve.Discard:
		return *p
	}
	return a
}

// sameMailbox compares Sieve mailbox names: INBOX in any case.
func sameMailbox(a, b string) bool {
	if a == "" {
		a = "INBOX"
	}
	if b == "" {
		b = "INBOX"
	}
	if store.IsInbox(a) || store.IsInbox(b) {
		return store.IsInbox(a) && store.IsInbox(b)
	}
	return a == b
}

// storableFlags keeps the flags the store can set (imap4flags lets a
// script name any string), without duplicates (RFC 5232 §3: flags
// compare case-insensitively).
func storableFlags(flags []string) []string {
	var out []string
	for _, fl := range flags {
		if !store.ValidFlag(fl) {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || strings.EqualFold(o, fl)
		}
		if !dup {
			out = append(out, fl)
		}
	}
	return out
}

// RejectedError is what Submit returns when a Sieve reject refused the
// message for every recipient and the client may be told at once
// (Envelope.RejectAtData): nothing was stored, and smtpd answers 550
// 5.7.1 with Reason (RFC 5429 §2.1).
type RejectedError struct {
	Recipient string
	Reason    string // one line of printable ASCII
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("queue: rejected by the Sieve script of %s: %s", e.Recipient, e.Reason)
}

// rejectReplyText makes a reject reason fit an SMTP reply: one line of
// printable ASCII, bounded.
func rejectReplyText(reason string) string {
	var b strings.Builder
	space := false
	for _, r := range reason {
		switch {
		case r == '\r' || r == '\n' || r == '\t' || r == ' ':
			space = b.Len() > 0
			continue
		case r < ' ' || r == 0x7f:
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r >= 0x80 {
			r = '?'
		}
		b.WriteRune(r)
		if b.Len() >= 400 {
			break
		}
	}
	if b.Len() == 0 {
		return "Message rejected by the recipient's filter"
	}
	return b.String()
}

// rejection is a recipient whose script rejected the message.
type rejection struct {
	rcpt   Recipient
	user   string
	reason string
}

// redirectTask is a redirect action, routed once every recipient is.
type redirectTask struct {
	rcpt    Recipient
	user    *store.User
	address string
}

// rejectDSN is the DSN a Sieve reject sends the sender when the message
// cannot be refused at DATA (RFC 5429 §2.1: a DSN, RFC 3464), for the
// rejecting recipients whose NOTIFY allows it; nil for the null sender.
func (q *Queue) rejectDSN(ctx context.Context, env *Envelope, body *store.Body, rejections []rejection, now time.Time) (*store.Submission, error) {
	if env.From == "" {
		return nil, nil
	}
	m := &store.QueuedMessage{Sender: env.From, EnvelopeID: env.EnvelopeID, Ret: env.Ret, Size: body.Size(), Created: now}
	var rs []dsnRecipient
	for _, r := range rejections {
		qr := store.QueuedRecipient{Address: r.rcpt.Address, Notify: r.rcpt.Notify, ORcpt: r.rcpt.ORcpt}
		if !notifies(&qr, "FAILURE") {
			continue
		}
		q.log.Info("message rejected by a sieve script; DSN to the sender", "user", r.user, "from", env.From)
		rs = append(rs, dsnRecipient{rcpt: qr, action: actionFailed, o: permFail(550, "5.7.1", "%s", rejectReplyText(r.reason))})
	}
	if len(rs) == 0 {
		return nil, nil
	}
	dsn, err := q.buildDSN(m, rs, body.Reader(), now)
	if err != nil {
		return nil, fmt.Errorf("queue: reject: %w", err)
	}
	p, err := q.prepareDSN(ctx, env.From, dsn, now)
	if err != nil {
		return nil, fmt.Errorf("queue: reject: %w", err)
	}
	return p.sub, nil
}
