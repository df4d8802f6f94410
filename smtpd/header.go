package smtpd

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/store"
)

// received builds the Received trace field (RFC 5321 §4.4):
//
//	Received: from HELO ([IP])
//		(using TLS1.3 with cipher TLS_AES_128_GCM_SHA256)
//		(authenticated as user@example.org)
//		by HOSTNAME with ESMTPSA id ID
//		for <rcpt>; DATE
//
// The protocol is ESMTP plus S for TLS and A for AUTH (RFC 3848), or
// UTF8SMTP likewise with SMTPUTF8 (RFC 6531 §3.7.3). "for" names the
// recipient only when there is exactly one, so a Bcc recipient is not
// revealed to the others.
func (s *session) received(id string, tx *transaction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s (%s)", sanitizeHelo(s.helo), addressLiteral(s))
	if s.tls != nil {
		fmt.Fprintf(&b, "\r\n\t(using %s with cipher %s)", tls.VersionName(s.tls.Version), tls.CipherSuiteName(s.tls.CipherSuite))
	}
	if tx.user != nil {
		fmt.Fprintf(&b, "\r\n\t(authenticated as %s)", tx.user.Address)
	}
	proto := "ESMTP"
	if tx.opts.UTF8 {
		proto = "UTF8SMTP"
	}
	if s.tls != nil {
		proto += "S"
	}
	if tx.user != nil {
		proto += "A"
	}
	fmt.Fprintf(&b, "\r\n\tby %s with %s id %s", s.srv.opts.Hostname, proto, id)
	if len(tx.rcpts) == 1 && !hasControl(tx.rcpts[0].Address) {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", tx.rcpts[0].Address)
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", s.srv.opts.now().Format(time.RFC1123Z))
	return b.String()
}

// addressLiteral is the client's address as an RFC 5321 §4.1.3 literal.
func addressLiteral(s *session) string {
	if s.ip.Is6() {
		return "[IPv6:" + s.ip.String() + "]"
	}
	return "[" + s.ip.String() + "]"
}

// sanitizeHelo keeps the EHLO argument from breaking the header: it is the
// client's claim, shown as given but limited to domain and address
// literal characters.
func sanitizeHelo(h string) string {
	if len(h) > 255 {
		h = h[:255]
	}
	out := []byte(h)
	for i, c := range out {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(".-_:[]", c) >= 0:
		default:
			out[i] = '_'
		}
	}
	if len(out) == 0 {
		return "unknown"
	}
	return string(out)
}

// checkSubmission applies the submission rules to a message from an
// authenticated user (RFC 6409 §8): exactly one From: field (RFC 5322
// §3.6), at most one Sender: field with one mailbox, a Sender: when From:
// names several mailboxes (RFC 5322 §3.6.2), and every address in From:
// and Sender: one the user may send as; a missing Message-ID or Date is
// supplied. It returns the header fields to add.
func (s *session) checkSubmission(body *store.Body, tx *transaction) (string, error) {
	h, err := textproto.ReadHeader(bufio.NewReader(body.Reader()))
	if err != nil {
		s.log.Info("malformed header in submission", "err", err)
		return "", errBadHeader
	}
	mh := mail.Header{Header: gomessage.Header{Header: h}}
	if tx.user != nil {
		addrs, refusal := originators(h)
		if refusal != nil {
			s.log.Info("submission refused", "reason", refusal.Message)
			return "", refusal
		}
		for _, a := range addrs {
			ok, err := s.srv.opts.Store.MaySendAs(s.srv.ctx, tx.user, a)
			if err != nil {
				return "", err
			}
			if !ok {
				s.log.Warn("From: or Sender: refused", "address", a)
				return "", errFromNotOwner
			}
		}
	}
	var extra strings.Builder
	if !mh.Has("Message-Id") {
		fmt.Fprintf(&extra, "Message-ID: <%s@%s>\r\n", newID(), s.srv.opts.Hostname)
	}
	if !mh.Has("Date") {
		fmt.Fprintf(&extra, "Date: %s\r\n", s.srv.opts.now().Format(time.RFC1123Z))
	}
	return extra.String(), nil
}

// originators returns the addresses of a message's From: and Sender:
// fields, or the refusal if the fields break RFC 5322
// §3.6: exactly one From: with at least one mailbox, at most one Sender:
// with exactly one, and a Sender: if From: has more than one. Each field
// value is parsed once (mail.ParseAddressList); fields are read from
// textproto.Header, which keeps every occurrence (Header.Get returned only
// the first From: before).
func originators(h textproto.Header) ([]string, *smtp.SMTPError) {
	froms, senders := h.Values("From"), h.Values("Sender")
	if len(froms) != 1 {
		return nil, errOneFrom
	}
	if len(senders) > 1 {
		return nil, errOneSender
	}
	from, err := parseMailboxes(froms[0])
	if err != nil || len(from) == 0 {
		return nil, errBadFrom
	}
	addrs := from
	if len(senders) == 1 {
		sender, err := parseMailboxes(senders[0])
		if err != nil || len(sender) != 1 {
			return nil, errBadSender
		}
		addrs = append(addrs, sender...)
	} else if len(from) > 1 {
		return nil, errNeedSender
	}
	return addrs, nil
}

// Originators applies the same RFC 5322 §3.6 rules for other submission
// paths (the webmail): the From: and Sender: addresses, or the refusal,
// an *smtp.SMTPError whose Message says which rule the fields break.
func Originators(h textproto.Header) ([]string, error) {
	addrs, refusal := originators(h)
	if refusal != nil {
		return nil, refusal
	}
	return addrs, nil
}

// maxAddressField bounds the From:/Sender: value parsed; the parser's work
// is then bounded too (FuzzOriginators checks it is linear).
const maxAddressField = 16 << 10

// parseMailboxes parses an address-list field value into its addresses.
func parseMailboxes(v string) ([]string, error) {
	if len(v) > maxAddressField {
		return nil, errors.New("address field too long")
	}
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, a.Address)
	}
	return out, nil
}
