package smtpd

import (
	"io"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/queue"
	"github.com/mailserver/mailserver/store"
)

// receive receives a message (DATA, or BDAT chunks through a pipe), checks
// it, adds the trace header and hands it to the queue, for Data
// (metrics.go). It returns nil, and go-smtp answers 250, only after
// queue.Submit has committed the message to disk (RFC 5321 §4.1.1.4,
// §6.1: accepting means taking responsibility).
func (s *session) receive(r io.Reader) error {
	// go-smtp v0.25.1 runs Data for BDAT in a goroutine, over a pipe that
	// the chunks are copied into, and for DATA over its dot reader.
	_, bdat := r.(*io.PipeReader)
	if bdat && s.filter == nil {
		return errNoBDAT
	}
	if !bdat && s.filter != nil {
		s.filter.beginData() // go-smtp has answered DATA with 354
	}
	s.srv.busy.Add(1)
	defer s.srv.busy.Add(-1)
	if s.raw != nil {
		s.raw.beginData(s.srv.opts.DataTimeout)
		defer s.raw.endData()
	}

	s.mu.Lock()
	tx := transaction{
		user: s.mailUser, from: s.from, opts: s.mailOpts,
		rcpts: append([]queue.Recipient(nil), s.rcpts...),
	}
	s.mu.Unlock()

	id := newID()
	submission := s.srv.opts.Mode != ModeMX
	received := s.received(id, &tx)
	dr, done := r, func() {}
	if s.filter != nil {
		// The fast path relies on the filter (gosmtpguard.go).
		dr, done = s.srv.hooks.fast.fastData(r, s.conn)
	}
	defer done()
	scan := &contentScanner{r: dr}
	if bdat {
		// go-smtp sets its line limit to 0 while it copies BDAT chunks;
		// the same limit as for DATA applies (RFC 5321 §4.5.3.1.6).
		scan.maxLine = s.srv.opts.MaxLineLength
	}
	var body *store.Body
	var err error
	if submission {
		// Header fields may be added (below), so the trace field is
		// prepended afterwards, to stay on top.
		body, err = store.ReadBody(scan, s.srv.opts.MaxMessageBytes)
	} else {
		// Reading the trace field in front of the data saves a copy.
		body, err = store.ReadBody(io.MultiReader(strings.NewReader(received), scan),
			s.srv.opts.MaxMessageBytes+int64(len(received)))
	}
	if err != nil {
		s.log.Info("message not received", "id", id, "err", err)
		return reply(s.log, "DATA", err)
	}
	if bdat && scan.octets == 0 {
		s.log.Info("message refused: empty", "id", id)
		return errEmptyMessage
	}
	if scan.smuggling {
		s.log.Warn("message refused: bare CR or LF around a dot line (smuggling attempt?)", "id", id, "from", tx.from)
		return errBareCRLF
	}
	if submission {
		extra, err := s.checkSubmission(body, &tx)
		if err != nil {
			return reply(s.log, "DATA", err)
		}
		body.Prepend([]byte(received + extra))
	}
	junk := false
	if s.srv.verify != nil && tx.user == nil && !s.srv.trusted(s.ip) {
		if body, junk, err = s.verifyInbound(id, &tx, body); err != nil {
			return err
		}
	}
	spam := false
	if s.shouldScan(&tx) {
		if body, spam, err = s.scanSpam(id, &tx, body); err != nil {
			s.log.Info("message refused by the spam filter", "id", id, "from", tx.from, "reply", err)
			return err
		}
	}

	env := &queue.Envelope{
		From:       tx.from,
		Recipients: tx.rcpts,
		EnvelopeID: tx.opts.EnvelopeID,
		Ret:        string(tx.opts.Return),
		SMTPUTF8:   tx.opts.UTF8,
		Body8Bit:   tx.opts.Body == smtp.Body8BitMIME || tx.opts.Body == smtp.BodyBinaryMIME || scan.eightBit,
		Junk:       junk,
		Spam:       spam,
		// Port 25: a Sieve reject of every recipient is a 550 here.
		RejectAtData: !submission,
	}
	if tx.user != nil {
		env.AuthUser = tx.user.Address
	} else {
		// A trusted network may send as the local domains: its mail is
		// signed (queue/dkim.go), as authenticated mail is.
		env.Trusted = s.mayRelay()
	}
	res, err := s.srv.opts.Queue.Submit(s.srv.ctx, env, body)
	if err != nil {
		return reply(s.log, "DATA", err)
	}
	for _, f := range res.Failed {
		// RCPT checked these; a quota that filled meanwhile lands here.
		s.log.Warn("recipient not delivered", "id", id, "rcpt", f.Address, "err", f.Err)
	}
	if res.Local+res.Remote+res.Filtered == 0 {
		if len(res.Failed) > 0 {
			return reply(s.log, "DATA", res.Failed[0].Err)
		}
		return errNoneStored
	}
	s.srv.opts.Metrics.messageAccepted(s.srv.opts.Mode, body.Size()) // metrics.go
	s.log.Info("message accepted", "id", id, "from", tx.from, "rcpts", len(tx.rcpts),
		"size", body.Size(), "local", res.Local, "remote", res.Remote, "queue_id", res.QueueID)
	return nil
}

// transaction is a snapshot of the envelope taken when Data starts.
type transaction struct {
	user  *store.User
	from  string
	opts  smtp.MailOptions
	rcpts []queue.Recipient
}
