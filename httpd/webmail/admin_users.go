package webmail

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailserver/mailserver/store"
)

// megabyte is the unit of the quota fields, as sizeText shows sizes.
const megabyte = 1000 * 1000

// maxQuotaField bounds the quota fields (a petabyte, a billion
// messages), far above anything real and far below overflow.
const maxQuotaField = 1_000_000_000

// adminUserRow is one user as the pages show it.
type adminUserRow struct {
	AdminUser
	UsageText string // "1.2 MB in 34 messages"
	QuotaText string // "500 MB (default), no message limit"
	Own       bool   // the user has a quota of their own
	Self      bool   // the logged-in administrator
}

// userForm is what the add and quota forms held, shown again after a
// failure (the password never is).
type userForm struct {
	Address       string
	QuotaMB       string
	QuotaMessages string
	Admin         bool
}

// adminUsersData is the users page's data.
type adminUsersData struct {
	adminPage
	Users []adminUserRow
	Form  userForm
	// MinPassword is the shortest password accepted (the form's minlength).
	MinPassword int
}

// adminUserData is the page of one user.
type adminUserData struct {
	adminPage
	User        adminUserRow
	Form        userForm
	MinPassword int
}

func newUserRow(u AdminUser, s *Session) adminUserRow {
	row := adminUserRow{AdminUser: u, Own: u.User.Quota != (store.Quota{}), Self: u.ID == s.UserID}
	row.UsageText = fmt.Sprintf("%s in %d %s", sizeText(u.Usage.Bytes), u.Usage.Messages, pluralWord(u.Usage.Messages, "message", "messages"))
	size := "no size limit"
	if u.Effective.MaxBytes > 0 {
		size = sizeText(u.Effective.MaxBytes)
	}
	count := "no message limit"
	if u.Effective.MaxMessages > 0 {
		count = fmt.Sprintf("at most %d messages", u.Effective.MaxMessages)
	}
	row.QuotaText = size + ", " + count
	if !row.Own {
		row.QuotaText += " (server default)"
	}
	return row
}

