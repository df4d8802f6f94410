package queue

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailserver/mailserver/store"
)

// DKIM signing (RFC 6376; Ed25519 by RFC 8463). Every message that gets
// an outbound queue entry, whose sender was authenticated or trusted
// (Envelope.AuthUser, Envelope.Trusted; DSNs) and whose From is in a local
// domain is signed once, in Submit, before it is stored: the DKIM-Signature fields are
// prepended to the stored outbound body, so every attempt and every
// recipient gets the same signed bytes, and the local copies of the same
// message stay unsigned. Two signatures are made, Ed25519 and RSA-2048,
// with the domain's current selector pair (store/dkim.go): receivers that
// do not know Ed25519 yet ignore that one (RFC 8463 §5) and verify RSA.

// DKIMKeys is where the queue finds a domain's signing keys
// (*store.Store).
type DKIMKeys interface {
	DKIMSigningKeys(ctx context.Context, domain string, now time.Time) ([]store.DKIMKey, error)
}

// dkimSignedFields are the header fields signed when present (RFC 6376
// §5.4.1's recommendation, less Sender and Resent-*, which a mailing list
// may change, plus MIME's); every List-* field (RFC 2369, RFC 2919) is
// signed too. From is over-signed: it is listed once more than it
// occurs, so a From added on top breaks the signature (RFC 6376 §8.15).
var dkimSignedFields = []string{
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Reply-To",
}

// dkimSign returns the DKIM-Signature fields for msg (CRLF line ends),
// Ed25519 first, or nil when the message is not to be signed: its From
// is not in a local domain (nor, for DSNs from this host, a subdomain of
// one), or the domain has no key.
func (q *Queue) dkimSign(ctx context.Context, msg io.Reader, now time.Time) ([]byte, error) {
	if q.opts.DKIM == nil {
		return nil, nil
	}
	br := bufio.NewReader(msg)
	header, err := readHeaderSection(br)
	if err != nil {
		return nil, fmt.Errorf("dkim: read header: %w", err)
	}
	names, from := headerFields(header)
	domain, err := q.dkimDomain(ctx, from)
	if err != nil || domain == "" {
		return nil, err
	}
	keys, err := q.opts.DKIM.DKIMSigningKeys(ctx, domain, now)
	if err != nil {
		return nil, fmt.Errorf("dkim: keys of %s: %w", domain, err)
	}
	if len(keys) == 0 {
		q.log.Warn("dkim: local domain has no signing key; sent unsigned", "domain", domain)
		return nil, nil
	}
	fieldKeys := dkimHeaderKeys(names)
	signers := make([]*dkim.Signer, 0, len(keys))
	ws := make([]io.Writer, 0, len(keys))
	defer func() {
		for _, s := range signers {
			_ = s.Close() // no-op after a successful Close
		}
	}()
	for _, k := range keys {
		key, err := q.dkimKeys.signer(&k)
		if err != nil {
			return nil, err
		}
		s, err := dkim.NewSigner(&dkim.SignOptions{
			Domain: k.Domain, Selector: k.Selector, Signer: key,
			// go-msgauth defaults to simple/simple and to signing every
			// field; relaxed survives the re-folding and whitespace
			// changes relays make (RFC 6376 §3.4).
			HeaderCanonicalization: dkim.CanonicalizationRelaxed,
			BodyCanonicalization:   dkim.CanonicalizationRelaxed,
			HeaderKeys:             fieldKeys,
		})
		if err != nil {
			return nil, fmt.Errorf("dkim: %s: %w", k.DNSName(), err)
		}
		signers = append(signers, s)
		ws = append(ws, s)
	}
	w := io.MultiWriter(ws...)
	if _, err := w.Write(header); err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	if _, err := io.Copy(w, br); err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	var out bytes.Buffer
	for i, s := range signers {
		if err := s.Close(); err != nil {
			return nil, fmt.Errorf("dkim: sign with %s: %w", keys[i].DNSName(), err)
		}
		out.WriteString(s.Signature())
	}
	return out.Bytes(), nil
}

