package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/caddyserver/certmagic"
)

// Run obtains and renews certificates until ctx is cancelled: at start,
// then every CheckInterval and whenever Renew or Wake asks. It returns
// nil at shutdown; ACME failures are logged and recorded, never returned
// (the server keeps serving what it has).
func (m *Manager) Run(ctx context.Context) error {
	defer m.Close()
	m.restoreStatus()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.wake:
		}
		m.pass(ctx, passOptions{})
		t.Reset(m.opts.CheckInterval)
	}
}

// Wake makes Run check the names and renewals now (for example after a
// domain was added).
func (m *Manager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Renew checks every name now, ignoring the backoff of earlier failures,
// and obtains or renews what is due; with force, it renews every
// certificate whether due or not. It returns the names' failures joined.
func (m *Manager) Renew(ctx context.Context, force bool) error {
	return m.pass(ctx, passOptions{ignoreBackoff: true, force: force})
}

type passOptions struct {
	ignoreBackoff bool // Renew: try now even after recent failures
	force         bool // renew certificates that are not due
}

// pass brings every name up to date, one order at a time.
func (m *Manager) pass(ctx context.Context, o passOptions) error {
	m.work.Lock()
	defer m.work.Unlock()
	names, err := m.wanted(ctx)
	if err != nil {
		m.log.Warn("acme: listing names", "err", err)
		// Keep the names already managed.
		m.mu.RLock()
		names = slices.Clone(m.order)
		m.mu.RUnlock()
	}
	m.track(names)
	var errs []error
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		if err := m.update(ctx, name, o); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if err := m.writeStatus(); err != nil {
		m.log.Warn("acme: writing status", "err", err)
	}
	return errors.Join(errs...)
}

// wanted returns DefaultName followed by Names' names.
func (m *Manager) wanted(ctx context.Context) ([]string, error) {
	var names []string
	if m.opts.DefaultName != "" {
		names = append(names, m.opts.DefaultName)
	}
	if m.opts.Names == nil {
		return names, nil
	}
	more, err := m.opts.Names(ctx)
	if err != nil {
		return names, err
	}
	for _, n := range more {
		n = normalize(n)
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

// track makes names the managed set: new names get a state, names no
// longer wanted (a deleted domain) are dropped.
func (m *Manager) track(names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
		if m.names[n] == nil {
			m.names[n] = &nameState{}
		}
	}
	for n := range m.names {
		if !keep[n] {
			delete(m.names, n)
		}
	}
	m.order = slices.Clone(names)
}

// update loads name's stored certificate if it has none in memory, and
// obtains or renews it when due.
func (m *Manager) update(ctx context.Context, name string, o passOptions) error {
	now := time.Now()
	m.mu.RLock()
	st := *m.names[name]
	m.mu.RUnlock()
	if st.cert == nil {
		cert, err := m.loadStored(ctx, name)
		switch {
		case err == nil:
			m.setCert(name, cert, time.Time{})
			st.cert = cert
		case errors.Is(err, fs.ErrNotExist):
		default:
			m.log.Warn("acme: stored certificate unusable; obtaining a new one", "name", name, "err", err)
		}
	}
	due := st.cert == nil || o.force || inRenewalWindow(st.cert.Leaf, now)
	if !due || (!o.ignoreBackoff && now.Before(st.nextAttempt)) {
		return nil
	}

	octx, cancel := context.WithTimeout(ctx, orderTimeout)
	defer cancel()
	m.log.Info("acme: requesting certificate", "name", name, "renewal", st.cert != nil, "forced", o.force)
	// RenewCertSync obtains when storage has nothing for name, and
	// otherwise renews with the same key; the certificate lands in
	// storage, and is loaded from there.
	err := m.magic.RenewCertSync(octx, name, o.force)
	var cert *tls.Certificate
	if err == nil {
		cert, err = m.loadStored(ctx, name)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // shutting down: not a failure of the CA
		}
		m.fail(name, now, err)
		return err
	}
	m.setCert(name, cert, now)
	m.log.Info("acme: certificate in place", "name", name, "issuer", cert.Leaf.Issuer.String(),
		"not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

// inRenewalWindow reports whether a third or less of leaf's lifetime is
// left.
func inRenewalWindow(leaf *x509.Certificate, now time.Time) bool {
	lifetime := leaf.NotAfter.Sub(leaf.NotBefore)
	return !now.Before(leaf.NotAfter.Add(-time.Duration(float64(lifetime) * renewalWindowRatio)))
}

// setCert puts cert in service for name; renewed, if not zero, is when it
// was obtained.
func (m *Manager) setCert(name string, cert *tls.Certificate, renewed time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.names[name]
	if st == nil {
		return // dropped meanwhile
	}
	st.cert = cert
	if !renewed.IsZero() {
		st.lastRenewal, st.lastAttempt = renewed, renewed
		st.lastError, st.failures, st.nextAttempt = "", 0, time.Time{}
	}
}

// fail records a failed order and when to try again.
func (m *Manager) fail(name string, now time.Time, err error) {
	m.mu.Lock()
	st := m.names[name]
	if st == nil {
		m.mu.Unlock()
		return
	}
	st.failures++
	st.lastAttempt, st.lastError = now, err.Error()
	st.nextAttempt = now.Add(backoff(st.failures, m.opts.RetryInitial, m.opts.RetryMax))
	serving := "fallback certificate"
	if st.cert != nil {
		serving = "previous certificate, expires " + st.cert.Leaf.NotAfter.UTC().Format(time.RFC3339)
	}
	next := st.nextAttempt
	m.mu.Unlock()
	m.log.Warn("acme: certificate order failed; still serving the "+serving, "name", name,
		"err", err, "next_attempt", next.UTC().Format(time.RFC3339))
}

// backoff is the wait after the n-th consecutive failure: initial,
// doubling, at most max (1 min, 2, 4, … 24 h by default; Let's Encrypt
// allows 5 failed validations per name and hour).
func backoff(n int, initial, max time.Duration) time.Duration {
	d := initial
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// loadStored reads name's certificate and key from storage.
func (m *Manager) loadStored(ctx context.Context, name string) (*tls.Certificate, error) {
	return loadStored(ctx, m.magic.Storage, m.issuer.IssuerKey(), name)
}

func loadStored(ctx context.Context, s certmagic.Storage, issuerKey, name string) (*tls.Certificate, error) {
	certPEM, err := s.Load(ctx, certmagic.StorageKeys.SiteCert(issuerKey, name))
	if err != nil {
		return nil, err
	}
	keyPEM, err := s.Load(ctx, certmagic.StorageKeys.SitePrivateKey(issuerKey, name))
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("stored certificate for %s: %w", name, err)
	}
	return &cert, nil // X509KeyPair sets Leaf
}
