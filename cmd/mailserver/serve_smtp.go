package main

// smtpListeners returns the SMTP services for [listen] smtp (port 25, mail
// from other servers, STARTTLS), submission (587, clients, STARTTLS) and
// submissions (465, clients, implicit TLS). Build each spec with
// e.listener(key, svc); specs whose address is "" are skipped by serve.
//
// The SMTP server is not built in yet: configured SMTP ports get a
// placeholder that closes connections (see collectListeners). This file
// is replaced when smtpd lands.
func smtpListeners(e *env) ([]listenerSpec, error) {
	return nil, nil
}