// readHeader reads the header section including the blank line that
// ends it (the whole input if there is none).
func readHeaderSection(br *bufio.Reader) ([]byte, error) {
	var out []byte
	lineStart := true // not inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		out = append(out, line...)
		switch {
		case err == io.EOF:
			return out, nil
		case err == bufio.ErrBufferFull:
			lineStart = false
		case err != nil:
			return nil, err
		case lineStart && len(bytes.TrimRight(line, "\r\n")) == 0:
			return out, nil
		default:
			lineStart = true
		}
	}
}

// headerFields returns the field names of a header section in order, and
// the unfolded value of its first From field.
func headerFields(header []byte) (names []string, from string) {
	var cur, fromValue *strings.Builder
	for line := range bytes.Lines(header) {
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil {
				cur.Write(bytes.TrimRight(line, "\r\n"))
			}
			continue
		}
		cur = nil
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		n := string(bytes.TrimSpace(name))
		names = append(names, n)
		if strings.EqualFold(n, "From") && from == "" {
			fromValue = &strings.Builder{}
			fromValue.Write(bytes.TrimRight(value, "\r\n"))
			cur = fromValue
		}
	}
	if fromValue != nil {
		from = strings.TrimSpace(fromValue.String())
	}
	return names, from
}

// dkimHeaderKeys is the h= list for a header with these field names: each
// signed field as often as it occurs, From once more.
func dkimHeaderKeys(names []string) []string {
	count := map[string]int{}
	var lists []string
	for _, n := range names {
		l := strings.ToLower(n)
		if strings.HasPrefix(l, "list-") && count[l] == 0 {
			lists = append(lists, n)
		}
		count[l]++
	}
	keys := []string{"From"}
	for _, f := range append(dkimSignedFields, lists...) {
		for range count[strings.ToLower(f)] {
			keys = append(keys, f)
		}
	}
	return keys
}

// dkimDomain is the local domain whose key signs mail from the given From
// value: the domain of its first address if that is local; for mail from
// this host (DSNs from MAILER-DAEMON@hostname), the closest local domain
// the hostname is under, which DMARC's relaxed alignment accepts (RFC 7489
// §3.1.1). "" means not signed.
func (q *Queue) dkimDomain(ctx context.Context, from string) (string, error) {
	domain := fromDomain(from)
	if domain == "" {
		return "", nil
	}
	if ok, err := q.st.IsLocalDomain(ctx, domain); err != nil {
		return "", fmt.Errorf("dkim: %w", err)
	} else if ok {
		return domain, nil
	}
	if !strings.EqualFold(domain, q.opts.Hostname) {
		return "", nil
	}
	for d := domain; ; {
		_, parent, found := strings.Cut(d, ".")
		if !found || !strings.Contains(parent, ".") {
			return "", nil // never a top-level domain
		}
		if ok, err := q.st.IsLocalDomain(ctx, parent); err != nil {
			return "", fmt.Errorf("dkim: %w", err)
		} else if ok {
			return parent, nil
		}
		d = parent
	}
}

// fromDomain is the lower-case domain of the first address of a From
// value ("" if none can be found).
func fromDomain(from string) string {
	addr := ""
	if list, err := mail.ParseAddressList(from); err == nil && len(list) > 0 {
		addr = list[0].Address
	} else if i := strings.LastIndex(from, "<"); i >= 0 {
		// Unparseable display name: take the angle address.
		addr, _, _ = strings.Cut(from[i+1:], ">")
	} else {
		addr = strings.TrimSpace(from)
	}
	at := strings.LastIndex(addr, "@")
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(addr[at+1:]))
}

// dkimKeyCache keeps parsed private keys: parsing and checking an RSA key
// costs about a fifth of a signature. Entries are keyed by the public
// key, so a selector name reused for a new key (a domain deleted and
// added again) never finds the old one.
type dkimKeyCache struct {
	mu   sync.Mutex
	keys map[string]crypto.Signer
}

// maxCachedDKIMKeys bounds the cache (two keys per local domain, more
// during a rotation); when full it starts over.
const maxCachedDKIMKeys = 4096

func (c *dkimKeyCache) signer(k *store.DKIMKey) (crypto.Signer, error) {
	c.mu.Lock()
	s, ok := c.keys[k.Public]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := k.Signer()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxCachedDKIMKeys {
		c.keys = map[string]crypto.Signer{}
	}
	c.keys[k.Public] = s
	c.mu.Unlock()
	return s, nil
}
