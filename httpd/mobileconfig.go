package httpd

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// An Apple configuration profile (Configuration Profile Reference,
// payload type com.apple.mail.managed) for iOS and macOS Mail: one IMAP
// (or, with IMAP off, POP3) account and its SMTP server, the full
// address as user name. Unsigned; it holds no password (Mail asks for
// it when the profile is installed).

// plistValue is a value of the XML property list format.
type plistValue interface {
	writePlist(b *bytes.Buffer, indent string)
}

type plistString string
type plistInt int
type plistBool bool
type plistArray []plistValue

// plistDict keeps its keys in the given order.
type plistDict []plistEntry

type plistEntry struct {
	key   string
	value plistValue
}

func escapeText(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s)) // cannot fail on a bytes.Buffer
}

func (v plistString) writePlist(b *bytes.Buffer, indent string) {
	b.WriteString(indent + "<string>")
	escapeText(b, string(v))
	b.WriteString("</string>\n")
}

func (v plistInt) writePlist(b *bytes.Buffer, indent string) {
	b.WriteString(indent + "<integer>" + strconv.Itoa(int(v)) + "</integer>\n")
}

func (v plistBool) writePlist(b *bytes.Buffer, indent string) {
	if v {
		b.WriteString(indent + "<true/>\n")
	} else {
		b.WriteString(indent + "<false/>\n")
	}
}

func (v plistArray) writePlist(b *bytes.Buffer, indent string) {
	b.WriteString(indent + "<array>\n")
	for _, e := range v {
		e.writePlist(b, indent+"\t")
	}
	b.WriteString(indent + "</array>\n")
}

func (v plistDict) writePlist(b *bytes.Buffer, indent string) {
	b.WriteString(indent + "<dict>\n")
	for _, e := range v {
		b.WriteString(indent + "\t<key>")
		escapeText(b, e.key)
		b.WriteString("</key>\n")
		e.value.writePlist(b, indent+"\t")
	}
	b.WriteString(indent + "</dict>\n")
}

// profileUUID is a UUID-shaped digest of the names, so downloading the
// profile again gives the same identifiers and installing it replaces
// the earlier one instead of adding a second account.
func profileUUID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	sum[6] = sum[6]&0x0f | 0x80 // RFC 9562 §5.8 version 8 (custom)
	sum[8] = sum[8]&0x3f | 0x80 // variant
	h := fmt.Sprintf("%x", sum[:16])
	return strings.ToUpper(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

// reverseDNS is the hostname reversed, for payload identifiers.
func reverseDNS(host string) string {
	labels := strings.Split(host, ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".")
}

// pick is the first listener of proto that is on, implicit TLS first.
func (p Ports) pick(proto string) (mailService, bool) {
	for _, s := range p.services() {
		if s.proto == proto {
			return s, true
		}
	}
	return mailService{}, false
}

// mobileconfig is the profile for addr, or false when no incoming or no
// outgoing listener is on.
func (s *Site) mobileconfig(addr string) ([]byte, bool) {
	in, ok := s.o.Ports.pick("imap")
	accountType := "EmailTypeIMAP"
	if !ok {
		in, ok = s.o.Ports.pick("pop3")
		accountType = "EmailTypePOP"
	}
	out, okOut := s.o.Ports.pick("smtp")
	if !ok || !okOut {
		return nil, false
	}
	id := reverseDNS(s.o.Hostname) + ".mail." + addr
	account := plistDict{
		{"EmailAccountDescription", plistString(addr)},
		{"EmailAccountName", plistString(addr)},
		{"EmailAccountType", plistString(accountType)},
		{"EmailAddress", plistString(addr)},
		{"IncomingMailServerAuthentication", plistString("EmailAuthPassword")},
		{"IncomingMailServerHostName", plistString(s.o.Hostname)},
		{"IncomingMailServerPortNumber", plistInt(in.port)},
		{"IncomingMailServerUseSSL", plistBool(in.implicit)},
		{"IncomingMailServerUsername", plistString(addr)},
		{"OutgoingMailServerAuthentication", plistString("EmailAuthPassword")},
		{"OutgoingMailServerHostName", plistString(s.o.Hostname)},
		{"OutgoingMailServerPortNumber", plistInt(out.port)},
		{"OutgoingMailServerUseSSL", plistBool(out.implicit)},
		{"OutgoingMailServerUsername", plistString(addr)},
		{"OutgoingPasswordSameAsIncomingPassword", plistBool(true)},
		{"PayloadDescription", plistString("Mail account " + addr)},
		{"PayloadDisplayName", plistString(addr)},
		{"PayloadIdentifier", plistString(id + ".account")},
		{"PayloadType", plistString("com.apple.mail.managed")},
		{"PayloadUUID", plistString(profileUUID(s.o.Hostname, addr, "account"))},
		{"PayloadVersion", plistInt(1)},
		{"PreventAppSheet", plistBool(false)},
		{"PreventMove", plistBool(false)},
		{"SMIMEEnabled", plistBool(false)},
	}
	profile := plistDict{
		{"PayloadContent", plistArray{account}},
		{"PayloadDescription", plistString("Sets up the mail account " + addr + " on " + s.o.Hostname + ".")},
		{"PayloadDisplayName", plistString("Mail: " + addr)},
		{"PayloadIdentifier", plistString(id)},
		{"PayloadRemovalDisallowed", plistBool(false)},
		{"PayloadType", plistString("Configuration")},
		{"PayloadUUID", plistString(profileUUID(s.o.Hostname, addr, "profile"))},
		{"PayloadVersion", plistInt(1)},
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString(`<plist version="1.0">` + "\n")
	profile.writePlist(&b, "")
	b.WriteString("</plist>\n")
	return b.Bytes(), true
}

// serveMobileconfig offers the profile for ?emailaddress= as a download.
func (s *Site) serveMobileconfig(w http.ResponseWriter, r *request) {
	q := r.URL.Query()
	if !q.Has("emailaddress") {
		http.Error(w, "400 bad request: give ?emailaddress=you@example.com", http.StatusBadRequest)
		return
	}
	addr, _, err := localAddress(r.Context(), s.o.Domains, q.Get("emailaddress"))
	if !s.addressOK(w, err) {
		return
	}
	body, ok := s.mobileconfig(addr)
	if !ok {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", "application/x-apple-aspen-config")
	w.Header().Set("Content-Disposition", `attachment; filename="mail.mobileconfig"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}
