package main

import "github.com/mailserver/mailserver/httpd/webmail"

// This file is a stub: its owner (webadmin) replaces it with the
// webmail's Admin over the domain, user, alias, queue and DNS code.

// webmailAdmin runs the admin pages; nil turns them off.
func webmailAdmin(e *env) webmail.Admin { return nil }
