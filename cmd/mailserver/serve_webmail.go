package main

import (
	"context"

	"github.com/mailserver/mailserver/httpd"
	"github.com/mailserver/mailserver/httpd/webmail"
)

// newWebmail returns the webmail (package httpd/webmail) that the HTTPS
// site serves at /webmail/. Sending goes through webmailSubmitter
// (webmail_submit.go), the admin pages through webmailAdmin
// (webmail_admin.go).
func newWebmail(e *env) (*webmail.Handler, error) {
	// A multipart post carries the message and its attachments, base64
	// makes them a third larger; with room for the form fields.
	upload := e.cfg.SMTP.MaxMessageBytes*4/3 + 1<<20
	return webmail.New(webmail.Options{
		Store:          e.store,
		Submitter:      webmailSubmitter(e),
		Admin:          webmailAdmin(e),
		Hostname:       e.cfg.Hostname,
		MaxUploadBytes: upload,
		Logger:         e.log.With("service", "webmail"),
	})
}

// webmailServer is the HTTPS server with the webmail in it: Shutdown
// first ends the webmail's sessions and live event streams, which would
// otherwise keep the graceful shutdown waiting until its deadline.
type webmailServer struct {
	*httpd.Server
	webmail *webmail.Handler
}

func (s webmailServer) Shutdown(ctx context.Context) error {
	s.webmail.Close()
	return s.Server.Shutdown(ctx)
}

func (s webmailServer) Close() error {
	s.webmail.Close()
	return s.Server.Close()
}
