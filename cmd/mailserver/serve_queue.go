package main

// workers returns the background workers, started before any listener is
// served and stopped after the listeners at shutdown. It runs before the
// *Listeners functions, so it is where shared objects (such as the
// outbound queue that smtpListeners submits to) are created and stored
// in a new env field.
//
// The outbound queue is not built in yet. This file is replaced when the
// queue package lands.
func workers(e *env) ([]worker, error) {
	return nil, nil
}
