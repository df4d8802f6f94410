package queue

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/mailserver/mailserver/store"
)

// send runs SMTP transactions on cn for rcpts of m, one transaction for
// as many recipients as the server takes (RFC 5321 §4.5.3.1.10: after a
// 452 "too many recipients", the rest go in the next transaction). It
// returns one outcome per recipient, and whether cn is still usable.
// stale reports a pooled session that failed before anything happened, so
// the caller may try again with a fresh one.
func (q *Queue) send(cn *conn, m *store.QueuedMessage, rcpts []store.QueuedRecipient) (out []outcome, usable, stale bool) {
	out = make([]outcome, len(rcpts))
	all := func(o outcome, idx []int) {
		for _, i := range idx {
			out[i] = o
		}
	}
	pending := make([]int, len(rcpts))
	for i := range pending {
		pending[i] = i
	}
	// Refusals decided from the EHLO reply.
	switch {
	case m.SMTPUTF8 && !cn.utf8:
		// RFC 6531 §3.2: a message that needs SMTPUTF8 cannot be sent to
		// a server without it (and is not downgraded here).
		all(permFail(553, "5.6.7", "%s does not support SMTPUTF8, which the message needs", cn.host), pending)
		return out, true, false
	case m.Body8Bit && !cn.eightBit:
		// RFC 6152 §3: 8-bit content needs 8BITMIME (no conversion here).
		all(permFail(554, "5.6.3", "%s does not support 8BITMIME, which the message needs", cn.host), pending)
		return out, true, false
	case cn.maxSize > 0 && m.Size > int64(cn.maxSize):
		// RFC 1870 §6.
		all(permFail(552, "5.3.4", "message size %d exceeds the fixed limit %d of %s", m.Size, cn.maxSize, cn.host), pending)
		return out, true, false
	}
	mailOpts := &smtp.MailOptions{Size: m.Size, UTF8: m.SMTPUTF8}
	if cn.dsn {
		// RFC 3461 §5.2: pass the DSN parameters on to a server that
		// supports them.
		switch strings.ToUpper(m.Ret) {
		case "FULL":
			mailOpts.Return = smtp.DSNReturnFull
		case "HDRS":
			mailOpts.Return = smtp.DSNReturnHeaders
		}
		if isPrintable(m.EnvelopeID) {
			mailOpts.EnvelopeID = m.EnvelopeID
		}
	}
	first := true
	for len(pending) > 0 {
		if err := cn.c.Mail(m.Sender, mailOpts); err != nil {
			if first && cn.reused && isStale(err) {
				return out, false, true
			}
			all(fromError(err, cn.host), pending)
			return out, !isBroken(err), false
		}
		first = false
		var accepted, later []int
		for n, i := range pending {
			err := cn.c.Rcpt(rcpts[i].Address, q.rcptOptions(cn, &rcpts[i]))
			if err == nil {
				accepted = append(accepted, i)
				continue
			}
			if isTooManyRecipients(err) && len(accepted) > 0 {
				later = pending[n:]
				break
			}
			out[i] = fromError(err, cn.host)
			if isBroken(err) {
				all(out[i], pending[n:])
				all(out[i], accepted)
				return out, false, false
			}
		}
		if len(accepted) == 0 {
			if err := cn.c.Reset(); err != nil {
				return out, false, false
			}
			pending = later
			continue
		}
		if err := q.data(cn, m, rcpts, accepted, out); err != nil {
			all(fromError(err, cn.host), accepted)
			all(fromError(err, cn.host), later)
			return out, !isBroken(err), false
		}
		pending = later
	}
	return out, true, false
}

// data sends the body to the accepted recipients and records delivery.
func (q *Queue) data(cn *conn, m *store.QueuedMessage, rcpts []store.QueuedRecipient, accepted []int, out []outcome) error {
	body, err := q.st.OpenBody(m.BodyID)
	if err != nil {
		// Not the remote's fault: close the transaction and defer.
		_ = cn.c.Reset()
		q.log.Error("queue: open message body", "queue_id", m.ID, "err", err)
		o := tempFail("4.3.0", "local error reading the message")
		for _, i := range accepted {
			out[i] = o
		}
		return nil
	}
	w, err := cn.c.Data()
	if err != nil {
		return err
	}
	// go-smtp sets no deadline while the body is written: RFC 5321
	// §4.5.3.2.5 allows 3 minutes per block.
	dw := &deadlineWriter{w: w, conn: cn.raw, timeout: q.opts.DataTimeout}
	if _, err := io.Copy(dw, body); err != nil {
		return fmt.Errorf("write message: %w", err)
	}
	_ = cn.raw.SetWriteDeadline(time.Time{})
	resp, err := w.CloseWithResponse()
	if err != nil {
		return err
	}
	for _, i := range accepted {
		out[i] = delivered(cn.host, oneLine(resp.StatusText), !cn.dsn && notifies(&rcpts[i], "SUCCESS"))
	}
	return nil
}

// rcptOptions carries a recipient's DSN parameters to a server that
// supports DSN (RFC 3461 §5.2).
func (q *Queue) rcptOptions(cn *conn, r *store.QueuedRecipient) *smtp.RcptOptions {
	if !cn.dsn {
		return nil
	}
	o := &smtp.RcptOptions{}
	for _, n := range r.Notify {
		o.Notify = append(o.Notify, smtp.DSNNotify(strings.ToUpper(n)))
	}
	if typ, addr, ok := strings.Cut(r.ORcpt, ";"); ok {
		addr = strings.TrimSpace(addr)
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "rfc822":
			if isPrintable(addr) {
				o.OriginalRecipientType, o.OriginalRecipient = smtp.DSNAddressTypeRFC822, addr
			}
		case "utf-8":
			o.OriginalRecipientType, o.OriginalRecipient = smtp.DSNAddressTypeUTF8, addr
		}
	}
	return o
}

// deadlineWriter pushes the write deadline forward before every write.
type deadlineWriter struct {
	w       io.Writer
	conn    net.Conn
	timeout time.Duration
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	if err := d.conn.SetWriteDeadline(time.Now().Add(d.timeout)); err != nil {
		return 0, err
	}
	return d.w.Write(b)
}

// isBroken reports an error after which the session cannot go on: not an
// SMTP reply, or 421 (RFC 5321 §3.8: the server is closing).
func isBroken(err error) bool {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code == 421
	}
	return true
}

// isStale reports the failure of a pooled session the server closed
// while it was idle.
func isStale(err error) bool {
	return isBroken(err)
}

func isPrintable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}
