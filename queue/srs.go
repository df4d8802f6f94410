package queue

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// srsSender is the envelope sender of an outbound entry. When a recipient
// reached it through an alias of the local domain forwarder (forwarder
// not ""), a non-null sender outside the local domains is rewritten with
// the Sender Rewriting Scheme (package queue/srs) into an address of
// forwarder: the receiver's SPF check (RFC 7208) then checks this
// server's right to send for forwarder rather than failing the original
// sender's domain, and a bounce comes to forwarder, where store.Resolve
// decodes it back to the original sender. The null sender (RFC 5321
// §4.5.5) and local senders are kept, and so is a sender whose SRS form
// would have a local part over 64 octets.
//
// One entry has one sender, so the direct remote recipients of a relayed
// message that also reaches a forward get the SRS sender too; their
// bounces are decoded the same way.
func (q *Queue) srsSender(ctx context.Context, from, forwarder string, now time.Time) (string, error) {
	if from == "" || forwarder == "" {
		return from, nil
	}
	domain := addressDomain(from)
	if domain == "" {
		return from, nil
	}
	if ok, err := q.st.IsLocalDomain(ctx, domain); err != nil {
		return "", fmt.Errorf("srs: %w", err)
	} else if ok {
		return from, nil
	}
	s, err := q.st.SRSForward(from, forwarder, now)
	if err != nil {
		return "", fmt.Errorf("srs: rewrite %s: %w", from, err)
	}
	if strings.LastIndexByte(s, '@') > maxLocalPart {
		// RFC 5321 §4.5.3.1.1: receivers may refuse a longer local part,
		// and store.Resolve would refuse the bounce; the original
		// sender at least reaches receivers that do not check SPF.
		q.log.Warn("SRS address too long; forwarding with the original sender", "sender", from, "srs", s)
		return from, nil
	}
	return s, nil
}

// maxLocalPart is the longest local part (RFC 5321 §4.5.3.1.1).
const maxLocalPart = 64

// addressDomain is the lower-case domain of local@domain ("" if none).
func addressDomain(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || at == len(addr)-1 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
}
