package smtpd

import (
	"fmt"
	"io"

	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are smtpd's Prometheus metrics: mail transactions (DATA or
// BDAT) by listener, outcome and reply class, and the messages accepted
// with their size. One Metrics serves every Server (the listener label is
// the Server's Mode). Build it with NewMetrics and pass it in
// Options.Metrics; nil records nothing.
type Metrics struct {
	// transactions[mode][outcome]; nil for combinations that cannot occur.
	transactions [numModes][numTxOutcomes]prometheus.Counter
	accepted     [numModes]prometheus.Counter
	bytes        [numModes]prometheus.Counter
}

const numModes = int(ModeSubmissions) + 1

// Transaction outcomes. The reply class follows from each (label class).
const (
	txAccepted    = iota // 250: committed to disk
	txRejected4xx        // refused for now: quota full, DNS trouble in SPF/DMARC, ...
	txRejected5xx        // refused for good: policy, content, size, DMARC reject, ...
	txAborted            // the client went away, a timeout, BDAT aborted
	txError              // a failure of ours or shutdown: 451/421
	numTxOutcomes
)

var txLabels = [numTxOutcomes][2]string{
	txAccepted:    {"accepted", "2xx"},
	txRejected4xx: {"rejected", "4xx"},
	txRejected5xx: {"rejected", "5xx"},
	txAborted:     {"aborted", "4xx"},
	txError:       {"error", "4xx"},
}

// NewMetrics registers smtpd's metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	tx := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_smtp_transactions_total",
		Help: "SMTP mail transactions (DATA or BDAT) by listener, outcome (accepted, rejected, aborted, error) and reply class.",
	}, []string{"listener", "outcome", "class"})
	accepted := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_smtp_messages_accepted_total",
		Help: "Messages accepted (250 after the data) by listener.",
	}, []string{"listener"})
	bytes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "mailserver_smtp_accepted_bytes_total",
		Help: "Size of the messages accepted, trace header included, by listener.",
	}, []string{"listener"})
	for _, c := range []prometheus.Collector{tx, accepted, bytes} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("smtpd: register metrics: %w", err)
		}
	}
	m := &Metrics{}
	for mode := range numModes {
		name := Mode(mode).String()
		for o, l := range txLabels {
			m.transactions[mode][o] = tx.WithLabelValues(name, l[0], l[1])
		}
		m.accepted[mode] = accepted.WithLabelValues(name)
		m.bytes[mode] = bytes.WithLabelValues(name)
	}
	return m, nil
}

// Data implements smtp.Session: receive (data.go) does the work; this
// counts its outcome.
func (s *session) Data(r io.Reader) error {
	err := s.receive(r)
	s.srv.opts.Metrics.transaction(s.srv.opts.Mode, err)
	return err
}

// transaction counts one transaction's end; err is what Data returned.
func (m *Metrics) transaction(mode Mode, err error) {
	if m == nil || int(mode) >= numModes {
		return
	}
	m.transactions[mode][txOutcome(err)].Inc()
}

// txOutcome classifies what Data returned (errors.go has the replies).
func txOutcome(err error) int {
	if err == nil {
		return txAccepted
	}
	switch err {
	case errAborted, errDataTimeout:
		return txAborted
	case errTemporary, errShuttingDown, errNoBDAT:
		return txError
	}
	// go-smtp answers any other error with 554 (it looks for an
	// *smtp.SMTPError by type assertion, not errors.As).
	if se, ok := err.(*smtp.SMTPError); ok && se.Code/100 == 4 {
		return txRejected4xx
	}
	return txRejected5xx
}

// messageAccepted counts a message of size bytes accepted on mode.
func (m *Metrics) messageAccepted(mode Mode, size int64) {
	if m == nil || int(mode) >= numModes {
		return
	}
	m.accepted[mode].Inc()
	m.bytes[mode].Add(float64(size))
}