func pluralWord(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// quotaForm is the form of a user's own quota.
func quotaForm(q store.Quota) userForm {
	f := userForm{QuotaMB: "0", QuotaMessages: "0"}
	if q.MaxBytes > 0 {
		f.QuotaMB = strconv.FormatInt((q.MaxBytes+megabyte-1)/megabyte, 10)
	}
	if q.MaxMessages > 0 {
		f.QuotaMessages = strconv.FormatInt(q.MaxMessages, 10)
	}
	return f
}

// parseQuota reads the quota fields: whole megabytes and a message count,
// empty or 0 for the server's default.
func parseQuota(mb, messages string) (store.Quota, string) {
	num := func(s, what string) (int64, string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, ""
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > maxQuotaField {
			return 0, fmt.Sprintf("The %s must be a whole number from 0 (the server's default) to %d.", what, maxQuotaField)
		}
		return n, ""
	}
	b, msg := num(mb, "size limit in MB")
	if msg != "" {
		return store.Quota{}, msg
	}
	m, msg := num(messages, "message limit")
	if msg != "" {
		return store.Quota{}, msg
	}
	return store.Quota{MaxBytes: b * megabyte, MaxMessages: m}, ""
}

func (h *Handler) adminUsers(w http.ResponseWriter, r *http.Request, s *Session) {
	h.showUsers(w, r, s, http.StatusOK, &adminUsersData{adminPage: adminPage{Notice: notice(r)}})
}

func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, s *Session, code int, d *adminUsersData) {
	d.Title, d.Section, d.MinPassword = "Users", "users", minPasswordLength
	users, err := h.o.Admin.Users(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, u := range users {
		d.Users = append(d.Users, newUserRow(u, s))
	}
	h.renderStatus(w, r, s, code, "admin_users", d)
}

func (h *Handler) adminUserAdd(w http.ResponseWriter, r *http.Request, s *Session) {
	f := userForm{
		Address:       truncate(strings.TrimSpace(r.PostFormValue("address")), maxAddressLen),
		QuotaMB:       truncate(r.PostFormValue("quota_mb"), 20),
		QuotaMessages: truncate(r.PostFormValue("quota_messages"), 20),
		Admin:         r.PostFormValue("admin") != "",
	}
	fail := func(code int, msg string) {
		h.showUsers(w, r, s, code, &adminUsersData{adminPage: adminPage{Error: msg}, Form: f})
	}
	if f.Address == "" {
		fail(http.StatusBadRequest, "Enter the new user's e-mail address.")
		return
	}
	local, domain, err := store.CanonicalAddress(f.Address)
	if err != nil || len(r.PostFormValue("address")) > maxAddressLen {
		fail(http.StatusBadRequest, fmt.Sprintf("%q is not a valid e-mail address (such as alice@example.com).", f.Address))
		return
	}
	address := local + "@" + domain
	password := r.PostFormValue("password")
	if msg := checkNewPassword(password, r.PostFormValue("password2"), address); msg != "" {
		fail(http.StatusBadRequest, msg)
		return
	}
	quota, msg := parseQuota(f.QuotaMB, f.QuotaMessages)
	if msg != "" {
		fail(http.StatusBadRequest, msg)
		return
	}
	u, err := h.o.Admin.AddUser(r.Context(), address, password, quota, f.Admin)
	if err != nil {
		fail(h.adminFailure(r, "user", address, err))
		return
	}
	h.log.Info("webmail admin: user added", "admin", s.Address, "user", u.Address, "is_admin", u.Admin)
	redirectDone(w, r, "/webmail/admin/users", "user-added", u.Address)
}

// editPath is the page of the user with address.
func editPath(address string) string {
	return "/webmail/admin/users/edit?" + url.Values{"address": {address}}.Encode()
}

// findUser is the row of address, or nil.
func (h *Handler) findUser(r *http.Request, s *Session, address string) (*adminUserRow, error) {
	users, err := h.o.Admin.Users(r.Context())
	if err != nil {
		return nil, err
	}
	if l, d, err := store.CanonicalAddress(address); err == nil {
		address = l + "@" + d
	}
	for _, u := range users {
		if u.Address == address {
			row := newUserRow(u, s)
			return &row, nil
		}
	}
	return nil, nil
}

func (h *Handler) adminUserEdit(w http.ResponseWriter, r *http.Request, s *Session) {
	h.showUser(w, r, s, http.StatusOK, r.URL.Query().Get("address"), &adminUserData{adminPage: adminPage{Notice: notice(r)}}, true)
}

// showUser shows the page of the user with address; fillQuota fills the
// quota form from the user's own quota (not after a failed change).
func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, s *Session, code int, address string, d *adminUserData, fillQuota bool) {
	row, err := h.findUser(r, s, address)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if row == nil {
		code, msg := h.adminFailure(r, "user", truncate(address, maxAddressLen), store.ErrNotFound)
		h.showUsers(w, r, s, code, &adminUsersData{adminPage: adminPage{Error: msg}})
		return
	}
	d.Title, d.Section, d.MinPassword = row.Address, "users", minPasswordLength
	d.User = *row
	if fillQuota {
		d.Form = quotaForm(row.User.Quota)
	}
	h.renderStatus(w, r, s, code, "admin_user", d)
}

func (h *Handler) adminUserPassword(w http.ResponseWriter, r *http.Request, s *Session) {
	address := r.PostFormValue("address")
	row, err := h.findUser(r, s, address)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if row == nil {
		h.showUser(w, r, s, http.StatusNotFound, address, &adminUserData{}, true)
		return
	}
	password := r.PostFormValue("password")
	if msg := checkNewPassword(password, r.PostFormValue("password2"), row.Address); msg != "" {
		h.showUser(w, r, s, http.StatusBadRequest, row.Address, &adminUserData{adminPage: adminPage{Error: msg}}, true)
		return
	}
	if err := h.o.Admin.SetPassword(r.Context(), row.Address, password); err != nil {
		code, msg := h.adminFailure(r, "user", row.Address, err)
		h.showUser(w, r, s, code, row.Address, &adminUserData{adminPage: adminPage{Error: msg}}, true)
		return
	}
	// The old password's sessions end (the administrator's own
	// current one stays, if it is theirs).
	h.EndUserSessions(row.ID, s.ID)
	h.log.Info("webmail admin: password reset", "admin", s.Address, "user", row.Address)
	redirectDone(w, r, editPath(row.Address), "password-set", row.Address)
}

