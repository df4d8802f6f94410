package httpd

import (
	"html/template"
	"net/http"
)

// landingPage is the hostname's page: what the server is, and a form
// that downloads the Apple profile for an address. Plain HTML: the
// Content-Security-Policy allows no scripts or styles.
var landingPage = template.Must(template.New("landing").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Hostname}}</title>
</head>
<body>
<h1>{{.Hostname}}</h1>
{{if .Webmail}}<p><a href="/webmail/">Webmail</a>: read and send your mail in the browser.</p>{{end}}
<p>This is a mail server. Mail clients such as Thunderbird and Outlook set themselves up from your e-mail address alone.</p>
<form method="get" action="/apple/mail.mobileconfig">
<p><label>iPhone, iPad or Mac: your e-mail address <input type="email" name="emailaddress" required maxlength="320"></label>
<button type="submit">Download the Mail profile</button></p>
</form>
</body>
</html>
`))

// serveLanding serves the landing page.
func (s *Site) serveLanding(w http.ResponseWriter, r *request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := struct {
		Hostname string
		Webmail  bool
	}{s.o.Hostname, s.o.Webmail != nil}
	if err := landingPage.Execute(w, data); err != nil {
		s.log.Debug("web front: write landing page", "err", err)
	}
}
