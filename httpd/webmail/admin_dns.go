package webmail

import (
	"net/http"
	"strings"
)

// adminDNSData is the page of a domain's DNS records.
type adminDNSData struct {
	adminPage
	Domain  string
	Records []AdminDNSRecord
	Checked bool
	Bad     int    // records not OK, when checked
	Zone    string // every record as zone-file lines, to copy
}

func (h *Handler) adminDNS(w http.ResponseWriter, r *http.Request, s *Session) {
	domain := truncate(r.URL.Query().Get("domain"), maxDomainLen)
	check := r.URL.Query().Get("check") != ""
	recs, err := h.o.Admin.DNSRecords(r.Context(), domain, check)
	if err != nil {
		code, msg := h.adminFailure(r, "domain", domain, err)
		h.showDomains(w, r, s, code, &adminDomainsData{adminPage: adminPage{Error: msg}})
		return
	}
	d := &adminDNSData{adminPage: adminPage{Title: "DNS records of " + domain, Section: "domains"},
		Domain: domain, Records: recs, Checked: check}
	var zone strings.Builder
	for _, rec := range recs {
		for _, c := range rec.Comment {
			zone.WriteString("; " + c + "\n")
		}
		zone.WriteString(rec.Zone + "\n\n")
		if check && rec.Status != "OK" {
			d.Bad++
		}
	}
	d.Zone = zone.String()
	h.render(w, r, s, "admin_dns", d)
}