func (h *Handler) adminUserQuota(w http.ResponseWriter, r *http.Request, s *Session) {
	address := r.PostFormValue("address")
	f := userForm{QuotaMB: truncate(r.PostFormValue("quota_mb"), 20), QuotaMessages: truncate(r.PostFormValue("quota_messages"), 20)}
	quota, msg := parseQuota(f.QuotaMB, f.QuotaMessages)
	if msg != "" {
		h.showUser(w, r, s, http.StatusBadRequest, address, &adminUserData{adminPage: adminPage{Error: msg}, Form: f}, false)
		return
	}
	if err := h.o.Admin.SetQuota(r.Context(), address, quota); err != nil {
		code, msg := h.adminFailure(r, "user", truncate(address, maxAddressLen), err)
		h.showUser(w, r, s, code, address, &adminUserData{adminPage: adminPage{Error: msg}, Form: f}, false)
		return
	}
	h.log.Info("webmail admin: quota set", "admin", s.Address, "user", address, "max_bytes", quota.MaxBytes, "max_messages", quota.MaxMessages)
	redirectDone(w, r, editPath(address), "quota-set", address)
}

func (h *Handler) adminUserAdmin(w http.ResponseWriter, r *http.Request, s *Session) {
	address := r.PostFormValue("address")
	var on bool
	switch r.PostFormValue("admin") {
	case "on":
		on = true
	case "off":
	default:
		h.showUser(w, r, s, http.StatusBadRequest, address, &adminUserData{adminPage: adminPage{Error: "Say whether to give or take the administrator right (admin=on or off)."}}, true)
		return
	}
	row, err := h.findUser(r, s, address)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if row == nil {
		h.showUser(w, r, s, http.StatusNotFound, address, &adminUserData{}, true)
		return
	}
	if row.Self && !on {
		// Otherwise a server could be left without any administrator
		// by a slip; another administrator or the CLI can do it.
		h.showUser(w, r, s, http.StatusConflict, row.Address, &adminUserData{adminPage: adminPage{
			Error: "You cannot take away your own administrator right: ask another administrator, or use: mailserver user admin " + row.Address + " --off"}}, true)
		return
	}
	if err := h.o.Admin.SetAdmin(r.Context(), row.Address, on); err != nil {
		code, msg := h.adminFailure(r, "user", row.Address, err)
		h.showUser(w, r, s, code, row.Address, &adminUserData{adminPage: adminPage{Error: msg}}, true)
		return
	}
	h.log.Info("webmail admin: admin flag set", "admin", s.Address, "user", row.Address, "on", on)
	code := "admin-off"
	if on {
		code = "admin-on"
	}
	redirectDone(w, r, editPath(row.Address), code, row.Address)
}

func (h *Handler) adminUserDelete(w http.ResponseWriter, r *http.Request, s *Session) {
	address := r.PostFormValue("address")
	row, err := h.findUser(r, s, address)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if row == nil {
		code, msg := h.adminFailure(r, "user", truncate(address, maxAddressLen), store.ErrNotFound)
		h.showUsers(w, r, s, code, &adminUsersData{adminPage: adminPage{Error: msg}})
		return
	}
	if row.Self {
		h.showUser(w, r, s, http.StatusConflict, row.Address, &adminUserData{adminPage: adminPage{
			Error: "You cannot delete the account you are logged in with: ask another administrator, or use: mailserver user del " + row.Address}}, true)
		return
	}
	if !h.confirmed(w, r, s, &adminConfirmData{
		adminPage: adminPage{Title: "Delete user", Section: "users"},
		Question:  "Delete the user " + row.Address + "?",
		Detail:    "Their account and all their mail (" + row.UsageText + ") are deleted. This cannot be undone.",
		Fields:    []adminField{{"address", row.Address}},
		Button:    "Delete user and mail",
		Cancel:    editPath(row.Address),
	}) {
		return
	}
	if err := h.o.Admin.DeleteUser(r.Context(), row.Address); err != nil {
		code, msg := h.adminFailure(r, "user", row.Address, err)
		h.showUsers(w, r, s, code, &adminUsersData{adminPage: adminPage{Error: msg}})
		return
	}
	h.EndUserSessions(row.ID, "")
	h.log.Info("webmail admin: user deleted", "admin", s.Address, "user", row.Address)
	redirectDone(w, r, "/webmail/admin/users", "user-deleted", row.Address)
}
