package main

// pop3Listeners returns the POP3 services for [listen] pop3 (port 110,
// STLS) and pop3s (995, implicit TLS). Build each spec with
// e.listener(key, svc).
//
// The POP3 server is not built in yet: configured POP3 ports get a
// placeholder that closes connections (see collectListeners). This file
// is replaced when pop3d lands.
func pop3Listeners(e *env) ([]listenerSpec, error) {
	return nil, nil
}
