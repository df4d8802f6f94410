// Package webmail is the mail client in a browser: server-rendered pages
// (html/template) with a little embedded JavaScript, mounted by cmd on the
// HTTPS site at /webmail/. It reads and changes the store directly (the
// same isolation rule as IMAP: every store call carries the session's
// user ID), and sends through the submission path (Submitter).
//
// # Security
//
//   - Sessions are server side (sessions.go): a random 256-bit ID in the
//     cookie webmail_session (Secure, HttpOnly, SameSite=Strict,
//     Path=/webmail/), an idle timeout and an absolute lifetime. Logout and
//     a password change (EndUser) end them at once.
//   - Login goes through store.Authenticate with Protocol "webmail", so the
//     browser shares the throttle of SMTP, POP3 and IMAP.
//   - Every request that is not GET or HEAD must carry the session's CSRF
//     token (form field csrf or header X-CSRF-Token), checked once in
//     ServeHTTP (csrf.go); the login form has its own token (double
//     submit), as there is no session yet.
//   - Pages carry a Content-Security-Policy without inline script and
//     without remote sources (headers.go). Message HTML is sanitised with
//     bluemonday and shown only in a sandboxed iframe from its own URL
//     with a stricter policy of its own (frame.go), never in the page.
//
// # Files
//
// Each area registers its routes in its own file (routes.go calls them):
// reading (read_routes.go), acting on messages and folders, search, live
// events (events.go), and the areas of other owners: compose_routes.go,
// settings_routes.go, admin_routes.go. Templates live in templates/, static
// files in static/, both embedded.
package webmail
