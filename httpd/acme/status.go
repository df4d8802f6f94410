package acme

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// StatusFile is the name of the status file inside Options.Dir.
const StatusFile = "status.json"

// CertStatus is one managed name as `mailserver cert status` shows it.
// Times are zero when unknown.
type CertStatus struct {
	Name        string    `json:"name"`
	Issuer      string    `json:"issuer,omitempty"` // "" = no certificate yet
	NotBefore   time.Time `json:"not_before,omitzero"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	LastRenewal time.Time `json:"last_renewal,omitzero"` // last successful order
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"` // of the last order, "" if it succeeded
	Failures    int       `json:"failures,omitempty"`   // consecutive
	NextAttempt time.Time `json:"next_attempt,omitzero"`
}

// Report is the content of the status file.
type Report struct {
	Directory    string       `json:"directory"`
	Written      time.Time    `json:"written"`
	Certificates []CertStatus `json:"certificates"`
}

// Status returns the managed names in order.
func (m *Manager) Status() []CertStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]CertStatus, 0, len(m.order))
	for _, n := range m.order {
		st := m.names[n]
		if st == nil {
			continue
		}
		cs := CertStatus{Name: n, LastRenewal: st.lastRenewal, LastAttempt: st.lastAttempt,
			LastError: st.lastError, Failures: st.failures, NextAttempt: st.nextAttempt}
		if st.cert != nil {
			cs.Issuer = st.cert.Leaf.Issuer.String()
			cs.NotBefore, cs.NotAfter = st.cert.Leaf.NotBefore, st.cert.Leaf.NotAfter
		}
		out = append(out, cs)
	}
	return out
}

// writeStatus replaces the status file with the current Status, when
// that changed since the last write (a pass runs every CheckInterval).
// Called with m.work held.
func (m *Manager) writeStatus() error {
	certs := m.Status()
	key, err := json.Marshal(certs)
	if err != nil {
		return err
	}
	if string(key) == m.written {
		return nil
	}
	r := Report{Directory: m.opts.Directory, Written: time.Now().UTC(), Certificates: certs}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(m.opts.Dir, StatusFile), append(b, '\n')); err != nil {
		return err
	}
	m.written = string(key)
	return nil
}

// restoreStatus takes the renewal history (not the certificates, which
// come from storage) from the status file an earlier run wrote, so a
// restart keeps the last renewal, the last error and the backoff.
func (m *Manager) restoreStatus() {
	r, err := ReadStatus(m.opts.Dir)
	if err != nil {
		if !os.IsNotExist(err) {
			m.log.Warn("acme: ignoring the previous status file", "err", err)
		}
		return
	}
	if r.Directory != m.opts.Directory {
		return // another CA: its history does not apply
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, cs := range r.Certificates {
		if m.names[cs.Name] != nil {
			continue
		}
		m.names[cs.Name] = &nameState{lastRenewal: cs.LastRenewal, lastAttempt: cs.LastAttempt,
			lastError: cs.LastError, failures: cs.Failures, nextAttempt: cs.NextAttempt}
	}
}

// ReadStatus reads the status file a server wrote in dir (DATA_DIR/acme),
// for `mailserver cert status` with the server stopped.
func ReadStatus(dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, StatusFile))
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, StatusFile), err)
	}
	return &r, nil
}

// writeFileAtomic writes data to a 0600 temporary file, syncs it and
// renames it over name, so a crash leaves the old file or the new one.
func writeFileAtomic(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data) // CreateTemp makes it 0600
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
