package webmail

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// maxAliasTargets bounds the targets of one alias typed into the form.
const maxAliasTargets = 1000

// adminAliasesData is the aliases page's data.
type adminAliasesData struct {
	adminPage
	Aliases []store.Alias
	Address string // the add form's values, after a failure
	Targets string
}

func (h *Handler) adminAliases(w http.ResponseWriter, r *http.Request, s *Session) {
	h.showAliases(w, r, s, http.StatusOK, &adminAliasesData{adminPage: adminPage{Notice: notice(r)}})
}

func (h *Handler) showAliases(w http.ResponseWriter, r *http.Request, s *Session, code int, d *adminAliasesData) {
	d.Title, d.Section = "Aliases", "aliases"
	aliases, err := h.o.Admin.Aliases(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	d.Aliases = aliases
	h.renderStatus(w, r, s, code, "admin_aliases", d)
}

// splitTargets reads the targets field: addresses separated by commas,
// white space or new lines.
func splitTargets(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\r' || c == '\n' })
}

func (h *Handler) adminAliasAdd(w http.ResponseWriter, r *http.Request, s *Session) {
	address := truncate(strings.TrimSpace(r.PostFormValue("address")), maxAddressLen)
	targetsText := truncate(r.PostFormValue("targets"), maxAliasTargets*maxAddressLen)
	fail := func(code int, msg string) {
		h.showAliases(w, r, s, code, &adminAliasesData{adminPage: adminPage{Error: msg}, Address: address, Targets: targetsText})
	}
	if address == "" {
		fail(http.StatusBadRequest, "Enter the alias address (such as info@example.com, or @example.com for every address of the domain without a user).")
		return
	}
	targets := splitTargets(targetsText)
	switch {
	case len(targets) == 0:
		fail(http.StatusBadRequest, "Enter at least one target address the mail goes to.")
		return
	case len(targets) > maxAliasTargets:
		fail(http.StatusBadRequest, fmt.Sprintf("Too many targets: at most %d.", maxAliasTargets))
		return
	}
	for _, t := range targets {
		if _, _, err := store.CanonicalAddress(t); err != nil {
			fail(http.StatusBadRequest, fmt.Sprintf("The target %q is not a valid e-mail address.", t))
			return
		}
	}
	if err := h.o.Admin.AddAlias(r.Context(), address, targets); err != nil {
		fail(h.adminFailure(r, "alias", address, err))
		return
	}
	h.log.Info("webmail admin: alias saved", "admin", s.Address, "alias", address, "targets", len(targets))
	redirectDone(w, r, "/webmail/admin/aliases", "alias-added", address)
}

func (h *Handler) adminAliasDelete(w http.ResponseWriter, r *http.Request, s *Session) {
	address := truncate(r.PostFormValue("address"), maxAddressLen)
	if address == "" {
		h.showAliases(w, r, s, http.StatusBadRequest, &adminAliasesData{adminPage: adminPage{Error: "No alias given to delete."}})
		return
	}
	if !h.confirmed(w, r, s, &adminConfirmData{
		adminPage: adminPage{Title: "Delete alias", Section: "aliases"},
		Question:  "Delete the alias " + address + "?",
		Detail:    "Mail to it will be refused from now on (unless a catch-all takes it).",
		Fields:    []adminField{{"address", address}},
		Button:    "Delete alias",
		Cancel:    "/webmail/admin/aliases",
	}) {
		return
	}
	if err := h.o.Admin.DeleteAlias(r.Context(), address); err != nil {
		code, msg := h.adminFailure(r, "alias", address, err)
		h.showAliases(w, r, s, code, &adminAliasesData{adminPage: adminPage{Error: msg}})
		return
	}
	h.log.Info("webmail admin: alias deleted", "admin", s.Address, "alias", address)
	redirectDone(w, r, "/webmail/admin/aliases", "alias-deleted", address)
}
