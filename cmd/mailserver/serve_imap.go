package main

import (
	"fmt"

	"github.com/mailserver/mailserver/imapd"
)

// imapListeners returns the IMAP services for [listen] imap (port 143,
// STARTTLS) and imaps (993, implicit TLS): one imapd.Server serves both.
// APPEND is limited like SMTP, by [smtp] max_message_bytes, so that every
// message the server accepts can also be put back.
func imapListeners(e *env) ([]listenerSpec, error) {
	if e.cfg.Listen.IMAP == "" && e.cfg.Listen.IMAPS == "" {
		return nil, nil
	}
	srv, err := imapd.New(imapd.Options{
		Store:                    e.store,
		TLSConfig:                e.tls,
		AllowPlaintextOnLoopback: e.cfg.Auth.AllowPlaintextOnLoopback,
		MaxConnections:           e.cfg.IMAP.MaxConnections,
		MaxConnectionsPerUser:    e.cfg.IMAP.MaxConnectionsPerUser,
		MaxMessageBytes:          e.cfg.SMTP.MaxMessageBytes,
		Logger:                   e.log.With("service", "imap"),
		Metrics:                  e.metrics.imap,
	})
	if err != nil {
		return nil, fmt.Errorf("imap: %w", err)
	}
	return []listenerSpec{e.listener("imap", srv), e.listener("imaps", srv)}, nil
}
