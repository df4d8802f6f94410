package smtpd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/mailserver/mailserver/store"
)

// Resolver is the DNS that inbound verification asks: TXT for DKIM keys
// and DMARC policies, and what SPF's mechanisms need (it is
// spf.DNSResolver). A *net.Resolver satisfies it. Errors must be
// *net.DNSError values, unwrapped, as net.Resolver returns them: go-msgauth
// tells a temporary failure by a type assertion to net.Error.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ spf.DNSResolver = Resolver(nil)

// InboundPolicy is what port 25 does with the verification's outcome.
type InboundPolicy struct {
	// RejectDMARC refuses (550 5.7.1) a message that fails DMARC of a
	// domain publishing p=reject (RFC 7489 §6.3, §7.3).
	RejectDMARC bool
	// QuarantineDMARC delivers a message failing DMARC of a domain
	// publishing p=quarantine to the recipients' Junk.
	QuarantineDMARC bool
	// RejectSPFFail refuses (550 5.7.23, RFC 7372) a message whose SPF
	// result is fail unless a DKIM signature aligned with From passes
	// (RFC 7208 §8.4 leaves the choice to the receiver; otherwise it is
	// accepted and marked).
	RejectSPFFail bool
	// DeferTempError answers 451 when a DNS lookup failed temporarily
	// and the outcome could have gone either way; otherwise the message
	// is accepted with temperror in Authentication-Results. A temporary
	// failure never causes a permanent refusal.
	DeferTempError bool
}

// DefaultInboundPolicy is the policy when Options.Inbound is nil.
func DefaultInboundPolicy() InboundPolicy {
	return InboundPolicy{RejectDMARC: true, QuarantineDMARC: true}
}

const (
	// maxDKIMSignatures bounds the signatures verified per message (RFC
	// 6376 §6.1 lets a verifier limit them); the rest are ignored.
	maxDKIMSignatures = 5
	// verifyTimeout bounds all the DNS work for one message.
	verifyTimeout = 30 * time.Second
)

// authOutcome is the verification of one inbound message.
type authOutcome struct {
	spf   spfOutcome
	dkim  []*dkim.Verification
	dmarc dmarcOutcome
}

// spfOutcome is the SPF check of MAIL FROM, or of HELO for the null
// sender (RFC 7208 §2.4).
type spfOutcome struct {
	result spf.Result
	// domain is the checked identity's domain; mailFrom the reverse path
	// when it was MAIL FROM.
	domain, mailFrom, helo string
}

// verifier checks SPF, DKIM and DMARC with one resolver.
type verifier struct {
	r Resolver
}

// verify authenticates an inbound message (body as received) from ip,
// which said HELO helo and MAIL FROM from. SPF runs while DKIM reads the
// body; DMARC uses both. It holds no lock and no store transaction.
func (v verifier) verify(ctx context.Context, ip net.IP, helo, from string, body *store.Body, hdr *headerBlock) *authOutcome {
	ctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	out := &authOutcome{}
	spfDone := make(chan struct{})
	go func() {
		defer close(spfDone)
		out.spf = v.checkSPF(ctx, ip, helo, from)
	}()
	if hdr.has("DKIM-Signature") {
		// go-msgauth reads the whole message even with no signature.
		out.dkim = v.checkDKIM(ctx, body)
	}
	<-spfDone
	out.dmarc = v.checkDMARC(ctx, hdr.fromDomains(), &out.spf, out.dkim)
	return out
}

// checkSPF runs check_host() (RFC 7208 §4) on MAIL FROM, or on HELO when
// the reverse path is null. blitiri spf enforces the 10-lookup and
// 2-void-lookup limits of §4.6.4.
func (v verifier) checkSPF(ctx context.Context, ip net.IP, helo, from string) spfOutcome {
	o := spfOutcome{helo: helo, mailFrom: from}
	if from == "" {
		o.domain = strings.ToLower(strings.TrimSuffix(helo, "."))
	} else if at := strings.LastIndexByte(from, '@'); at >= 0 {
		o.domain = strings.ToLower(strings.TrimSuffix(from[at+1:], "."))
	}
	o.result, _ = spf.CheckHostWithSender(ip, helo, from, spf.WithResolver(v.r), spf.WithContext(ctx))
	return o
}

// checkDKIM verifies the message's DKIM signatures (RFC 6376 §6), at
// most maxDKIMSignatures of them.
func (v verifier) checkDKIM(ctx context.Context, body *store.Body) []*dkim.Verification {
	verifs, err := dkim.VerifyWithOptions(body.Reader(), &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return v.r.LookupTXT(ctx, name) },
		MaxVerifications: maxDKIMSignatures,
	})
	if err != nil && err != dkim.ErrTooManySignatures {
		// The header could not be read as a header: no signature can
		// be verified (RFC 6376 §6.1: permerror).
		return []*dkim.Verification{{Err: fmt.Errorf("%w: %v", errDKIMUnreadable, err)}}
	}
	return verifs
}

// errDKIMUnreadable: go-msgauth could not read the message's header.
var errDKIMUnreadable = errors.New("message header unreadable")

// dkimValue is a verification's result as RFC 8601 §2.7.1 names it.
func dkimValue(v *dkim.Verification) authres.ResultValue {
	switch {
	case v.Err == nil:
		return authres.ResultPass
	case dkim.IsTempFail(v.Err):
		return authres.ResultTempError
	case dkim.IsPermFail(v.Err), errors.Is(v.Err, errDKIMUnreadable):
		return authres.ResultPermError
	}
	return authres.ResultFail
}

// spfValue is an SPF result as RFC 8601 §2.7.2 names it (the same words
// as RFC 7208 §2.6).
func spfValue(r spf.Result) authres.ResultValue {
	switch r {
	case spf.Pass:
		return authres.ResultPass
	case spf.Fail:
		return authres.ResultFail
	case spf.SoftFail:
		return authres.ResultSoftFail
	case spf.Neutral:
		return authres.ResultNeutral
	case spf.TempError:
		return authres.ResultTempError
	case spf.PermError:
		return authres.ResultPermError
	}
	return authres.ResultNone
}
