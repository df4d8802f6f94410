// Package queue owns responsibility for accepted mail.
//
// Submit routes every recipient of an accepted message (aliases, catch-alls,
// user+tag subaddresses, local or remote) and stores, in one durable store
// transaction, the local copies in their users' INBOX and the outbound
// queue entry for the remote recipients. SMTP answers 250 only after Submit
// returns.
//
// The delivery workers (see the files named deliver*, scheduler*, dsn*)
// push queued mail to remote servers by MX, retry with backoff and bounce
// with RFC 3464 DSNs, which are themselves submitted through Submit with
// the null sender.
package queue
