package webmail

import (
	"net/http"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// maxDomainLen is the longest domain name (RFC 1035 §2.3.4: 255 octets
// on the wire, 253 as text).
const maxDomainLen = 253

// adminDomainsData is the domains page's data.
type adminDomainsData struct {
	adminPage
	Domains []string
	Name    string // the add form's value, after a failure
}

func (h *Handler) adminDomains(w http.ResponseWriter, r *http.Request, s *Session) {
	h.showDomains(w, r, s, http.StatusOK, &adminDomainsData{adminPage: adminPage{Notice: notice(r)}})
}

func (h *Handler) showDomains(w http.ResponseWriter, r *http.Request, s *Session, code int, d *adminDomainsData) {
	d.Title, d.Section = "Domains", "domains"
	domains, err := h.o.Admin.Domains(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Domains = domains
	h.renderStatus(w, r, s, code, "admin_domains", d)
}

func (h *Handler) adminDomainAdd(w http.ResponseWriter, r *http.Request, s *Session) {
	name := store.CanonicalDomain(strings.TrimSpace(r.PostFormValue("name")))
	fail := func(code int, msg string) {
		h.showDomains(w, r, s, code, &adminDomainsData{adminPage: adminPage{Error: msg}, Name: truncate(name, maxDomainLen)})
	}
	switch {
	case name == "":
		fail(http.StatusBadRequest, "Enter the domain name (such as example.com).")
		return
	case len(name) > maxDomainLen:
		fail(http.StatusBadRequest, "That domain name is too long (at most 253 characters).")
		return
	}
	if err := h.o.Admin.AddDomain(r.Context(), name); err != nil {
		fail(h.adminFailure(r, "domain", name, err))
		return
	}
	h.log.Info("webmail admin: domain added", "admin", s.Address, "domain", name)
	redirectDone(w, r, "/webmail/admin/domains", "domain-added", name)
}

func (h *Handler) adminDomainDelete(w http.ResponseWriter, r *http.Request, s *Session) {
	name := store.CanonicalDomain(r.PostFormValue("name"))
	if name == "" || len(name) > maxDomainLen {
		h.showDomains(w, r, s, http.StatusBadRequest, &adminDomainsData{adminPage: adminPage{Error: "No domain given to delete."}})
		return
	}
	if !h.confirmed(w, r, s, &adminConfirmData{
		adminPage: adminPage{Title: "Delete domain", Section: "domains"},
		Question:  "Delete the domain " + name + "?",
		Detail:    "Mail for it will no longer be accepted, and its DKIM keys are deleted. A domain that still has users or aliases cannot be deleted.",
		Fields:    []adminField{{"name", name}},
		Button:    "Delete domain",
		Cancel:    "/webmail/admin/domains",
	}) {
		return
	}
	if err := h.o.Admin.DeleteDomain(r.Context(), name); err != nil {
		code, msg := h.adminFailure(r, "domain", name, err)
		h.showDomains(w, r, s, code, &adminDomainsData{adminPage: adminPage{Error: msg}})
		return
	}
	h.log.Info("webmail admin: domain deleted", "admin", s.Address, "domain", name)
	redirectDone(w, r, "/webmail/admin/domains", "domain-deleted", name)
}
