package queue

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/mailserver/mailserver/store"
)

// Actions of a DSN recipient (RFC 3464 §2.3.3).
const (
	actionFailed    = "failed"
	actionDelayed   = "delayed"
	actionDelivered = "delivered"
	actionRelayed   = "relayed"
)

// maxFullReturn is the largest original message a DSN returns whole for
// RET=FULL; a larger one gets its header only (RFC 3461 §4.3 lets the
// MTA return headers when it will not return the whole message).
const maxFullReturn = 10 << 20

// notifies reports whether a recipient's NOTIFY asks for a DSN of kind
// SUCCESS, FAILURE or DELAY. RFC 3461 §4.1: without NOTIFY an MTA may
// act as for FAILURE or FAILURE,DELAY; we do the latter.
func notifies(r *store.QueuedRecipient, kind string) bool {
	if len(r.Notify) == 0 {
		return kind == "FAILURE" || kind == "DELAY"
	}
	for _, n := range r.Notify {
		if strings.EqualFold(n, "NEVER") {
			return false
		}
	}
	for _, n := range r.Notify {
		if strings.EqualFold(n, kind) {
			return true
		}
	}
	return false
}

// dsnRecipient is one per-recipient block of a DSN.
type dsnRecipient struct {
	rcpt   store.QueuedRecipient
	action string
	o      outcome
	until  time.Time // Will-Retry-Until, for delayed
}

// buildDSN writes an RFC 3464 delivery status notification for m, to be
// sent to m.Sender with the null reverse path. orig reads the original
// message (with CRLF line endings).
func (q *Queue) buildDSN(m *store.QueuedMessage, rcpts []dsnRecipient, orig io.Reader, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	var h message.Header
	subject := "Successful Mail Delivery Report"
	summary := "Your message was delivered to the following recipients."
	for _, r := range rcpts {
		if r.action == actionDelayed {
			subject = "Delayed Mail (still being retried)"
			summary = "Your message could not be delivered yet to the following recipients.\r\nThe mail system will keep trying; no action is needed on your part."
		}
	}
	for _, r := range rcpts {
		if r.action == actionFailed {
			subject = "Undelivered Mail Returned to Sender"
			summary = "Your message could not be delivered to one or more recipients.\r\nIt is attached below."
		}
	}
	host := q.opts.Hostname
	h.SetContentType("multipart/report", map[string]string{"report-type": "delivery-status"})
	h.Set("MIME-Version", "1.0")
	h.Set("Auto-Submitted", "auto-replied") // RFC 3834 §5: no auto-reply loops
	h.Set("Message-Id", "<"+randomToken(16)+"@"+host+">")
	h.Set("Subject", subject)
	h.Set("To", "<"+m.Sender+">")
	h.Set("From", "Mail Delivery System <MAILER-DAEMON@"+host+">")
	h.Set("Date", now.Format(time.RFC1123Z))
	w, err := message.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}

	// Part 1: for humans.
	var text strings.Builder
	fmt.Fprintf(&text, "This is the mail system at host %s.\r\n\r\n%s\r\n\r\n", host, summary)
	for _, r := range rcpts {
		fmt.Fprintf(&text, "<%s>: %s\r\n", r.rcpt.Address, r.o.String())
	}
	var th message.Header
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	th.Set("Content-Description", "Notification")
	if err := writePart(w, th, []byte(text.String())); err != nil {
		return nil, err
	}

	// Part 2: RFC 3464 §2.2 per-message and §2.3 per-recipient fields.
	var ds strings.Builder
	fmt.Fprintf(&ds, "Reporting-MTA: dns; %s\r\n", host)
	if m.EnvelopeID != "" {
		fmt.Fprintf(&ds, "Original-Envelope-Id: %s\r\n", m.EnvelopeID)
	}
	fmt.Fprintf(&ds, "Arrival-Date: %s\r\n", m.Created.Format(time.RFC1123Z))
	for _, r := range rcpts {
		ds.WriteString("\r\n")
		fmt.Fprintf(&ds, "Final-Recipient: rfc822; %s\r\n", r.rcpt.Address)
		if typ, addr, ok := strings.Cut(r.rcpt.ORcpt, ";"); ok {
			fmt.Fprintf(&ds, "Original-Recipient: %s; %s\r\n", strings.TrimSpace(typ), strings.TrimSpace(addr))
		}
		fmt.Fprintf(&ds, "Action: %s\r\n", r.action)
		fmt.Fprintf(&ds, "Status: %s\r\n", r.o.enhanced)
		if r.o.remoteMTA != "" {
			fmt.Fprintf(&ds, "Remote-MTA: dns; %s\r\n", r.o.remoteMTA)
		}
		if r.o.remote {
			fmt.Fprintf(&ds, "Diagnostic-Code: smtp; %d %s %s\r\n", r.o.code, r.o.enhanced, r.o.text)
		} else if r.action != actionDelivered && r.action != actionRelayed {
			fmt.Fprintf(&ds, "X-Mailserver-Diagnostic: %s\r\n", r.o.text)
		}
		if !r.rcpt.LastAttempt.IsZero() {
			fmt.Fprintf(&ds, "Last-Attempt-Date: %s\r\n", r.rcpt.LastAttempt.Format(time.RFC1123Z))
		}
		if r.action == actionDelayed && !r.until.IsZero() {
			fmt.Fprintf(&ds, "Will-Retry-Until: %s\r\n", r.until.Format(time.RFC1123Z))
		}
	}
	var dh message.Header
	dh.SetContentType("message/delivery-status", nil)
	dh.Set("Content-Description", "Delivery report")
	if err := writePart(w, dh, []byte(ds.String())); err != nil {
		return nil, err
	}

	// Part 3: the original message (RET=FULL, and only for failures:
	// RFC 3461 §4.3) or its header.
	full := strings.EqualFold(m.Ret, "FULL") && m.Size <= maxFullReturn && subject == "Undelivered Mail Returned to Sender"
	var content []byte
	if full {
		content, err = io.ReadAll(orig)
	} else {
		content, err = readHeader(orig)
	}
	if err != nil {
		return nil, fmt.Errorf("dsn: read original: %w", err)
	}
	var oh message.Header
	if full {
		oh.SetContentType("message/rfc822", nil)
		oh.Set("Content-Description", "Undelivered Message")
	} else {
		oh.SetContentType("text/rfc822-headers", nil)
		oh.Set("Content-Description", "Message Headers")
	}
	if err := writePart(w, oh, content); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	return buf.Bytes(), nil
}

func writePart(w *message.Writer, h message.Header, body []byte) error {
	pw, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("dsn: %w", err)
	}
	if _, err := pw.Write(body); err != nil {
		return fmt.Errorf("dsn: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("dsn: %w", err)
	}
	return nil
}

// readHeader returns a message's header section (without the blank line),
// at most 1 MiB of it.
func readHeader(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, 1<<20))
	var out []byte
	for {
		line, err := br.ReadSlice('\n')
		if len(bytes.TrimRight(line, "\r\n")) == 0 && err != bufio.ErrBufferFull {
			return out, nil
		}
		out = append(out, line...)
		if err == io.EOF {
			if len(out) > 0 && out[len(out)-1] != '\n' {
				out = append(out, '\r', '\n')
			}
			return out, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return nil, err
		}
	}
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
