package main

// imapListeners returns the IMAP services for [listen] imap (port 143,
// STARTTLS) and imaps (993, implicit TLS). Build each spec with
// e.listener(key, svc).
//
// The IMAP server is not built in yet: configured IMAP ports get a
// placeholder that closes connections (see collectListeners). This file
// is replaced when imapd lands.
func imapListeners(e *env) ([]listenerSpec, error) {
	return nil, nil
}
