package queue

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"
	"github.com/mailserver/mailserver/store"
)

// outcome is the result of an attempt for one recipient.
type outcome struct {
	state    store.RecipientState // RcptDelivered, RcptDeferred or RcptFailed
	code     int                  // SMTP reply code (ours or the remote's)
	enhanced string               // RFC 3463 status, e.g. "5.1.1"
	text     string               // the remote's reply text, or our explanation
	// remote: code and text are the remote server's reply (a DSN then
	// carries "Diagnostic-Code: smtp; ...").
	remote    bool
	remoteMTA string // the host that answered, if any
	// dsnRelayed: delivered to a server that does not support the DSN
	// extension, so NOTIFY=SUCCESS gets a "relayed" DSN from us
	// (RFC 3461 §6.2.3).
	dsnRelayed bool
	// interrupted: the attempt was cut by shutdown before the remote
	// answered; record undoes the claim instead of counting a failure.
	interrupted bool
	// tls is the TLS version of the session ("TLS1.3"), "" without TLS.
	tls string
}

// String is the one-line form kept in LastError and the logs.
func (o *outcome) String() string {
	if o.remote {
		return fmt.Sprintf("%s said: %d %s %s", o.remoteMTA, o.code, o.enhanced, o.text)
	}
	return o.text
}

func delivered(mta, reply string, relayed bool) outcome {
	if code, rest, ok := strings.Cut(reply, " "); ok && len(code) >= 5 && code[0] == '2' && code[1] == '.' {
		reply = rest // the enhanced code, which we print ourselves
	}
	return outcome{state: store.RcptDelivered, code: 250, enhanced: "2.0.0", text: reply, remote: true, remoteMTA: mta, dsnRelayed: relayed}
}

// notAttempted is the outcome of a recipient whose delivery was not
// started (or was cut) because the queue is shutting down.
func notAttempted() outcome {
	o := tempFail("4.4.2", "delivery interrupted by shutdown")
	o.interrupted = true
	return o
}

// tempFail and permFail are failures decided here (no remote reply).
func tempFail(enhanced, format string, args ...any) outcome {
	return outcome{state: store.RcptDeferred, code: 451, enhanced: enhanced, text: fmt.Sprintf(format, args...)}
}

func permFail(code int, enhanced, format string, args ...any) outcome {
	return outcome{state: store.RcptFailed, code: code, enhanced: enhanced, text: fmt.Sprintf(format, args...)}
}

// fromError classifies an error of the SMTP conversation with mta. An SMTP
// reply decides by its class (5xx permanent, anything else temporary);
// every other error (network, TLS, timeouts) is temporary: "unknown means
// temporary" (STYLE.md).
func fromError(err error, mta string) outcome {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		o := outcome{state: store.RcptDeferred, code: se.Code, text: oneLine(se.Message), remote: true, remoteMTA: mta}
		if se.Code/100 == 5 {
			o.state = store.RcptFailed
		}
		if se.EnhancedCode != (smtp.EnhancedCode{}) && se.EnhancedCode != smtp.NoEnhancedCode {
			o.enhanced = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		} else {
			o.enhanced = fmt.Sprintf("%d.0.0", se.Code/100) // RFC 3463 §3.1 generic status
		}
		if o.enhanced[0] != byte('0'+se.Code/100) {
			// An inconsistent reply; the basic code decides (RFC 3463 §2).
			o.enhanced = fmt.Sprintf("%d.0.0", se.Code/100)
		}
		return o
	}
	o := tempFail("4.4.2", "connection with %s failed: %v", mta, err)
	if mta == "" {
		o.text = err.Error()
	}
	o.remoteMTA = mta
	return o
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
