package compose

import (
	"net/mail"
)

// ParseDraft reads a saved draft (a message Build made, with its Bcc)
// back into a form. The caller reads its own ExtraHeader fields from
// the returned header. Addresses that do not parse are dropped.
func ParseDraft(raw []byte) (*Message, *Original, error) {
	o, err := ParseOriginal(raw)
	if err != nil {
		return nil, nil, err
	}
	h := &o.Header
	m := &Message{Text: o.Text, Attachments: o.Attachments}
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		m.From = from[0]
	}
	for _, f := range []struct {
		key string
		dst *[]*mail.Address
	}{{"To", &m.To}, {"Cc", &m.Cc}, {"Bcc", &m.Bcc}} {
		*f.dst, _ = h.AddressList(f.key)
	}
	m.Subject, _ = h.Subject()
	if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) > 0 {
		m.InReplyTo = irt[0]
	}
	m.References, _ = h.MsgIDList("References")
	m.Flowed = o.textFlowed
	return m, o, nil
}
