package main

import "github.com/mailserver/mailserver/queue"

// workers returns the background workers, started before any listener is
// served and stopped after the listeners at shutdown. It runs before the
// *Listeners functions, so it is where shared objects (such as the
// outbound queue that smtpListeners submits to) are created and stored
// in env.
//
// The outbound delivery scheduler is not built in yet: for now the queue
// only accepts and stores (local copies are delivered at once).
func workers(e *env) ([]worker, error) {
	e.queue = queue.New(e.store, queue.Options{Hostname: e.cfg.Hostname, Logger: e.log})
	return nil, nil
}
