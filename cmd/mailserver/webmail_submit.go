package main

import "github.com/mailserver/mailserver/httpd/webmail"

// This file is a stub: its owner (webcompose) replaces it with the
// webmail's Submitter over the submission path.

// webmailSubmitter is the webmail's way to send; nil turns sending off.
func webmailSubmitter(e *env) webmail.Submitter { return nil }
