package smtpd

import (
	"net"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"github.com/emersion/go-smtp"

	"github.com/mailserver/mailserver/store"
)

// verifyInbound verifies an inbound message on port 25 (verify.go),
// applies the inbound policy and returns the body to store, with our
// Authentication-Results on top and any forged one removed, and whether
// it goes to Junk. It runs after DATA, before anything is stored.
func (s *session) verifyInbound(id string, tx *transaction, body *store.Body) (*store.Body, bool, error) {
	host := s.srv.opts.Hostname
	hdr := readHeaderBlock(body.Reader())
	out := s.srv.verify.verify(s.srv.ctx, net.IP(s.ip.Unmap().AsSlice()), s.helo, tx.from, body, hdr)
	junk, refusal := s.srv.opts.Inbound.decide(out)
	s.log.Info("message authenticated", "id", id, "from", tx.from,
		"spf", spfValue(out.spf.result), "dkim", len(out.dkim), "dkim_pass", countPass(out.dkim),
		"dmarc", out.dmarc.value, "header_from", out.dmarc.domain, "dmarc_policy", out.dmarc.policy,
		"junk", junk, "refused", refusal != nil)
	if refusal != nil {
		return nil, false, refusal
	}
	body, n := withoutForgedResults(body, hdr, host)
	if n > 0 {
		s.log.Warn("removed Authentication-Results claiming to be ours", "id", id, "count", n)
	}
	body.Prepend([]byte(authResultsField(host, out)))
	return body, junk, nil
}

func countPass(vs []*dkim.Verification) int {
	n := 0
	for _, v := range vs {
		if v.Err == nil {
			n++
		}
	}
	return n
}

// decide applies the policy to an outcome: whether the message goes to
// Junk, or the refusal. A temporary DNS failure never refuses
// permanently: the DMARC evaluation turns it into temperror, and only
// DeferTempError makes it a 451.
func (p InboundPolicy) decide(o *authOutcome) (junk bool, refusal *smtp.SMTPError) {
	if o.dmarc.value == authres.ResultFail {
		switch o.dmarc.policy {
		case dmarc.PolicyReject:
			if p.RejectDMARC {
				return false, errDMARCReject
			}
			junk = p.QuarantineDMARC // the next weaker action
		case dmarc.PolicyQuarantine:
			junk = p.QuarantineDMARC
		}
	}
	if p.RejectSPFFail && o.spf.result == spf.Fail && !o.alignedDKIMPass() {
		if o.alignedDKIMTemp() {
			if p.DeferTempError {
				return false, errAuthDNSTemp
			}
			return junk, nil
		}
		return false, errSPFFail
	}
	if p.DeferTempError && o.dmarc.value != authres.ResultPass {
		switch {
		case o.spf.result == spf.TempError:
			return false, errSPFTemp
		case o.dmarc.value == authres.ResultTempError:
			return false, errAuthDNSTemp
		}
	}
	return junk, nil
}

// alignedDKIMPass reports whether a passing DKIM signature is aligned
// (relaxed, RFC 7489 §3.1.1) with the From: domain.
func (o *authOutcome) alignedDKIMPass() bool {
	return o.alignedDKIM(authres.ResultPass)
}

// alignedDKIMTemp reports whether an aligned signature could not be
// checked for a temporary DNS failure.
func (o *authOutcome) alignedDKIMTemp() bool {
	return o.alignedDKIM(authres.ResultTempError)
}

func (o *authOutcome) alignedDKIM(want authres.ResultValue) bool {
	if o.dmarc.domain == "" {
		return false
	}
	for _, v := range o.dkim {
		if dkimValue(v) == want && aligned(v.Domain, o.dmarc.domain, dmarc.AlignmentRelaxed) {
			return true
		}
	}
	return false
}
