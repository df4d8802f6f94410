package webmail

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// settingsStore is what the settings need of the store: the password,
// the spam preference and the Sieve scripts (store/sieve.go, S4).
type settingsStore interface {
	UserByAddress(ctx context.Context, address string) (*store.User, error)
	SetPassword(ctx context.Context, address, password string) error
	SetSpamToInbox(ctx context.Context, address string, inbox bool) error
	SieveScript(ctx context.Context, userID uint64, name string) ([]byte, error)
	PutSieveScript(ctx context.Context, userID uint64, name string, content []byte) error
	SetActiveSieveScript(ctx context.Context, userID uint64, name string) error
	ActiveSieveScript(ctx context.Context, userID uint64) (name string, content []byte, version uint64, err error)
}

// routesSettings registers the settings pages.
//
//	GET  /webmail/settings            the page
//	POST /webmail/settings/password   change password (old one required)
//	POST /webmail/settings/vacation   vacation reply (a Sieve script)
//	POST /webmail/settings/spam       spam to Junk or to INBOX
func (h *Handler) routesSettings(mux *http.ServeMux) {
	mux.HandleFunc("GET /webmail/settings", h.requireUser(h.serveSettings))
	mux.HandleFunc("POST /webmail/settings/password", h.requireUser(h.changePassword))
	mux.HandleFunc("POST /webmail/settings/vacation", h.requireUser(h.saveVacation))
	mux.HandleFunc("POST /webmail/settings/spam", h.requireUser(h.saveSpam))
}

// settingsPage is the settings page's data. Section names the form a
// Notice or Error belongs to ("password", "vacation", "spam").
type settingsPage struct {
	Section       string
	Notice, Error string
	Vacation      vacationSettings
	// VacationOn: the vacation script is the active one.
	VacationOn bool
	// OtherActive names another active script the vacation script would
	// replace; Confirm asks the user to agree to that first.
	OtherActive string
	Confirm     bool
	SpamToInbox bool
}

func (p *settingsPage) PageTitle() string { return "Settings" }
func (p *settingsPage) PageNav() string   { return "settings" }

// settingsData reads the current settings.
func (h *Handler) settingsData(ctx context.Context, s *Session) (*settingsPage, error) {
	u, err := h.o.Store.UserByAddress(ctx, s.Address)
	if err != nil {
		return nil, err
	}
	p := &settingsPage{SpamToInbox: u.SpamToInbox, Vacation: vacationSettings{Days: defaultVacationDays}}
	active, _, _, err := h.o.Store.ActiveSieveScript(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	script, err := h.o.Store.SieveScript(ctx, s.UserID, vacationScriptName)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		if v, ok := parseVacationMeta(script); ok {
			p.Vacation = v
		}
	}
	p.VacationOn = active == vacationScriptName
	p.Vacation.Enabled = p.VacationOn
	if active != "" && active != vacationScriptName {
		p.OtherActive = active
	}
	return p, nil
}

func (h *Handler) serveSettings(w http.ResponseWriter, r *http.Request, s *Session) {
	p, err := h.settingsData(r.Context(), s)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, s, "settings", p)
}

// showSettings renders the page with a message for one section.
func (h *Handler) showSettings(w http.ResponseWriter, r *http.Request, s *Session, code int, section, notice, errText string, edit func(*settingsPage)) {
	p, err := h.settingsData(r.Context(), s)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	p.Section, p.Notice, p.Error = section, notice, errText
	if edit != nil {
		edit(p)
	}
	h.renderStatus(w, r, s, code, "settings", p)
}

// saveSpam sets where the spam filter's spam goes (store.SetSpamToInbox).
func (h *Handler) saveSpam(w http.ResponseWriter, r *http.Request, s *Session) {
	var inbox bool
	switch r.PostFormValue("spam") {
	case "inbox":
		inbox = true
	case "junk":
	default:
		h.showSettings(w, r, s, http.StatusBadRequest, "spam", "", "Choose where spam goes.", nil)
		return
	}
	if err := h.o.Store.SetSpamToInbox(r.Context(), s.Address, inbox); err != nil {
		h.serverError(w, r, err)
		return
	}
	msg := "Spam now goes to the Junk folder."
	if inbox {
		msg = "Spam now goes to your INBOX, marked as spam."
	}
	h.showSettings(w, r, s, http.StatusOK, "spam", msg, "", nil)
}

// saveVacation writes the vacation script and activates it, or turns it
// off. An active script of the user's own is replaced only after they
// confirmed it (the form asks), and comes back when the vacation ends.
func (h *Handler) saveVacation(w http.ResponseWriter, r *http.Request, s *Session) {
	ctx := r.Context()
	v := vacationSettings{
		Enabled: r.PostFormValue("enabled") != "",
		Subject: r.PostFormValue("subject"), Text: r.PostFormValue("text"),
		Start: strings.TrimSpace(r.PostFormValue("start")), End: strings.TrimSpace(r.PostFormValue("end")),
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	if err != nil {
		days = 0
	}
	v.Days = days
	keep := func(p *settingsPage) { p.Vacation = v }
	if err := v.check(); err != nil {
		h.showSettings(w, r, s, http.StatusUnprocessableEntity, "vacation", "", err.Error()+".", keep)
		return
	}
	active, _, _, err := h.o.Store.ActiveSieveScript(ctx, s.UserID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if old, err := h.o.Store.SieveScript(ctx, s.UserID, vacationScriptName); err == nil {
		if prev, ok := parseVacationMeta(old); ok {
			v.Replaced = prev.Replaced
		}
	}
	if active != "" && active != vacationScriptName {
		v.Replaced = active
	}
	if v.Enabled && active != "" && active != vacationScriptName && r.PostFormValue("confirm_replace") == "" {
		h.showSettings(w, r, s, http.StatusConflict, "vacation", "", "", func(p *settingsPage) {
			p.Vacation, p.Confirm, p.OtherActive = v, true, active
		})
		return
	}
	ids, err := h.identities(ctx, s)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var others []string
	for _, id := range ids {
		if !strings.EqualFold(id, s.Address) {
			others = append(others, id)
		}
	}
	script, err := vacationScript(&v, others)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.o.Store.PutSieveScript(ctx, s.UserID, vacationScriptName, script); err != nil {
		h.serverError(w, r, err)
		return
	}
	var notice string
	switch {
	case v.Enabled:
		err = h.o.Store.SetActiveSieveScript(ctx, s.UserID, vacationScriptName)
		notice = "The vacation reply is on."
		if v.Replaced != "" {
			notice += " Your filter script “" + v.Replaced + "” is off until you turn the vacation reply off."
		}
	case active == vacationScriptName:
		// Off: the script replaced before, if any, is active again.
		err = h.o.Store.SetActiveSieveScript(ctx, s.UserID, v.Replaced)
		if errors.Is(err, store.ErrNotFound) {
			err = h.o.Store.SetActiveSieveScript(ctx, s.UserID, "")
		}
		notice = "The vacation reply is off."
		if v.Replaced != "" && err == nil {
			notice += " Your filter script “" + v.Replaced + "” is active again."
		}
	default:
		notice = "Saved; the vacation reply is off."
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.log.Info("webmail: vacation", "user", s.Address, "on", v.Enabled)
	h.showSettings(w, r, s, http.StatusOK, "vacation", notice, "", nil)
}
