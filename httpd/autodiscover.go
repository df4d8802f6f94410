package httpd

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Outlook's POX autodiscover ([MS-OXDSCLI] §2.2.3, the "Plain Old XML"
// protocol): the client POSTs an Autodiscover/Request/EMailAddress and
// gets the account's protocols back in the Outlook response schema.

// Namespaces of the request and response ([MS-OXDSCLI] §2.2.4).
const (
	autodiscoverRequestNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	autodiscoverResponseNS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	autodiscoverOutlookNS  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

// Bounds of a request: a real one is a few hundred octets.
const (
	maxAutodiscoverBody  = 16 << 10
	maxAutodiscoverDepth = 8
)

var errBadAutodiscover = errors.New("not an autodiscover request")

// autodiscoverRequest is what a request asks.
type autodiscoverRequest struct {
	EMailAddress string
	Schema       string // AcceptableResponseSchema; "" if absent
}

// parseAutodiscoverRequest reads a request from r, which the caller
// bounds: one pass over the tokens, elements at most
// maxAutodiscoverDepth deep, element text at most maxAddressLen octets
// where it is kept. Names are matched by local name (clients disagree
// on namespaces); encoding/xml expands no entities but the five
// predefined ones and fetches nothing.
func parseAutodiscoverRequest(r io.Reader) (autodiscoverRequest, error) {
	var req autodiscoverRequest
	d := xml.NewDecoder(r)
	var path []string
	var text *string // where the current element's text goes
	var textLen int
	sawRoot := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return req, fmt.Errorf("%w: %w", errBadAutodiscover, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(path) == 0 {
				if sawRoot || t.Name.Local != "Autodiscover" {
					return req, fmt.Errorf("%w: root element is not Autodiscover", errBadAutodiscover)
				}
				sawRoot = true
			}
			path = append(path, t.Name.Local)
			if len(path) > maxAutodiscoverDepth {
				return req, fmt.Errorf("%w: nested too deep", errBadAutodiscover)
			}
			text, textLen = nil, 0
			if len(path) == 3 && path[1] == "Request" {
				switch t.Name.Local {
				case "EMailAddress":
					req.EMailAddress, text = "", &req.EMailAddress
				case "AcceptableResponseSchema":
					req.Schema, text = "", &req.Schema
				}
			}
		case xml.EndElement:
			path = path[:len(path)-1]
			text = nil
		case xml.CharData:
			if text != nil {
				textLen += len(t)
				if textLen > maxAddressLen+len(autodiscoverOutlookNS) {
					return req, fmt.Errorf("%w: element text too long", errBadAutodiscover)
				}
				*text += string(t)
			}
		}
	}
	if !sawRoot {
		return req, fmt.Errorf("%w: no Autodiscover element", errBadAutodiscover)
	}
	req.EMailAddress = strings.TrimSpace(req.EMailAddress)
	req.Schema = strings.TrimSpace(req.Schema)
	if req.EMailAddress == "" {
		return req, fmt.Errorf("%w: no Request/EMailAddress", errBadAutodiscover)
	}
	return req, nil
}

type autodiscoverResponse struct {
	XMLName  xml.Name        `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response outlookResponse `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
}

type outlookResponse struct {
	User    outlookUser    `xml:"User"`
	Account outlookAccount `xml:"Account"`
}

type outlookUser struct {
	DisplayName string `xml:"DisplayName"`
}

type outlookAccount struct {
	AccountType string            `xml:"AccountType"`
	Action      string            `xml:"Action"`
	Protocols   []outlookProtocol `xml:"Protocol"`
}

type outlookProtocol struct {
	Type           string `xml:"Type"`
	Server         string `xml:"Server"`
	Port           int    `xml:"Port"`
	LoginName      string `xml:"LoginName"`
	DomainRequired string `xml:"DomainRequired"`
	SPA            string `xml:"SPA"`
	SSL            string `xml:"SSL"`
	Encryption     string `xml:"Encryption"` // "SSL": implicit TLS, "TLS": STARTTLS
	AuthRequired   string `xml:"AuthRequired"`
}

// autodiscoverXML is the response for addr: one Protocol per listener
// that is on, preferred first.
func (s *Site) autodiscoverXML(addr string) []byte {
	resp := autodiscoverResponse{Response: outlookResponse{
		User:    outlookUser{DisplayName: addr},
		Account: outlookAccount{AccountType: "email", Action: "settings"},
	}}
	for _, svc := range s.o.Ports.services() {
		p := outlookProtocol{Type: strings.ToUpper(svc.proto), Server: s.o.Hostname, Port: svc.port, LoginName: addr,
			DomainRequired: "off", SPA: "off", SSL: "on", Encryption: "TLS", AuthRequired: "on"}
		if svc.implicit {
			p.Encryption = "SSL"
		}
		resp.Response.Account.Protocols = append(resp.Response.Account.Protocols, p)
	}
	out, err := xml.MarshalIndent(resp, "", "  ")
	if err != nil {
		panic("httpd: marshal autodiscover: " + err.Error()) // fixed types: cannot fail
	}
	return append(append([]byte(xml.Header), out...), '\n')
}

// serveAutodiscover answers a POX request for an address of a local
// domain.
func (s *Site) serveAutodiscover(w http.ResponseWriter, r *request) {
	body := http.MaxBytesReader(w, r.Body, maxAutodiscoverBody)
	req, err := parseAutodiscoverRequest(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "413 request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "400 bad request: "+errBadAutodiscover.Error(), http.StatusBadRequest)
		return
	}
	if req.Schema != "" && req.Schema != autodiscoverOutlookNS {
		// Only the Outlook schema is offered (no Exchange ActiveSync).
		http.Error(w, "400 bad request: only the Outlook response schema is offered", http.StatusBadRequest)
		return
	}
	addr, _, err := localAddress(r.Context(), s.o.Domains, req.EMailAddress)
	if !s.addressOK(w, err) {
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(s.autodiscoverXML(addr))
}
