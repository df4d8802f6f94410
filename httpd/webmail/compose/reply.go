package compose

import (
	"net/mail"
	"strings"
	"time"
)

// maxReferences bounds the References field of a reply: the first
// message-id and the most recent ones are kept (RFC 5322 §3.6.4 does not
// limit it, but mailers trim long chains the same way).
const maxReferences = 20

// Reply is the form prefilled for a reply to o (all: to all of its
// recipients). own reports whether an address is one of the user's
// identities; the From is left for the caller to choose.
//
// Recipients (RFC 5322 §3.6.2, §3.6.3): Reply-To if present, else From;
// when the original is the user's own (its From is an identity and it has
// no Reply-To), the original's To, so that replying in Sent continues the
// conversation. Reply to all adds the original's To and Cc as Cc, without
// the user's own identities and without duplicates.
//
// In-Reply-To is the original's Message-ID; References are the
// original's References (or, without them, its In-Reply-To when that is a
// single id) followed by its Message-ID (RFC 5322 §3.6.4). The subject
// gets "Re: " unless it starts with it already; the text is the
// original's, quoted with "> " after an attribution line.
func Reply(o *Original, own func(address string) bool, all bool) *Message {
	h := &o.Header
	from, _ := h.AddressList("From")
	replyTo, _ := h.AddressList("Reply-To")
	to, _ := h.AddressList("To")
	cc, _ := h.AddressList("Cc")

	m := &Message{}
	seen := map[string]bool{}
	add := func(dst *[]*mail.Address, l []*mail.Address, skipOwn bool) {
		for _, a := range l {
			k := strings.ToLower(a.Address)
			if seen[k] || skipOwn && own(a.Address) {
				continue
			}
			seen[k] = true
			*dst = append(*dst, a)
		}
	}
	fromOwn := len(from) > 0 && own(from[0].Address)
	switch {
	case len(replyTo) > 0:
		add(&m.To, replyTo, false)
	case fromOwn:
		add(&m.To, to, false)
	default:
		add(&m.To, from, false)
	}
	if all {
		if !fromOwn || len(replyTo) > 0 {
			add(&m.Cc, to, true)
		}
		add(&m.Cc, cc, true)
	}
	if len(m.To) == 0 && len(m.Cc) > 0 {
		m.To, m.Cc = m.Cc[:1], m.Cc[1:]
	}

	subject, _ := h.Subject()
	m.Subject = prefixSubject("Re: ", subject, "re:")

	id, _ := h.MessageID()
	refs, _ := h.MsgIDList("References")
	if len(refs) == 0 {
		if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) == 1 {
			refs = irt
		}
	}
	if id != "" {
		m.InReplyTo = id
		refs = append(refs[:len(refs):len(refs)], id)
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1:1], refs[len(refs)-maxReferences+1:]...)
	}
	m.References = refs

	m.Text = "\n\n" + attribution(o) + "\n" + quote(o.Text)
	return m
}

// attribution is the line before the quoted text: "On DATE, NAME wrote:".
func attribution(o *Original) string {
	who := "someone"
	if from, _ := o.Header.AddressList("From"); len(from) > 0 {
		who = from[0].String()
		if from[0].Name != "" {
			who = from[0].Name + " <" + from[0].Address + ">"
		}
	}
	if d, err := o.Header.Date(); err == nil && !d.IsZero() {
		return "On " + d.Format(time.RFC1123Z) + ", " + who + " wrote:"
	}
	return who + " wrote:"
}

// quote prefixes every line of text with "> " (">" for an empty line,
// so no line ends in a space).
func quote(text string) string {
	text = strings.TrimRight(text, "\n")
	var b strings.Builder
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			b.WriteString(">\n")
		} else if strings.HasPrefix(l, ">") {
			b.WriteString(">" + l + "\n")
		} else {
			b.WriteString("> " + l + "\n")
		}
	}
	return b.String()
}

// prefixSubject puts prefix before s unless s starts with it (any case)
// already.
func prefixSubject(prefix, s, match string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(strings.ToLower(s), match) {
		return s
	}
	return prefix + s
}

// Forward is the form prefilled for forwarding o, whose stored bytes are
// raw: inline (the text after a block of its main header fields, its
// attachments carried along) or as an attachment (message/rfc822,
// RFC 2046 §5.2.1). The subject gets "Fwd: ".
func Forward(o *Original, raw []byte, asAttachment bool) *Message {
	subject, _ := o.Header.Subject()
	m := &Message{Subject: prefixSubject("Fwd: ", subject, "fwd:")}
	if asAttachment {
		name := strings.TrimSpace(subject)
		if name == "" {
			name = "message"
		}
		m.Attachments = []Attachment{{Filename: name + ".eml", ContentType: "message/rfc822", Data: raw}}
		return m
	}
	var b strings.Builder
	b.WriteString("\n\n-------- Forwarded Message --------\n")
	for _, k := range []string{"Subject", "Date", "From", "To", "Cc"} {
		v, err := o.Header.Text(k)
		if err != nil || v == "" {
			continue
		}
		if k == "From" || k == "To" || k == "Cc" {
			if l, err := o.Header.AddressList(k); err == nil {
				v = FormatAddressList(l)
			}
		}
		b.WriteString(k + ": " + oneLine(v) + "\n")
	}
	b.WriteString("\n" + strings.TrimRight(o.Text, "\n") + "\n")
	m.Text = b.String()
	m.Attachments = append(m.Attachments, o.Attachments...)
	return m
}
