package smtpd

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// dmarcOutcome is the DMARC evaluation (RFC 7489 §6.6) of a message.
type dmarcOutcome struct {
	value  authres.ResultValue
	domain string // the RFC5322.From domain
	// policy is the policy to apply on fail, after sp= and pct= (§6.6.4):
	// none, quarantine or reject.
	policy dmarc.Policy
	reason string
}

// maxFromDomains bounds the From: domains evaluated (a message should
// have one; each costs up to two lookups).
const maxFromDomains = 5

// checkDMARC evaluates DMARC for every distinct From: domain (RFC 7489
// §6.6.1 expects one; with several, the strictest outcome counts, so a
// second From: cannot hide a failing one).
func (v verifier) checkDMARC(ctx context.Context, domains []string, s *spfOutcome, dk []*dkim.Verification) dmarcOutcome {
	if len(domains) == 0 {
		return dmarcOutcome{value: authres.ResultPermError, policy: dmarc.PolicyNone, reason: "no From: domain"}
	}
	if len(domains) > maxFromDomains {
		domains = domains[:maxFromDomains]
	}
	var worst dmarcOutcome
	for i, d := range domains {
		o := v.checkDMARCDomain(ctx, d, s, dk)
		if i == 0 || o.severity() > worst.severity() {
			worst = o
		}
	}
	return worst
}

// severity orders outcomes: a failure whose policy is reject first.
func (o dmarcOutcome) severity() int {
	switch o.value {
	case authres.ResultFail:
		switch o.policy {
		case dmarc.PolicyReject:
			return 6
		case dmarc.PolicyQuarantine:
			return 5
		}
		return 4
	case authres.ResultTempError:
		return 3
	case authres.ResultPermError:
		return 2
	case authres.ResultNone:
		return 1
	}
	return 0
}

// checkDMARCDomain evaluates DMARC for one From: domain.
func (v verifier) checkDMARCDomain(ctx context.Context, from string, s *spfOutcome, dk []*dkim.Verification) dmarcOutcome {
	o := dmarcOutcome{domain: from, policy: dmarc.PolicyNone}
	rec, sub, err := v.lookupDMARC(ctx, from)
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		o.value = authres.ResultNone
		return o
	case dmarc.IsTempFail(err):
		o.value, o.reason = authres.ResultTempError, "policy lookup failed"
		return o
	case err != nil:
		o.value, o.reason = authres.ResultPermError, "invalid policy record"
		return o
	}
	// §3.1: identifier alignment, relaxed unless the record says strict.
	tempErr := false
	for _, d := range dk {
		if !aligned(d.Domain, from, rec.DKIMAlignment) {
			continue
		}
		switch dkimValue(d) {
		case authres.ResultPass:
			o.value, o.reason = authres.ResultPass, "aligned DKIM "+sanitizeValue(d.Domain)
			return o
		case authres.ResultTempError:
			tempErr = true
		}
	}
	if aligned(s.domain, from, rec.SPFAlignment) {
		switch s.result {
		case spf.Pass:
			o.value, o.reason = authres.ResultPass, "aligned SPF"
			return o
		case spf.TempError:
			tempErr = true
		}
	}
	if tempErr {
		// §6.6.2: a temporary failure decided nothing; the sender retries.
		o.value, o.reason = authres.ResultTempError, "DNS failure during authentication"
		return o
	}
	o.value = authres.ResultFail
	o.policy = rec.Policy
	if sub && rec.SubdomainPolicy != "" {
		o.policy = rec.SubdomainPolicy // §6.3 sp=
	}
	if rec.Percent != nil && *rec.Percent < 100 && rand.IntN(100) >= *rec.Percent {
		// §6.6.4: outside the sampled pct, the next weaker policy.
		switch o.policy {
		case dmarc.PolicyReject:
			o.policy = dmarc.PolicyQuarantine
		case dmarc.PolicyQuarantine:
			o.policy = dmarc.PolicyNone
		}
	}
	o.reason = "p=" + string(o.policy)
	return o
}

// lookupDMARC finds the policy record for a From: domain (RFC 7489
// §6.6.3): at _dmarc.<domain>, else at the organizational domain's,
// where sub reports that its sp= applies. go-msgauth asks only the first.
func (v verifier) lookupDMARC(ctx context.Context, domain string) (rec *dmarc.Record, sub bool, err error) {
	opts := &dmarc.LookupOptions{LookupTXT: func(name string) ([]string, error) { return v.r.LookupTXT(ctx, name) }}
	rec, err = dmarc.LookupWithOptions(domain, opts)
	if !errors.Is(err, dmarc.ErrNoPolicy) {
		return rec, false, err
	}
	org := orgDomain(domain)
	if org == domain {
		return nil, false, err
	}
	rec, err = dmarc.LookupWithOptions(org, opts)
	return rec, true, err
}

// orgDomain is a domain's organizational domain (RFC 7489 §3.2): one
// label below its public suffix, or the domain itself.
func orgDomain(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}

// aligned reports whether an authenticated domain is aligned with the
// From: domain (RFC 7489 §3.1.1, §3.1.2): the same name in strict mode,
// the same organizational domain in relaxed mode.
func aligned(authDomain, from string, mode dmarc.AlignmentMode) bool {
	a := strings.ToLower(strings.TrimSuffix(authDomain, "."))
	if a == "" {
		return false
	}
	if a == from {
		return true
	}
	return mode != dmarc.AlignmentStrict && orgDomain(a) == orgDomain(from)
}
