package httpd

import (
	"encoding/xml"
	"errors"
	"net/http"
)

// Thunderbird's autoconfig format, clientConfig version 1.1
// (https://wiki.mozilla.org/Thunderbird:Autoconfiguration:ConfigFileFormat).
// The client puts the address in for %EMAILADDRESS%: logins here take
// the full address.

type clientConfig struct {
	XMLName  xml.Name      `xml:"clientConfig"`
	Version  string        `xml:"version,attr"`
	Provider emailProvider `xml:"emailProvider"`
}

type emailProvider struct {
	ID          string         `xml:"id,attr"`
	Domain      string         `xml:"domain"`
	DisplayName string         `xml:"displayName"`
	ShortName   string         `xml:"displayShortName"`
	Incoming    []serverConfig `xml:"incomingServer"`
	Outgoing    []serverConfig `xml:"outgoingServer"`
}

type serverConfig struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`
	Authentication string `xml:"authentication"`
	Username       string `xml:"username"`
}

// mailService is one mail listener as clients see it.
type mailService struct {
	proto    string // "imap", "pop3", "smtp"
	port     int
	implicit bool // TLS from the first byte; else STARTTLS
}

// services lists the listeners that are on, preferred first: implicit
// TLS before STARTTLS (RFC 8314 §3.3, §5.1), IMAP before POP3.
func (p Ports) services() []mailService {
	all := []mailService{
		{"imap", p.IMAPS, true}, {"imap", p.IMAP, false},
		{"pop3", p.POP3S, true}, {"pop3", p.POP3, false},
		{"smtp", p.Submissions, true}, {"smtp", p.Submission, false},
	}
	var out []mailService
	for _, s := range all {
		if s.port != 0 {
			out = append(out, s)
		}
	}
	return out
}

// autoconfigXML is the clientConfig for domain ("" for the hostname).
func (s *Site) autoconfigXML(domain string) []byte {
	id := domain
	if id == "" {
		id = s.o.Hostname
	}
	cfg := clientConfig{Version: "1.1", Provider: emailProvider{ID: id, Domain: id, DisplayName: id, ShortName: id}}
	for _, svc := range s.o.Ports.services() {
		sc := serverConfig{Type: svc.proto, Hostname: s.o.Hostname, Port: svc.port, SocketType: "STARTTLS",
			Authentication: "password-cleartext", Username: "%EMAILADDRESS%"}
		if svc.implicit {
			sc.SocketType = "SSL"
		}
		if svc.proto == "smtp" {
			cfg.Provider.Outgoing = append(cfg.Provider.Outgoing, sc)
		} else {
			cfg.Provider.Incoming = append(cfg.Provider.Incoming, sc)
		}
	}
	out, err := xml.MarshalIndent(cfg, "", "  ")
	if err != nil {
		panic("httpd: marshal autoconfig: " + err.Error()) // fixed types: cannot fail
	}
	return append(append([]byte(xml.Header), out...), '\n')
}

// serveAutoconfig answers Thunderbird. With ?emailaddress= (Thunderbird
// sends it) the address must be of a local domain; the configuration is
// that domain's.
func (s *Site) serveAutoconfig(w http.ResponseWriter, r *request) {
	domain := r.domain
	if q := r.URL.Query(); q.Has("emailaddress") {
		_, d, err := localAddress(r.Context(), s.o.Domains, q.Get("emailaddress"))
		if !s.addressOK(w, err) {
			return
		}
		domain = d
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(s.autoconfigXML(domain))
}

// addressOK answers a bad address parameter: 400 for one that is not an
// address, 404 for one of a domain not served here. It reports whether
// the address was fine.
func (s *Site) addressOK(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, errBadAddress):
		http.Error(w, "400 bad request: emailaddress is not an e-mail address", http.StatusBadRequest)
	case errors.Is(err, errNotLocal):
		notFound(w)
	default:
		s.lookupFailed(w, err)
	}
	return false
}
